"""Bytes -> str for the text-based readers, and the test of whether bytes are text at all.

A byte-order mark wins, then BOM-less UTF-16, then UTF-8 (bytes that are valid UTF-8 are nearly never
anything else), then a charset the document declares (an HTML meta tag), then cp1252, then Latin-1,
which cannot fail.
"""

from __future__ import annotations

import codecs
import logging

from .records import SourceError

logger = logging.getLogger(__name__)

# How much of a file the text/binary sniffing reads.
SNIFF_BYTES = 8192
# Share of control bytes (other than tab, line feed, CR, form feed, ESC) above which a file is
# binary. Text in any 8-bit encoding has next to none; random or compressed bytes have 11 %.
BINARY_CONTROL_SHARE = 0.05
# BOM-less UTF-16: the share of NUL bytes at odd (LE) or even (BE) offsets. Latin-script
# UTF-16 has a NUL in nearly every high byte; 0.3 still accepts text that is two-thirds CJK-free
# letters, and the other half must be nearly NUL-free (binary has NULs everywhere).
UTF16_NUL_SHARE = 0.3
UTF16_OTHER_NUL_SHARE = 0.02

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when the NUL bytes fall on one side of each byte pair."""
    sample = data[: SNIFF_BYTES & ~1]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= UTF16_NUL_SHARE * half and even <= UTF16_OTHER_NUL_SHARE * half:
        return "utf-16-le"
    if even >= UTF16_NUL_SHARE * half and odd <= UTF16_OTHER_NUL_SHARE * half:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes (outside UTF-16/32 text) or a high share of control bytes in the first 8 KB."""
    if _bom(data) or _utf16_without_bom(data):
        return False
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > BINARY_CONTROL_SHARE * len(sample)


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes -> str: a byte-order mark wins, then BOM-less UTF-16, then UTF-8, then the `declared`
    charset (an HTML meta tag), then cp1252, then Latin-1 (which cannot fail)."""
    found = _bom(data)
    if found:
        encoding, skip = found
        try:
            return data[skip:].decode(encoding)
        except UnicodeDecodeError as exc:
            name = encoding.upper()
            where = f"{exc.reason} at byte {exc.start + skip}"
            raise SourceError("encoding", f"starts with a {name} byte-order mark but is not {name}: {where}") from exc
    utf16 = _utf16_without_bom(data)
    candidates = [utf16] if utf16 else []
    candidates.append("utf-8")
    if declared:
        try:
            # as browsers do: a page that says Latin-1 or ASCII is read as its superset cp1252
            info = codecs.lookup(declared)
            if getattr(info, "_is_text_encoding", True):  # not rot13, base64, hex, zlib: not a charset
                candidates.append("cp1252" if info.name in ("latin-1", "iso8859-1", "ascii") else info.name)
        except LookupError:
            logger.debug("unknown declared charset %r", declared)
    candidates.append("cp1252")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")
