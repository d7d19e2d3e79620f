"""The one path by which sources are read: files of a folder and web pages, bytes in, each with where it
came from or the reason it could not be read. `groundqa ingest` and the run's scan stage both read
through `read_all`.

A file is read by `sources.read_file` (regular files only, capped while reading), a web page by
`sources.fetch_url` (conditionally, when the last run's ETag or Last-Modified is known). What fails is a
`SourceError` in the stream, in its place, never an exception: the caller counts it and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

from .records import SourceError
from .sources import DEFAULT_MAX_BYTES, Raw, fetch_url, read_file, redact


@dataclass(frozen=True)
class FileRef:
    """A file to read: its source id (the path relative to the corpus, or as given) and where it is."""

    source_id: str
    path: Path


@dataclass(frozen=True)
class UrlRef:
    """A web page to fetch: its source id (the URL with any user-info replaced), the URL itself, and the
    validators of the last fetch, for a conditional request."""

    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Missing:
    """A path that was asked for and is not there."""

    source_id: str


Ref = Union[FileRef, UrlRef, Missing]


def read_all(refs: Iterable[Ref], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[tuple[str, Raw | SourceError]]:
    """(source id, its bytes or why they could not be read) for each ref, in order."""
    for ref in refs:
        yield ref.source_id, read_one(ref, max_bytes=max_bytes)


def read_one(ref: Ref, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Raw | SourceError:
    try:
        if isinstance(ref, FileRef):
            return read_file(ref.source_id, ref.path, max_bytes)
        if isinstance(ref, UrlRef):
            return fetch_url(ref.url, max_bytes=max_bytes, etag=ref.etag, last_modified=ref.last_modified)
        return SourceError("not_found", "no such file or folder")
    except SourceError as exc:
        return SourceError(exc.kind, redact(exc.message))
