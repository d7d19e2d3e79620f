"""Find the documents of a folder and fetch web pages: bytes in, with where they came from."""

from __future__ import annotations

import errno
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISBLK, S_ISCHR, S_ISDIR, S_ISFIFO, S_ISREG, S_ISSOCK
from typing import Any, Iterator
from urllib.parse import urlparse

from .deadline import Watchdog
from .records import SourceError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200_000_000
USER_AGENT = "groundqa/0.1 (+https://pypi.org/project/groundqa/)"
# Seconds to connect and between bytes read, and for the whole page, headers included (a server that
# sends a byte every few seconds never trips the first): a slow page fails and the run goes on.
FETCH_TIMEOUT = 20.0
FETCH_DEADLINE = 120.0


@dataclass(frozen=True)
class FileStat:
    """What a file's metadata says about its bytes without reading them: size, modification time in
    nanoseconds, inode. The same three since the last read are taken for the same bytes, as rsync's quick
    check (size and mtime) and git's index (stat data) do; the inode catches a file replaced by another
    (an editor's save-by-rename, a sync tool's copy) with the same size and time."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, stat: os.stat_result) -> "FileStat":
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino)


@dataclass
class Raw:
    """The bytes of one source as read, before its kind is known."""

    source_id: str
    data: bytes = b""
    mtime: float | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    # not read: a web page that answered 304 to a conditional request, or a file whose FileStat is the one
    # it was read with before (read_file's `unless`)
    not_modified: bool = False
    stat: FileStat | None = None  # a file's, as it was when read

    @property
    def name(self) -> str:
        return urlparse(self.source_id).path if is_url(self.source_id) else self.source_id


def is_url(text: str) -> bool:
    return "://" in text


_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")


def redact(text: str) -> str:
    """`text` with the user-info of every URL in it replaced: "https://***@host/page" for
    "https://user:secret@host/page". What is shown or stored of a URL goes through this; the request
    itself uses the URL whole."""
    return _USERINFO.sub("***@", text) if "@" in text else text


class RedactingFilter(logging.Filter):
    """For a log handler: every record it passes has the user-info of its URLs replaced, the lines of
    libraries included (httpx logs "HTTP Request: GET https://user:secret@host/page" at INFO). The CLI
    puts one on its handlers; library code logs redacted URLs itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: logging reports it as it would
            return True
        if "@" in message:
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        return True


LOG_REDACTION = RedactingFilter()


# Characters a name must not carry into a log line, a terminal or a Markdown table: C0 and C1 controls
# (a newline forges a log line, ESC starts a terminal escape), bidi controls (they reorder what is shown),
# and the table's own "|".
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(name: str) -> str:
    """A source id (or any name) as it may be printed: control and bidi characters written as \\n, \\x1b,
    \\u202e, user-info of URLs replaced. The name itself is unchanged everywhere else."""
    name = redact(name)
    if not _UNPRINTABLE.search(name):
        return name
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), name)


def table_cell(text: str) -> str:
    """Text for a Markdown table cell: `shown`, with "|" escaped."""
    return shown(text).replace("|", "\\|")


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """`**` matches any number of folders, `*` and `?` stay within one path part."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """Whether a source id matches a glob of [sources] paths or exclude (both compared in NFC)."""
    return _glob_regex(unicodedata.normalize("NFC", pattern.removeprefix("./"))).match(path) is not None


def walk(
    folder: Path,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    skip: list[Path] | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> Iterator[tuple[str, Path]]:
    """(source_id, path) of every file under `folder` that the globs select, in a stable order.

    Hidden files and folders (`.groundqa/`, `.git/`) and the folders in `skip` are left out; symbolic
    links are followed only where they stay inside `folder` (those that lead out are appended to
    `skipped` as (source_id, reason)). A link loop is yielded, for reading to name it. A name that is
    not UTF-8 gets an id with its bytes escaped ("caf\\xe9.md"), the same on every run."""
    root = folder.resolve()
    include = include or ["**/*"]
    exclude = exclude or []
    skip_paths = {p.resolve() for p in (skip or [])}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and _resolved(here / d) not in skip_paths and _inside(here / d, root) is not False
        )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            # `here` is a real folder (os.walk does not enter linked ones), so only a link needs resolving: one
            # lstat a file instead of one for each part of its path (a third of an unchanged night's scan)
            link = path.is_symlink()
            if (_resolved(path) if link else path) in skip_paths:
                continue
            rel = source_id_of(path.relative_to(root).as_posix())
            if not any(glob_match(rel, g) for g in include) or any(glob_match(rel, g) for g in exclude):
                continue
            if link and _inside(path, root) is False:
                logger.info("skipping %s: a link that leads out of %s", path, root)
                if skipped is not None:
                    skipped.append((rel, f"a symbolic link to {_target(path)}, outside the corpus folder: not read"))
                continue
            yield rel, path


def source_id_of(relative: str) -> str:
    """A relative path as a source id: bytes that are not UTF-8 escaped as \\xNN, so it can be stored
    and printed, and in Unicode's composed form (NFC): a folder copied from macOS names "café" with a
    separate accent (NFD), and is still the same documents. The file is read by its real name."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        relative = os.fsencode(relative).decode("utf-8", "backslashreplace")
    return unicodedata.normalize("NFC", relative)


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # a link loop
        return None


def _target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "elsewhere"


