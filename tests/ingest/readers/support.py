"""Reading one source in the tests of the readers: its kind detected, then extracted."""

import pytest

from ingest.readers import ReadOptions, detect_kind, extract
from ingest.records import Document, Source, SourceError, sha256_hex


def read(name: str, data: bytes, kind: str | None = None, options: ReadOptions = ReadOptions()) -> Document:
    source = Source(source_id=name, kind=kind or detect_kind(name, data), content_sha256=sha256_hex(data), size=len(data))
    return extract(source, data, options)


def failure(name: str, data: bytes, kind: str | None = None, options: ReadOptions = ReadOptions()) -> SourceError:
    with pytest.raises(SourceError) as caught:
        read(name, data, kind, options)
    return caught.value
