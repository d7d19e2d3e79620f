"""Text normalization shared by every extractor: one form of the same text, whatever it came from.

What `normalize` guarantees about its result:

- Unicode NFC; typographic ligatures folded to their letters (ﬁ -> fi, ﬄ -> ffl, ĳ -> ij);
  soft hyphens, zero-width spaces, byte-order marks and control characters removed;
  no-break, thin, ideographic and other odd spaces turned into plain spaces; tabs too.
- Inside a line, runs of spaces collapse to one space; a line's leading indentation is kept
  (Markdown code blocks and nested lists depend on it); trailing spaces are stripped.
- Line ends are "\\n" (CRLF, CR, U+2028 converted); a paragraph break is exactly "\\n\\n"
  (form feeds and U+2029 count as one); three or more line breaks become two.
- Single line breaks inside a paragraph are **kept**: in Markdown and plain text they carry
  structure (list items, table rows, verse). Extractors whose line breaks are only layout
  (PDF) call `unwrap_lines` themselves.
- No leading or trailing whitespace on the whole text.

`normalize` is idempotent: `normalize(normalize(t)) == normalize(t)`. Everything is done by
`str` methods and compiled regular expressions; nothing loops over characters in Python.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic ligatures and digraph letters that are only a typesetting choice. NFKC would fold
# these too, but it also rewrites superscripts, fractions and full-width forms, which carry meaning.
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",  # long s + t
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
    "\ua732": "AA",
    "\ua733": "aa",
}
# Spaces that are not U+0020, and the tab: each becomes one plain space.
ODD_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# Characters that are dropped: the soft hyphen, zero-width space, word joiner, BOM (zero-width
# no-break space), C0/C1 control characters other than tab, line feed, form feed and CR, and the bidi
# controls (marks, embeddings, overrides, isolates: they reorder what a reader sees without changing the
# text's words, the trick of "Trojan Source"; the logical order of the text is what training reads).
# ZWJ / ZWNJ stay: emoji sequences and Indic scripts need them.
DROPPED = "\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"

_REPLACEMENTS = {**LIGATURES, **{c: " " for c in ODD_SPACES}}
_REPLACEMENTS.update({"\u2028": "\n", "\x0b": "\n", "\x0c": "\n\n", "\u2029": "\n\n", "\r": "\n"})
# One character class for both (a class without a quantifier is what the regex engine scans fastest).
_SPECIAL = re.compile("[" + DROPPED + "".join(map(re.escape, _REPLACEMENTS)) + "]")
_TRAILING_SPACE = re.compile(r" +$", re.M)
_SPACE_RUN = re.compile(r"  +")
_MANY_BREAKS = re.compile(r"\n{3,}")


def _replacement(m: re.Match[str]) -> str:
    return _REPLACEMENTS.get(m.group(), "")


def normalize(text: str) -> str:
    """The one normal form of extracted text (see the module docstring for the rules)."""
    text = _SPECIAL.sub(_replacement, text.replace("\r\n", "\n"))
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if " \n" in text:
        text = _TRAILING_SPACE.sub("", text)
    if "  " in text:
        text = _SPACE_RUN.sub(lambda m: m.group() if m.start() == 0 or text[m.start() - 1] == "\n" else " ", text)
    if "\n\n\n" in text:
        text = _MANY_BREAKS.sub("\n\n", text)
    return text.strip()


# A hyphen (ASCII, U+2010, or a soft hyphen) that ends a line, right after a letter or digit and
# right before a line that starts with one: a word broken across lines by the typesetter.
# (The hyphen comes first in the pattern, so that the regex engine scans for it in C.)
_LINE_END_HYPHEN = re.compile(r"([-\u2010\u00ad])(?<=\w.)[ \t]*\n[ \t]*(?=\w)")
_WORD_BEFORE = re.compile(r"\w+\Z")
_WORD_AFTER = re.compile(r"\w+")
_HYPHEN_THEN_WORD = re.compile(r"[-\u2010](\w+)")  # groff writes a source's every hyphen as U+2010
# How far back a broken word may start: longer "words" are ids or garbage and stay as they are.
_MAX_WORD = 64


def hyphenated_words(text: str) -> set[str]:
    """The pairs of words written with a hyphen (ASCII or U+2010) between them on one line ("well-known";
    "state-of-the-art" gives "state-of", "of-the", "the-art"), lowercased."""
    pairs = set()
    for m in _HYPHEN_THEN_WORD.finditer(text):
        before = _WORD_BEFORE.search(text, max(0, m.start() - _MAX_WORD), m.start())
        if before:
            pairs.add(f"{before.group()}-{m.group(1)}".lower())
    return pairs


def join_typeset_hyphens(text: str) -> str:
    """Join the words a typesetter broke with U+2010 HYPHEN at a line end, as groff does in a man page rendered
    to text ("com\u2010\n       piler" -> "compiler"), by `join_hyphenated`'s rules. An ASCII hyphen at a line
    end in plain text is the author's ("--\nverbose", "2019-\n20") and stays."""
    if "\u2010" not in text:
        return text
    return join_hyphenated(text, hyphens="\u2010")


def join_hyphenated(text: str, compounds: set[str] | None = None, hyphens: str | None = None) -> str:
    """Join words that a line-end hyphen split: "adip-\\niscing" -> "adipiscing".

    The rule, for a hyphen right after a letter at the end of a line:

    - the next line starts with a lowercase letter: the hyphen was the typesetter's, and goes
      ("adip-\\niscing" -> "adipiscing") -- unless the document writes the joined word with a
      hyphen somewhere else on one line ("well-known" elsewhere keeps "well-\\nknown" as
      "well-known"). Without a dictionary, the document's own spelling is the best witness.
    - the next line starts with a capital or a digit: a real compound ("Anglo-\\nSaxon",
      "COVID-\\n19"); the hyphen stays and the line break goes.
    - a soft hyphen (U+00AD) at a line end always joins without a hyphen.

    A hyphen followed by an empty line (a paragraph break) is left alone. `compounds` is the set
    of hyphenated words to trust (`hyphenated_words` of the whole document, for text that is
    joined a page at a time); by default it is read from `text`. `hyphens`: only these hyphen characters.
    """
    known = compounds

    def join(m: re.Match[str]) -> str:
        nonlocal known
        hyphen = m.group(1)
        if hyphens is not None and hyphen not in hyphens:
            return m.group()
        if hyphen == "\u00ad":
            return ""
        after = _WORD_AFTER.match(text, m.end())
        first = after.group()[0] if after else ""
        if not first.islower():
            return hyphen
        before = _WORD_BEFORE.search(text, max(0, m.start() - _MAX_WORD), m.start())
        if before is None or not before.group()[-1].isalpha():
            return hyphen
        if known is None:
            known = hyphenated_words(text)
        if f"{before.group()}-{after.group()}".lower() in known:
            return hyphen
        return ""

    return _LINE_END_HYPHEN.sub(join, text)


# A line break inside a paragraph, unless the next line opens a list item (a bullet, a dash, or
# "1." / "a)" / "(b)") -- those breaks are structure even in a PDF.
_SOFT_BREAK = re.compile(r"\n(?<=[^\n]\n)(?![ \t]*(?:\n|[-*•·▪◦‣–]\s|\(?(?:\d{1,3}[.)]|[a-z]\))\s))[ \t]*")


def unwrap_lines(text: str) -> str:
    """Turn the single line breaks inside paragraphs into spaces, for text whose lines were cut by
    layout (a PDF's lines). Paragraph breaks and list items keep their line breaks."""
    return _SOFT_BREAK.sub(" ", text)