def _inside(path: Path, root: Path) -> bool | None:
    """Whether a link stays inside `root`; None when it cannot be resolved (a loop: reading names it)."""
    if not path.is_symlink():
        return True
    resolved = _resolved(path)
    if resolved is None:
        return None
    try:
        resolved.relative_to(root)
        return True
    except ValueError:
        return False


def read_file(source_id: str, path: Path, max_bytes: int = DEFAULT_MAX_BYTES, unless: FileStat | None = None) -> Raw:
    """The bytes of a regular file, at most `max_bytes` (counted while reading: a file that grows, or a
    /proc file that says 0, cannot get past it). A FIFO, device or socket is never opened.

    `unless`: the FileStat of the last read; a file that still has it is not opened, and comes back
    `not_modified` with no bytes (the caller keeps what it made of the last read)."""
    try:
        stat = path.stat()  # a dangling link, a link loop, or a file deleted since the walk fails here
        if not S_ISREG(stat.st_mode):
            raise SourceError("not_a_regular_file", f"a {_file_type(stat.st_mode)}, not a file: not read")
        if stat.st_size > max_bytes:
            raise SourceError("too_large", f"{stat.st_size:,} bytes is over max_bytes = {max_bytes:,}")
        if unless is not None and FileStat.of(stat) == unless:
            return Raw(source_id=source_id, mtime=stat.st_mtime, not_modified=True, stat=unless)
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise SourceError("too_large", f"more than max_bytes = {max_bytes:,} bytes")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError("symlink_loop", "a symbolic link that leads back to itself") from exc
        raise SourceError("unreadable", f"{exc.strerror or exc}") from exc
    return Raw(source_id=source_id, data=data, mtime=stat.st_mtime, stat=FileStat.of(stat))


def _file_type(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), "special file")


_FILE_TYPES = [(S_ISFIFO, "named pipe (FIFO)"), (S_ISCHR, "character device"), (S_ISBLK, "block device"), (S_ISSOCK, "socket"), (S_ISDIR, "folder")]


@lru_cache(maxsize=1)
def _ssl_context() -> Any:
    """One SSL context for every fetch: httpx builds a new one for each client otherwise (20 ms here, as
    long as fetching a local page)."""
    import httpx

    return httpx.create_ssl_context()


def fetch_client() -> Any:
    """An httpx client that `fetch_url` calls may share, from several threads at once. It keeps no
    connection alive between fetches, so each fetch's deadline watchdog (ingest.deadline) sees every
    socket the fetch uses."""
    import httpx

    return httpx.Client(
        verify=_ssl_context(), follow_redirects=True, headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
    )


def fetch_url(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = FETCH_TIMEOUT,
    deadline: float = FETCH_DEADLINE,
    client: Any = None,
    watchdog: Watchdog | None = None,
) -> Raw:
    """GET an http(s) URL (conditionally when `etag` / `last_modified` are known), at most `max_bytes`.

    `timeout` bounds each step (connecting, each read); `deadline` the whole fetch, headers included (a
    page that trickles its headers or its body is cut there). `client`: one made by `fetch_client`, to
    share; `watchdog`: a Watchdog not yet entered, for a caller that may cut the fetch short itself
    (its seconds replace `deadline`)."""
    import httpx

    try:
        scheme = urlparse(url).scheme.lower()
    except ValueError as exc:  # "http://[::1" and the like
        raise SourceError("bad_url", f"not a valid URL: {exc}") from exc
    if scheme not in ("http", "https"):
        raise SourceError("bad_url", f"only http and https URLs are fetched, not {scheme or 'a bare path'!r}")
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    dog = watchdog or Watchdog(deadline)
    deadline = dog.seconds
    steps = httpx.Timeout(timeout, connect=min(timeout, deadline))
    own = client is None
    client = client or fetch_client()
    body = bytearray()
    answered = False

    def late() -> SourceError:
        got = f"{len(body):,} bytes so far" if answered else "its headers not complete"
        return SourceError("fetch_failed", f"the page took more than {deadline:g} s to arrive ({got})")

    try:
        with dog, client.stream("GET", url, headers=headers, timeout=steps, extensions=dog.extensions) as response:
            answered = True
            if response.status_code == 304:
                return Raw(source_id=redact(url), etag=etag, last_modified=last_modified, not_modified=True)
            if response.status_code >= 400:
                raise SourceError("http_error", f"HTTP {response.status_code} {response.reason_phrase}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise SourceError("too_large", f"{int(declared):,} bytes is over max_bytes = {max_bytes:,}")
            for part in response.iter_bytes():
                body += part
                if len(body) > max_bytes:
                    raise SourceError("too_large", f"more than max_bytes = {max_bytes:,} bytes")
                if dog.expired:
                    raise late()
            if dog.fired:  # a body that ends at the close (HTTP/1.0) ends when the watchdog shuts it: cut
                raise late()
            return Raw(
                source_id=redact(url),
                data=bytes(body),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                content_type=response.headers.get("content-type"),
            )
    except httpx.HTTPError as exc:
        if dog.expired:
            raise late() from exc
        if isinstance(exc, httpx.TimeoutException):
            raise SourceError("fetch_failed", f"timed out after {timeout:g} s ({type(exc).__name__})") from exc
        if isinstance(exc, httpx.UnsupportedProtocol):
            raise SourceError("bad_url", f"not a valid URL: {exc}") from exc
        raise SourceError("fetch_failed", f"{type(exc).__name__}: {exc}") from exc
    except (httpx.InvalidURL, ValueError) as exc:  # a URL httpx cannot parse
        raise SourceError("bad_url", f"not a valid URL: {exc}") from exc
    finally:
        if own:
            client.close()
