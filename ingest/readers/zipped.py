"""Zip containers: DOCX, PPTX and XLSX (Office Open XML), ODT, ODP and ODS (OpenDocument) and EPUB are zip
archives of XML parts. This module types such an archive by what it holds and opens it safely; the
readers of those formats build on it.

Typed by content, never by the name alone:

- Office Open XML by the content type of its main part in `[Content_Types].xml`
  (`...wordprocessingml.document.main+xml` is a DOCX, whatever the file is called);
- OpenDocument by its `mimetype` entry (`application/vnd.oasis.opendocument.text` is an ODT);
- EPUB by its `mimetype` entry (`application/epub+zip`), or, where a packager left that out, by a
  `META-INF/container.xml` that names an OPF package.

A zip that is none of these is `unsupported_type`; bytes named `.docx` that are not a zip at all are
`corrupt` (or `encrypted`: a password-protected Office file is an OLE compound file, not a zip).

Before a reader or a library reads a part, `open_zip` checks the archive's own directory: how many
entries, how many bytes they hold uncompressed (the sizes a zip declares are what `zipfile` reads at
most, so a bomb is caught before anything is inflated), and that no entry's path leads outside the
archive. Each is a counted reason: `zip_bomb`, `unsafe_zip`.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from functools import lru_cache
from urllib.parse import unquote

from ..records import SourceError

ZIP_MAGIC = b"PK\x03\x04"
# An OLE compound file: Word/Excel/PowerPoint 97-2003, and the envelope of a password-protected
# DOCX/XLSX/PPTX (its "EncryptedPackage" stream holds the encrypted zip).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

# Entries of one archive. A long real DOCX or EPUB has tens to a few hundred (parts, images, fonts: the
# real documents of bench/office.py have at most 200, the Ubuntu Packaging Guide in several languages);
# a photo-heavy e-book a few thousand. Past 10,000 the archive is not a document but a file dump, or built
# to make every directory walk slow.
ZIP_MAX_ENTRIES = 10_000
# Bytes the entries hold uncompressed, together. Office libraries read every part into memory (python-pptx,
# python-docx), so this must stay well under the worker's memory budget (extract_memory_mb, 4 GiB by
# default); the largest real document of bench/office.py holds 2.9 MB, a long report with photographs
# a few hundred MB.
ZIP_MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
# One entry inflating more than ZIP_BOMB_RATIO times, to more than ZIP_BOMB_MIN_BYTES, is a bomb: the parts
# of bench/office.py's real documents inflate at most 70 times (a DOCX's numbering.xml), a spreadsheet's
# repetitive sharedStrings perhaps 100 times; a zip bomb's members 1,000 times. Small entries may compress
# as they like.
ZIP_BOMB_RATIO = 200
ZIP_BOMB_MIN_BYTES = 10 * 1024 * 1024
# One XML part a reader parses itself (content.xml, a chapter): the largest of bench/office.py's is 1.3 MB.
ZIP_MAX_PART_BYTES = 256 * 1024 * 1024

# The main part's content type of each Office Open XML kind (documents, templates, macro-enabled).
OOXML_MAIN_TYPES = {
    "docx": re.compile(rb"wordprocessingml\.(?:document|template)\.main\+xml|ms-word\.(?:document|template)\.macroEnabled"),
    "pptx": re.compile(rb"presentationml\.(?:presentation|slideshow|template)\.main\+xml|ms-powerpoint\.(?:presentation|slideshow|template)\.macroEnabled"),
    "xlsx": re.compile(rb"spreadsheetml\.(?:sheet|template)\.main\+xml|ms-excel\.(?:sheet|template)\.macroEnabled"),
}
ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.presentation-template": "odp",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
EPUB_MIMETYPE = "application/epub+zip"


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


@lru_cache(maxsize=2)  # detect_kind asks every reader's sniff about the same bytes in turn
def zip_kind(data: bytes) -> str | None:
    """The format of a zip archive by what it holds ("docx", "odt", "epub", ...); None when it is not a
    zip that can be opened, or holds none of the formats read."""
    if not is_zip(data):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = _small(archive, "mimetype").decode("ascii", "replace").strip()
                if mimetype == EPUB_MIMETYPE:
                    return "epub"
                if mimetype in ODF_MIMETYPES:
                    return ODF_MIMETYPES[mimetype]
            if "[Content_Types].xml" in names:
                types = _small(archive, "[Content_Types].xml")
                for kind, pattern in OOXML_MAIN_TYPES.items():
                    if pattern.search(types):
                        return kind
            if "META-INF/container.xml" in names and b"oebps-package+xml" in _small(archive, "META-INF/container.xml"):
                return "epub"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return None
    return None


def is_unknown_zip(data: bytes) -> bool:
    """A zip archive that opens but is none of the formats read (a .zip, a .jar, a renamed archive)."""
    if not is_zip(data) or zip_kind(data) is not None:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)):
            return True
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return False


def _small(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    """An entry read for typing only: at most `limit` bytes, whatever it claims."""
    with archive.open(name) as f:
        return f.read(limit)


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The archive of a `what` ("DOCX"), its directory checked: SourceError `corrupt` (not a zip, or a
    damaged one), `encrypted` (a password-protected Office file, an encrypted zip), `zip_bomb`
    (too many entries or bytes) or `unsafe_zip` (an entry path that leads outside the archive)."""
    if not is_zip(data):
        if data.startswith(OLE_MAGIC):
            if _ENCRYPTED_PACKAGE in data:
                raise SourceError("encrypted", f"a password-protected {what}: open it and save it without a password")
            raise SourceError("corrupt", f"not a {what}: an OLE file (a Word, Excel or PowerPoint 97-2003 document? save it as {what})")
        raise SourceError("corrupt", f"not a {what}: it is not a zip archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise SourceError("corrupt", f"corrupt {what}: its zip directory cannot be read ({exc})") from exc
    try:
        check_archive(archive, what)
    except SourceError:
        archive.close()
        raise
    return archive


def check_archive(archive: zipfile.ZipFile, what: str) -> None:
    entries = archive.infolist()
    if len(entries) > ZIP_MAX_ENTRIES:
        raise SourceError("zip_bomb", f"the {what} holds {len(entries):,} entries, over ZIP_MAX_ENTRIES = {ZIP_MAX_ENTRIES:,}")
    total = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise SourceError("encrypted", f"an encrypted {what}: its entry {info.filename!r} needs a password")
        if not safe_member(info.filename):
            raise SourceError("unsafe_zip", f"the {what} has an entry whose path leads outside the archive: {info.filename[:200]!r}")
        total += info.file_size
        if info.file_size > ZIP_BOMB_MIN_BYTES and info.file_size > ZIP_BOMB_RATIO * max(info.compress_size, 1):
            raise SourceError(
                "zip_bomb",
                f"the {what}'s entry {info.filename[:200]!r} inflates {info.compress_size:,} bytes to {info.file_size:,} "
                f"(over {ZIP_BOMB_RATIO} times: ZIP_BOMB_RATIO)",
            )
    if total > ZIP_MAX_UNCOMPRESSED_BYTES:
        raise SourceError(
            "zip_bomb", f"the {what} inflates to {total:,} bytes, over ZIP_MAX_UNCOMPRESSED_BYTES = {ZIP_MAX_UNCOMPRESSED_BYTES:,}"
        )


def safe_member(name: str) -> bool:
    """An entry path that stays inside the archive: relative, no "..", no drive letter, no backslash tricks."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return False
    return ".." not in name.split("/")


def resolve(base: str, href: str) -> str | None:
    """The archive path that `href` (a link inside the part at `base`) names; None when it leads outside
    the archive ("../../etc/passwd", "/etc/passwd") or off to the web."""
    href = unquote(href.split("#", 1)[0].split("?", 1)[0])
    if not href:
        return base
    if "://" in href or href.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), href))
    return None if joined == ".." or joined.startswith("../") else joined


def read_part(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    """One part of an archive already checked by `open_zip`; `corrupt` when it is missing or damaged."""
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise SourceError("corrupt", f"corrupt {what}: it has no {name}") from exc
    if info.file_size > ZIP_MAX_PART_BYTES:
        raise SourceError("zip_bomb", f"the {what}'s {name} is {info.file_size:,} bytes, over ZIP_MAX_PART_BYTES = {ZIP_MAX_PART_BYTES:,}")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SourceError("corrupt", f"corrupt {what}: {name} cannot be inflated ({exc})") from exc


def xml_parser():
    """An lxml parser for parts of an archive: no DTDs, no entities expanded, no network."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)


def parse_xml(data: bytes, name: str, what: str):
    from lxml import etree

    try:
        return etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceError("corrupt", f"corrupt {what}: {name} is not well-formed XML ({exc})") from exc
