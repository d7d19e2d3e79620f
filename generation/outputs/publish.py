"""Publishing a run's outputs as one set.

A run writes every output file (pairs, rejected, the training formats, report.md, manifest.json) into a
folder of its own, `out/.sets/<stamp>-r<run_id>/`, and then points `out/current` at it with one atomic
rename of a symbolic link. `out/pairs.jsonl` and the other names are links to `current/<name>`, so
the paths users read stay where they were.

What a reader of `out/` can rely on:

- every file it opens is whole (no half-written file is ever at a published name);
- everything under `out/current/` is one run's set: the manifest's counts are the files' lines. A job
  that reads several files should resolve `out/current` once (`realpath out/current`) and read from
  there; opening `out/pairs.jsonl` and later `out/alpaca.jsonl` may straddle a night's swap;
- the previous set stays on disk until the next run starts, so a reader that resolved it a moment
  before a swap can finish reading.

A run that publishes nothing new (the teacher was unreachable, a guard refused, Ctrl-C) still gets a
set of its own: the shown set's data files, hard-linked (copied where links are refused), with its own
manifest, which counts what those files hold. Staging folders and temporary files left by a killed run
are swept by the next run.

Where the file system has no symbolic links (FAT, some network shares), each file is replaced
atomically in `out/` itself, manifest last; readers then get whole files but not a whole set.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import time
from pathlib import Path

from .files import PAIRS_FILE, REJECTED_FILE, fsync_dir
from .formats import FORMATS
from .shards import files_of

logger = logging.getLogger(__name__)

SETS = ".sets"
CURRENT = "current"
MANIFEST = "manifest.json"
PAIRS = PAIRS_FILE
REPORT = "report.md"
DATA = "data"  # the folder of a sharded set's files (outputs/shards.py)
# The files a set holds besides its manifest: only these are carried over or linked from out/, so a
# file of the user's own in out/ is never touched unless it has one of these names (README.md is the
# dataset card).
DATA_FILES = frozenset({
    PAIRS_FILE, REJECTED_FILE, REPORT, "README.md", "dataset_info.json", "axolotl.yaml", DATA,
    *(f"{fmt}.jsonl" for fmt in FORMATS), *(f"{fmt}.validation.jsonl" for fmt in FORMATS),
})


OWNER_FILE = ".groundqa-output.json"  # which corpus the folder's outputs belong to


class OutputFolderTaken(ValueError):
    """The output folder holds another corpus's outputs, or files groundqa did not write."""


def claim(out_dir: Path, owner: str) -> None:
    """Make sure `out_dir` holds only this corpus's outputs, and mark it so. groundqa replaces the files of
    its set in out/ and links their names into it, so a folder that holds a file of the user's own under
    one of those names (their README.md), or any file it did not write, or the outputs of another corpus,
    is refused: two corpora sharing one folder would overwrite each other, night after night. A folder
    written by an earlier version (no mark yet) is taken over when everything in it is groundqa's."""
    marker = out_dir / OWNER_FILE
    try:
        mark = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        mark = None
    except (OSError, ValueError):
        mark = {}
    if mark is not None and mark.get("corpus") != owner:
        raise OutputFolderTaken(
            f"the output folder {out_dir} holds the outputs of another corpus ({mark.get('corpus', 'unreadable: ' + str(marker))}): "
            f"give each corpus its own [output] dir (if this corpus was moved from there, delete {marker})"
        )
    foreign = _foreign(out_dir)
    if foreign:
        names = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutputFolderTaken(
            f"the output folder {out_dir} holds files groundqa did not write ({names}); it replaces the files of its set "
            "there, so name an empty or new folder as [output] dir, or move those files out"
        )
    if mark is None:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_synced(marker, json.dumps({"corpus": owner}, ensure_ascii=False) + "\n")


