"""Publishing as one set, and the faults a nightly run meets: a kill at any step of publishing, a full
disk, a damaged or read-only store, Ctrl-C while a request hangs. Each test checks what a user of out/
would: the files' lines, the manifest's counts, the exit code and the message."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import generation.outputs.publish as publish
from generation.outputs.publish import OutputSet
from generation.pipeline.run import RunError
from generation.pipeline.store import StoreError
from tests.support.corpora import run, write_corpus

REPO = Path(__file__).resolve().parents[3]
DATA = ("pairs.jsonl", "rejected.jsonl", "alpaca.jsonl", "openai.jsonl", "report.md")


@pytest.fixture
def corpus_dir(tmp_path):
    return write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca", "openai"]\n')


def shown_set(out: Path) -> dict:
    """The set out/current shows, checked whole: the manifest's published count is every file's lines."""
    folder = (out / "current").resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    published = manifest["pairs"]["published"]
    assert (folder / "pairs.jsonl").read_bytes().count(b"\n") == published
    for fmt in ("alpaca", "openai"):  # the train split and the validation split (a stable share of documents)
        lines = sum(p.read_bytes().count(b"\n") for p in (folder / f"{fmt}.jsonl", folder / f"{fmt}.validation.jsonl") if p.exists())
        assert lines == published, (folder, fmt)
    for name in DATA:  # what users open is what current holds
        assert (out / name).read_bytes() == (folder / name).read_bytes()
    return manifest


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in (*DATA, "manifest.json")}


def test_the_published_set_is_swapped_whole_and_the_previous_one_is_kept_for_readers(corpus_dir):
    run(corpus_dir)
    out = corpus_dir / "out"
    first = (out / "current").resolve()
    assert shown_set(out)["pairs"]["published"] == 3
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert {*DATA, "manifest.json", "current", "README.md", "dataset_info.json", "axolotl.yaml"} <= names
    assert all((out / n).is_symlink() and os.readlink(out / n) == f"current/{n}" for n in names - {"current"})
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    run(corpus_dir)
    assert shown_set(out)["pairs"]["published"] == 4
    assert first.is_dir() and first.joinpath("pairs.jsonl").read_bytes().count(b"\n") == 3  # a reader of it can finish
    run(corpus_dir)
    assert not first.exists() and len(list((out / ".sets").iterdir())) == 2  # the shown set and the one before


def test_a_kill_at_any_step_of_publishing_leaves_one_whole_set_and_the_next_run_sweeps_the_rest(corpus_dir):
    """The run is forked and killed (os._exit, no clean-up) at its k-th file-system step or JSON line
    once publishing began, for every k until a run gets through."""
    run(corpus_dir)
    out = corpus_dir / "out"
    old = snapshot(out)
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    seen = set()
    for k in range(1, 400):
        finished = run_killed_at(corpus_dir, k)
        manifest = shown_set(out)
        seen.add(manifest["pairs"]["published"])
        if manifest["pairs"]["published"] == 3:
            assert snapshot(out) == old  # the whole previous set, manifest included
        if finished:
            break
    else:
        pytest.fail("publishing never finished")
    assert k > 20 and seen == {3, 4}  # killed at many steps, before and after the swap
    outcome = run(corpus_dir)
    assert outcome.exit_code == 0 and shown_set(out)["pairs"]["published"] == 4
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name] and len(list((out / ".sets").iterdir())) <= 2


def run_killed_at(root, k: int) -> bool:
    """A run of `root` in a child process that dies at the k-th file-system step of publishing; True when the run
    finished before it got there."""
    pid = os.fork()
    if pid == 0:  # the child: count steps from the start of publishing, die at the k-th
        try:
            _die_at_step(k)
            run(root)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _die_at_step(k: int) -> None:
    import generation.outputs.files as formats

    step = {"n": 0, "on": False}

    def counted(fn):
        def wrapper(*args, **kwargs):
            if step["on"]:
                step["n"] += 1
                if step["n"] == k:
                    os._exit(9)
            return fn(*args, **kwargs)

        return wrapper

    for name in ("replace", "rename", "symlink", "link", "fsync", "unlink", "mkdir", "rmdir"):
        setattr(os, name, counted(getattr(os, name)))
    formats.json_line = counted(formats.json_line)  # in the middle of a file, too
    from generation.pipeline import assemble

    real_publish = assemble.publish

    def publish_counted(*args, **kwargs):
        step["on"] = True
        return real_publish(*args, **kwargs)

    assemble.publish = publish_counted


def test_a_run_that_fails_publishes_the_previous_files_with_a_manifest_that_says_so(corpus_dir):
    run(corpus_dir)
    out = corpus_dir / "out"
    old = snapshot(out)
    (corpus_dir / "alder.md").unlink()  # two of three sources gone: the guard refuses to retire them
    (corpus_dir / "birch.txt").unlink()
    with pytest.raises(RunError):
        run(corpus_dir)
    manifest = shown_set(out)
    assert manifest["exit_code"] == 1 and manifest["pairs"]["published"] == 3 and manifest["run_id"] == 2
    assert manifest["failures"][-1]["kind"] == "mass_retirement"
    assert {n: (out / n).read_bytes() for n in DATA} == {n: old[n] for n in DATA}


def test_a_full_disk_while_publishing_keeps_the_previous_set_and_says_what_to_do(corpus_dir, monkeypatch):
    run(corpus_dir)
    out = corpus_dir / "out"
    old = snapshot(out)
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    import generation.outputs.files as formats

    real = formats.json_line
    calls = {"n": 0}

    def full(record):
        calls["n"] += 1
        if calls["n"] == 6:  # in the middle of the second file
            raise OSError(errno.ENOSPC, "No space left on device", str(out / ".sets" / "x" / "alpaca.jsonl"))
        return real(record)

    monkeypatch.setattr(formats, "json_line", full)
    with pytest.raises(RunError) as failed:
        run(corpus_dir)
    assert "No space left on device" in str(failed.value) and "free some space" in str(failed.value)
    assert "previous run's, whole and unchanged" in str(failed.value)
    manifest = shown_set(out)  # the space came back for the manifest: it tells the truth
    assert manifest["exit_code"] == 1 and manifest["pairs"]["published"] == 3
    assert {n: (out / n).read_bytes() for n in DATA} == {n: old[n] for n in DATA}
    # The disk stays full for the manifest too: out/ is left exactly as it was.
    monkeypatch.setattr(formats, "json_line", lambda r: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    monkeypatch.setattr(publish, "_write_synced", lambda p, t: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    before = snapshot(out)
    with pytest.raises(RunError):
        run(corpus_dir)
    assert snapshot(out) == before and not [p for p in out.rglob("*") if ".tmp-" in p.name]
    monkeypatch.undo()
    assert run(corpus_dir).manifest["pairs"]["published"] == 4  # space freed: the work was kept


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_named_with_the_way_forward_in_run_status_and_export(corpus_dir, damage):
    run(corpus_dir)
    out = corpus_dir / "out"
    old = snapshot(out)
    db = corpus_dir / ".groundqa" / "state.sqlite"
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    data = db.read_bytes()
    db.write_bytes(b"this is not a database" * 300 if damage == "garbage" else data[: len(data) // 3])
    for command in (["run", "-q"], ["status"], ["export", "--format", "alpaca"]):
        result = subprocess.run(
            [sys.executable, "-m", "generation", *command, str(corpus_dir)], capture_output=True, text=True, cwd=REPO, timeout=120
        )
        assert result.returncode == 1, (command, result.stderr)
        assert "Traceback" not in result.stderr
        message = " ".join(result.stderr.split())
        assert "is damaged" in message and "mv " in message and "groundqa run" in message, message
    assert {n: (out / n).read_bytes() for n in DATA} == {n: old[n] for n in DATA}
    # The fix it names works, and the published files stay until the new run replaces them.
    (db.parent / "damaged").mkdir()
    for path in db.parent.glob("state.sqlite*"):
        path.rename(db.parent / "damaged" / path.name)
    assert run(corpus_dir).manifest["pairs"]["published"] == 3


def test_a_store_that_breaks_mid_run_does_not_publish_zeros(corpus_dir, monkeypatch):
    run(corpus_dir)
    out = corpus_dir / "out"
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    from generation.pipeline.store import Store

    def broken(self, *args, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(Store, "save_generation", broken)
    with pytest.raises(StoreError) as failed:
        run(corpus_dir)
    assert "is damaged" in str(failed.value)
    manifest = shown_set(out)
    assert manifest["pairs"]["published"] == 3 and manifest["exit_code"] == 1
    assert manifest["failures"][-1]["kind"] == "store"


def test_a_read_only_state_folder_is_a_message(corpus_dir, monkeypatch):
    real_open = os.open

    def refused(path, *args, **kwargs):
        if str(path).endswith("run.lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(StoreError) as failed:
        run(corpus_dir)
    assert "cannot write the state folder" in str(failed.value) and "chmod" in str(failed.value)


def test_an_older_layout_of_plain_files_is_taken_over_and_a_file_system_without_links_still_gets_whole_files(corpus_dir, monkeypatch):
    monkeypatch.setattr(publish, "_symlinks_work", lambda folder: False)
    run(corpus_dir)
    out = corpus_dir / "out"
    assert (out / "pairs.jsonl").is_file() and not (out / "pairs.jsonl").is_symlink()
    assert json.loads((out / "manifest.json").read_text())["pairs"]["published"] == 3
    (out / "notes.txt").write_text("my own file")
    monkeypatch.undo()
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")
    run(corpus_dir)
    assert (out / "pairs.jsonl").is_symlink() and shown_set(out)["pairs"]["published"] == 4
    assert (out / "notes.txt").read_text() == "my own file"  # not ours: never touched


def test_a_shown_set_is_read_from_current_by_a_reader(tmp_path):
    out = tmp_path / "out"
    one = OutputSet(out, 1)
    one.stage().joinpath("pairs.jsonl").write_text('{"a": 1}\n')
    one.complete()
    one.commit('{"run_id": 1}\n')
    assert OutputSet(out, 2).shown_pairs() == 1
    assert json.loads((out / "manifest.json").read_text()) == {"run_id": 1}


SLOW_SERVER = r'''
import http.server, json, sys, time
answered = 0
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        if self.path == "/v1/models":
            self.reply({"data": [{"id": "slow.gguf"}]})
        else:
            self.send_response(404); self.end_headers()
    def do_POST(self):
        global answered
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/v1/chat/completions":
            self.send_response(404); self.end_headers(); return
        answered += 1
        if answered > 1:
            time.sleep(3600)  # hangs, as a wedged server does
        text = body["messages"][-1]["content"].split('"""')[1]
        pair = {"question": "When was it?", "answer": "It was.", "quotes": [text.strip().splitlines()[-1][:20]]}
        self.reply({"choices": [{"message": {"content": json.dumps({"pairs": [pair]})}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5}})
    def log_message(self, *a): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_while_a_request_hangs_stops_within_seconds_and_keeps_finished_chunks(tmp_path, sig):
    server = subprocess.Popen([sys.executable, "-c", SLOW_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        root = write_corpus(
            tmp_path / "kb",
            f'[chunking]\ntokens = 64\noverlap = 8\n[teacher]\nurls = ["http://127.0.0.1:{port}"]\ntimeout = 300\n',
        )
        (root / "out").mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-m", "generation", "run", "-q", str(root)], cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 60
        store = root / ".groundqa" / "state.sqlite"
        while time.monotonic() < deadline:  # wait until the first chunk is stored and the second request hangs
            time.sleep(0.3)
            if store.exists() and _generated(store) >= 1:
                break
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        server.kill()
    assert proc.returncode == 130 and took < 8, (proc.returncode, took, stderr)
    assert "interrupted" in stderr and "Traceback" not in stderr
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    assert manifest["interrupted"] is True and manifest["exit_code"] == 130
    assert manifest["failures"][-1]["kind"] == "interrupted" and manifest["chunks"]["generated"] == 1
    assert _generated(store) == 1  # the finished chunk is kept: the next run does not ask for it again


def _generated(store: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.real
def test_ctrl_c_during_the_embedded_teachers_generation_stops_at_once_and_the_next_run_goes_on(tmp_path):
    """The in-process teacher is aborted inside llama.cpp (no crash, no wait for the reply), and the
    run after it asks only for the chunks that were not finished."""
    import shutil

    root = tmp_path / "example"
    shutil.copytree(REPO / "corpora" / "example", root, ignore=shutil.ignore_patterns(".groundqa", "out"))
    proc = subprocess.Popen([sys.executable, "-m", "generation", "run", "-q", str(root)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    store = root / ".groundqa" / "state.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _generated(store) < 1:
        time.sleep(0.2)
    time.sleep(0.5)  # inside the next chunk's generation
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - sent < 8, (proc.returncode, stderr[-2000:])
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    finished = manifest["chunks"]["generated"]
    assert manifest["interrupted"] and 1 <= finished < manifest["chunks"]["total"]
    again = subprocess.run([sys.executable, "-m", "generation", "run", "-q", str(root)], cwd=REPO, capture_output=True, text=True, timeout=300)
    manifest = json.loads((root / "out" / "manifest.json").read_text())
    assert again.returncode == 0 and manifest["chunks"]["reused"] == finished and manifest["pairs"]["published"] > 0


def test_an_interrupt_after_the_swap_leaves_the_new_set_shown_and_recorded(corpus_dir, monkeypatch):
    from generation.pipeline.store import Store

    run(corpus_dir)
    (corpus_dir / "dale.md").write_text("# Dale\n\nThe Dale Tower was built in 1911.")

    def interrupted(self, names):
        raise KeyboardInterrupt

    monkeypatch.setattr(OutputSet, "_link_names", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(corpus_dir)
    out = corpus_dir / "out"
    folder = (out / "current").resolve()
    assert (folder / "pairs.jsonl").read_bytes().count(b"\n") == 4
    store = Store(corpus_dir / ".groundqa" / "state.sqlite")
    assert len(store.published_ids()) == 4  # `export` agrees with out/current
    store.close()


def test_a_failed_run_on_a_file_system_without_links_reports_only_its_own_failure(corpus_dir, monkeypatch):
    monkeypatch.setattr(publish, "_symlinks_work", lambda folder: False)
    run(corpus_dir)
    out = corpus_dir / "out"
    before = (out / "pairs.jsonl").read_bytes()
    (corpus_dir / "alder.md").unlink()
    (corpus_dir / "birch.txt").unlink()
    with pytest.raises(RunError):
        run(corpus_dir)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["kind"] for f in manifest["failures"]] == ["mass_retirement"] and manifest["pairs"]["published"] == 3
    assert (out / "pairs.jsonl").read_bytes() == before and not list((out / ".sets").glob("*"))


def test_a_store_from_a_newer_groundqa_is_a_message(corpus_dir):
    run(corpus_dir)
    db = sqlite3.connect(corpus_dir / ".groundqa" / "state.sqlite")
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer groundqa"):
        run(corpus_dir)
