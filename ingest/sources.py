"""Find the documents of a folder and fetch web pages: bytes in, with where they came from."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Iterator
from urllib.parse import urlparse

from .records import Document, Source, SourceError, sha256_hex

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200_000_000
USER_AGENT = "groundqa/0.1 (+https://pypi.org/project/groundqa/)"
# Seconds to connect and between bytes read: a slow page fails and the run goes on.
FETCH_TIMEOUT = 20.0


@dataclass
class Raw:
    """The bytes of one source as read, before its kind is known."""

    source_id: str
    data: bytes = b""
    mtime: float | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    not_modified: bool = False  # a web page that answered 304 to a conditional request

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
    return _glob_regex(pattern.removeprefix("./")).match(path) is not None


def walk(
    folder: Path,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    skip: list[Path] | None = None,
) -> Iterator[tuple[str, Path]]:
    """(source_id, path) of every file under `folder` that the globs select, in a stable order.

    Hidden files and folders (`.groundqa/`, `.git/`) and the folders in `skip` are left out;
    symbolic links are followed only where they stay inside `folder`."""
    root = folder.resolve()
    include = include or ["**/*"]
    exclude = exclude or []
    skipped = {p.resolve() for p in (skip or [])}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skipped and _inside(here / d, root)
        )
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.resolve() in skipped:
                continue
            if not _inside(path, root):
                logger.info("skipping %s: a link that leads out of %s", path, root)
                continue
            rel = PurePosixPath(path.relative_to(root).as_posix()).as_posix()
            if any(glob_match(rel, g) for g in include) and not any(glob_match(rel, g) for g in exclude):
                yield rel, path


def _inside(path: Path, root: Path) -> bool:
    if not path.is_symlink():
        return True
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def read_file(source_id: str, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Raw:
    try:
        stat = path.stat()  # a dangling link, or a file deleted since the walk, fails here
        if stat.st_size > max_bytes:
            raise SourceError("too_large", f"{stat.st_size:,} bytes is over max_bytes = {max_bytes:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError("unreadable", f"{exc.strerror or exc}") from exc
    return Raw(source_id=source_id, data=data, mtime=stat.st_mtime)


def fetch_url(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = FETCH_TIMEOUT,
) -> Raw:
    """GET an http(s) URL (conditionally when `etag` / `last_modified` are known), at most `max_bytes`."""
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
    try:
        with httpx.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as response:
            if response.status_code == 304:
                return Raw(source_id=redact(url), etag=etag, last_modified=last_modified, not_modified=True)
            if response.status_code >= 400:
                raise SourceError("http_error", f"HTTP {response.status_code} {response.reason_phrase}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise SourceError("too_large", f"{declared:,} bytes is over max_bytes = {max_bytes:,}")
            body = bytearray()
            for part in response.iter_bytes():
                body += part
                if len(body) > max_bytes:
                    raise SourceError("too_large", f"more than max_bytes = {max_bytes:,} bytes")
            return Raw(
                source_id=redact(url),
                data=bytes(body),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                content_type=response.headers.get("content-type"),
            )
    except httpx.TimeoutException as exc:
        raise SourceError("fetch_failed", f"timed out after {timeout:g} s ({type(exc).__name__})") from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
        raise SourceError("bad_url", f"not a valid URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise SourceError("fetch_failed", f"{type(exc).__name__}: {exc}") from exc


def to_source(raw: Raw) -> Source:
    """The Source record of bytes just read: kind typed by content and name, content hash."""
    from .extract import detect_kind

    name = raw.name
    if raw.content_type and "html" in raw.content_type.lower() and not name.lower().endswith((".pdf", ".txt", ".md")):
        name = name.rstrip("/") + ".html"
    kind = detect_kind(name, raw.data)
    return Source(
        source_id=raw.source_id,
        kind=kind,
        content_sha256=sha256_hex(raw.data),
        size=len(raw.data),
        mtime=raw.mtime,
        etag=raw.etag,
        last_modified=raw.last_modified,
    )


def read_document(raw: Raw) -> tuple[Source, Document]:
    """Type, hash and extract one source. Raises SourceError with a countable kind."""
    from .extract import extract

    source = to_source(raw)
    return source, extract(source, raw.data)