def _foreign(out_dir: Path) -> list[str]:
    """The files in `out_dir` under a name groundqa writes (its data files, manifest.json, current,
    .sets) that groundqa did not write. Other files are the user's: never read, never replaced."""
    if not out_dir.is_dir():
        return []
    ours_as_files = _is_our_manifest(out_dir / MANIFEST) and not (out_dir / CURRENT).is_symlink()  # no-link or old layout
    foreign = []
    for name in sorted({*DATA_FILES, MANIFEST, CURRENT, SETS}):
        path = out_dir / name
        if not path.exists() and not path.is_symlink():
            continue
        if name == SETS and path.is_dir() and not path.is_symlink():
            continue
        if path.is_symlink():
            target = os.readlink(path)
            if target.startswith(f"{SETS}/") if name == CURRENT else target == f"{CURRENT}/{name}":
                continue
        if ours_as_files and name != CURRENT and (path.is_file() or (name == DATA and path.is_dir())) and not path.is_symlink():
            continue
        foreign.append(name)
    return foreign


def _is_our_manifest(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "run_id" in data and "signatures" in data


class OutputSet:
    """The set one run publishes into `out_dir`: `stage()` gives the folder to write into, `complete()`
    says every data file is written, `commit(write_manifest)` makes it the shown set."""

    def __init__(self, out_dir: Path, run_id: int):
        self.out_dir = Path(out_dir)
        self.sets = self.out_dir / SETS
        self.run_id = run_id
        self.name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-r{run_id:06d}"
        self.staging = self.sets / f"{self.name}.tmp-{os.getpid()}"
        self.is_complete = False
        self.shown_now = False  # True once this run's set is the one out/ shows (the commit point passed)
        self.linked = _symlinks_work(self.out_dir)
        if not self.linked:
            logger.warning(
                "%s: this file system has no symbolic links, so each output file is replaced on its own (whole "
                "files, but not one set swapped at once)", self.out_dir,
            )

    # -- what is shown now --------------------------------------------------------------------------
    def shown(self) -> Path | None:
        """The folder of the set readers see now: out/current's target, or out/ itself for an older layout."""
        current = self.out_dir / CURRENT
        if current.is_symlink() and current.is_dir():
            return current.resolve()
        return self.out_dir if (self.out_dir / PAIRS).is_file() else None

    def shown_pairs(self) -> int:
        """Pairs in the shown set's pairs.jsonl (or its shards): what is published now."""
        folder = self.shown()
        if folder is None:
            return 0
        count = 0
        for path in files_of(folder, "pairs"):
            with open(path, "rb") as f:
                count += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        return count

    def previous(self) -> Path | None:
        """The shown set's folder, where this run's writer finds the files it can link instead of writing."""
        return self.shown()

    # -- a run's set ----------------------------------------------------------------------------
    def stage(self) -> Path:
        """The folder this run writes its data files into (emptied if a write there failed before)."""
        if self.linked:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging.mkdir(parents=True)
        else:
            self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging

    def complete(self) -> None:
        self.is_complete = True

    def commit(self, manifest_text: str) -> None:
        """Make this run's set the shown one, with `manifest_text` as its manifest.json. A run whose data
        files are not all written publishes the shown set's data files again, under its own manifest.
        On an error before the swap (a full disk) the shown set is left as it was and the staging folder
        removed; `shown_now` says whether the swap happened, whatever is raised after it."""
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
            if not self.is_complete:
                self._carry_over()
            _write_synced(self.staging / MANIFEST, manifest_text)
            fsync_dir(self.staging)
            if self.linked:
                self._swap()
            else:
                self._replace_files()
        except BaseException:
            if not self.shown_now:
                shutil.rmtree(self.staging, ignore_errors=True)
            raise

    def shown_manifest(self) -> dict:
        """The manifest of the set shown now ({} when there is none, or it cannot be read)."""

        folder = self.shown()
        try:
            return json.loads((folder / MANIFEST).read_text(encoding="utf-8")) if folder else {}
        except (OSError, ValueError):
            return {}

    def _carry_over(self) -> None:
        """The shown set's data files in staging, in place of anything half-written there."""
        for leftover in self.staging.iterdir():
            _remove(leftover)
        shown = self.shown()
        if shown is None:
            return
        for path in sorted(shown.iterdir()):
            if path.name not in DATA_FILES or path.is_symlink():
                continue
            if path.is_dir():  # a sharded set's data/: every file linked, the folders made
                for folder, _, names in os.walk(path):
                    rel = Path(folder).relative_to(shown)
                    (self.staging / rel).mkdir(parents=True, exist_ok=True)
                    for name in names:
                        _link_or_copy(Path(folder) / name, self.staging / rel / name)
            elif path.is_file():
                _link_or_copy(path, self.staging / path.name)

    def _swap(self) -> None:
        name, n = self.name, 1
        while (self.sets / name).exists():  # run ids start again at 1 after the store is rebuilt
            n += 1
            name = f"{self.name}-{n}"
        final = self.sets / name
        os.replace(self.staging, final)
        fsync_dir(self.sets)
        _link(self.out_dir / CURRENT, f"{SETS}/{name}")  # the one step readers see: the commit point
        self.shown_now = True
        try:
            self._link_names({p.name for p in final.iterdir()})
        except OSError as exc:  # the set is published; the next run makes the links again
            logger.warning("%s: the links out/<file> -> current/<file> could not all be made (%s); out/current is whole", self.out_dir, exc)

    def _link_names(self, names: set[str]) -> None:
        for file in sorted(names):  # out/<file> -> current/<file>, once; the old layout's files replaced
            path = self.out_dir / file
            wanted = f"{CURRENT}/{file}"
            if not (path.is_symlink() and os.readlink(path) == wanted):
                _link(path, wanted)
        for path in self.out_dir.iterdir():  # a format no longer asked for: its link would dangle
            if path.is_symlink() and os.readlink(path).startswith(f"{CURRENT}/") and path.name not in names:
                path.unlink()
        fsync_dir(self.out_dir)

    def _replace_files(self) -> None:
        for path in sorted(self.staging.iterdir(), key=lambda p: p.name == MANIFEST):  # the manifest last
            target = self.out_dir / path.name
            if target.exists() and os.path.samefile(path, target):  # carried over as a hard link: in place already
                path.unlink()
                continue
            if path.is_dir() and target.is_dir() and not target.is_symlink():  # data/: the old shards go, the new come
                _remove(target)
            os.replace(path, target)
            if path.name == MANIFEST:
                self.shown_now = True
        fsync_dir(self.out_dir)
        self.staging.rmdir()

    # -- the next run's sweep -------------------------------------------------------------------
    def sweep(self) -> list[str]:
        """Remove what killed runs left (staging folders, temporary files) and every set but the shown
        one, which stays as the previous set once this run's is shown. Call under the run lock.
        Returns what was removed."""
        removed: list[str] = []
        for pattern in (".*.tmp-*", ".symlink-test-*"):  # temporary files and probes
            for path in self.out_dir.glob(pattern):
                _remove(path)
                removed.append(path.name)
        if self.sets.is_dir():
            current = self.out_dir / CURRENT
            shown = os.path.basename(os.readlink(current)) if current.is_symlink() else None
            for path in self.sets.iterdir():
                if path.name != shown:
                    _remove(path)
                    removed.append(f"{SETS}/{path.name}")
        if removed:
            logger.info("swept %d leftovers from %s: %s", len(removed), self.out_dir, ", ".join(removed))
        return removed


def _remove(path: Path) -> None:
    """A leftover gone, whatever it is; one that cannot be removed is logged, not a failed run."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("could not remove the leftover %s: %s", path, exc)


def _link_or_copy(path: Path, target: Path) -> None:
    try:
        os.link(path, target)  # the same bytes, no copy
    except OSError:
        shutil.copyfile(path, target)


def _link(path: Path, target: str) -> None:
    """Point the symbolic link `path` at `target` in one step (a new link renamed over the old)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def _symlinks_work(folder: Path) -> bool:
    probe = folder / f".symlink-test-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.unlink(missing_ok=True)
        os.symlink(CURRENT, probe)
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS) or os.name == "nt":
            return False
        raise
    probe.unlink()
    return True
