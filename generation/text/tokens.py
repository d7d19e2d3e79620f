"""Words as the checks compare them: tokens with a kind and a comparison key, vocabularies, folding.

A token's `key` is what two texts must share for one to state what the other does: "1,000" and "1000"
and "one thousand" are the number 1000; "founded", "founding" and "found" are one stem; "km" and
"kilometres" one unit; "took" is "take"; "cm³" is "cm3". `fold` makes text blind to case, whitespace,
punctuation and hyphenation, for aligning quotes. Everything here is a pure function of its text,
cached where the same words come back (a chunk's words, pair after pair).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

from .lexicon import (
    COMPARATIVES,
    DEMONYM_SUFFIXES,
    FRACTIONS,
    IRREGULAR,
    MONTHS,
    MONTHS_AND_DAYS,
    NAME_ENDINGS,
    NEGATIONS,
    NUMBER_WORDS,
    QUANTITY_WORDS,
    SCALES,
    SENTENCE_STARTERS,
    STOPWORDS,
    SYNONYMS,
    TENS,
    UNIT_SYMBOLS,
)
from .numbers import DECIMAL, fractions, normalize_number, number_key

WORD_CACHE_SIZE = 1 << 16
TEXT_CACHE_SIZE = 4096


class Token(NamedTuple):
    """One word, number or identifier of a text.

    kind: "num", "word", "date", "id" (letters and digits, "A320") or "stop" (a stopword); key: what it
    is compared by; raw: as written; parts: the keys of a hyphenated compound's parts ("well-known") or
    of a number's pieces ("3.9 million": "3.9", "million") — a compound is present where its joined form
    or every one of its parts is; initial: it starts a sentence, where a capital letter does not make a
    name."""

    kind: str
    key: str
    raw: str
    parts: tuple[str, ...]
    initial: bool


# A word, optionally with an apostrophe part ("Brenner's"), decimal or thousands parts ("1,000.5"),
# and hyphenated parts ("well-known", "1889-1902").
TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?(?:[.,]\d+)*(?:-[^\W_]+(?:[.,]\d+)*)*")
_TOKEN_SPLIT = re.compile(f"({TOKEN.pattern})")
# TOKEN for ASCII text, where its letters and digits are [A-Za-z0-9]: a quarter faster.
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z0-9]+)?(?:[.,]\d+)*(?:-[A-Za-z0-9]+(?:[.,]\d+)*)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SUFFIXED_NUMBER = re.compile(r"(\d+)(?:st|nd|rd|th|s)", re.I)
_NUMBER_WORD = re.compile(r"(\d+)([^\W\d_]{2,})")
_LINE_HYPHEN = re.compile(r"([^\W\d_])-(?:[ \t]*\n[ \t]*|[ \t]+)([^\W\d_])")  # "inter- national" -> "international"
ALNUM_RUN = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
POSSESSIVE = re.compile(r"['’]s$")
# "20 000 000 EUR": thousands set off by spaces, as European texts and standards write them.
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d|[.,]\d)")
_QUANTITY = re.compile(rf"\b(?:{'|'.join(sorted(QUANTITY_WORDS))}|(?:{'|'.join(sorted(TENS))})\s+[a-z]+)\b", re.I)
_FRACTION_CHARS = tuple(FRACTIONS)


def _has_fraction(text: str) -> bool:
    """The text has a fraction character ("½"): three substring searches, faster than a set of the text."""
    return any(c in text for c in _FRACTION_CHARS)
_UNIT_POWER = re.compile(r"(?:mm|cm|km|m|ft|in|mi|s|kg|g)[23]")
_ISO_DATE = re.compile(r"(?:1[5-9]|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])")
_QUANTITY_CUES = tuple(sorted(QUANTITY_WORDS | TENS))
_SPACED_CUE = re.compile(r"\d[ \u00a0\u202f]\d")  # what every _SPACED_THOUSANDS match has
MONTHS_LOWER = tuple(m.lower() for m in MONTHS)
# A run of capitalised words, function words between them allowed: what an acronym abbreviates
# ("European Union Public Licence": EUPL, EU; "Treaty on the Functioning of the European Union": TFEU).
_CAPITALISED_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|on|the|and|for|de|du|des|der|la|le|in)\s+)*[A-Z][\w’'-]*)+")
_ACRONYM_SKIP = frozenset("of on the and for de du des der la le in".split())
ACRONYM_MAX = 8
# Characters on each side of a number word or a spaced number that are read again to join a quantity
# ("one and a half", "3.9 million", "20 000 000"): longer than any number a quantity joins.
QUANTITY_REACH = 40


# -- words -----------------------------------------------------------------------------------------


def stem(word: str) -> str:
    """A light suffix stripper, the same on both sides of every comparison: founded/founding/found."""
    if len(word) > 4:
        if word.endswith("ies"):
            return word[:-3] + "y"
        for suffix in ("ing", "ed", "es"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                    word = word[:-1]  # running -> run, stopped -> stop
                break
        else:
            if word.endswith("s") and not word.endswith(("ss", "us", "is")):
                word = word[:-1]
            if len(word) >= 9 and word.endswith(("tion", "sion")):
                word = word[:-3]  # truncation / truncate, compression / compress (not station / state)
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _synonym_stems() -> dict[str, str]:
    """The stem of every form of each synonym (execute, executes, executed, executing) -> the stem of
    the word it stands for."""
    table = {}
    for word, others in SYNONYMS.items():
        for other in others.split():
            if other.endswith("y"):
                forms = (other, other[:-1] + "ies", other[:-1] + "ied", other + "ing")
            elif other.endswith("e"):
                forms = (other, other + "s", other + "d", other[:-1] + "ing")
            else:
                forms = (other, other + "s", other + "ed", other + "ing")
            table.update((stem(form), stem(word)) for form in forms)
    return table


_SYNONYM_STEMS = _synonym_stems()


def synonym(key: str) -> str:
    """The key of the plain word a synonym stands for ("execut" -> "run"); the key itself otherwise."""
    return _SYNONYM_STEMS.get(key, key)


@lru_cache(maxsize=WORD_CACHE_SIZE)
def word_key(word: str) -> tuple[str, str]:
    """(kind, key) of one word."""
    lower = word.lower() if word.isascii() else unicodedata.normalize("NFKC", word).lower()  # "cm³" = "cm3"
    if lower.endswith(("'s", "’s")):
        lower = lower[:-2]
    elif len(word) >= 3 and word[-1] == "s" and word[:-1].isupper():  # "RFCs", "APIs"
        lower = lower[:-1]
    if lower in NUMBER_WORDS:
        return "num", NUMBER_WORDS[lower]
    if lower in UNIT_SYMBOLS:
        return "word", UNIT_SYMBOLS[lower]
    if lower in COMPARATIVES:
        return "word", stem(COMPARATIVES[lower])
    if word == "May":  # the month; "may" is a stopword
        return "date", "may"
    if lower in STOPWORDS:
        return "stop", lower
    if lower in MONTHS_AND_DAYS:
        return "date", lower
    if any(c.isdigit() for c in lower):
        suffixed = _SUFFIXED_NUMBER.fullmatch(lower)
        if suffixed:
            return "num", suffixed.group(1).lstrip("0") or "0"
        return "id", lower
    return "word", stem(IRREGULAR.get(lower, lower))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _pieces(raw: str) -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """The tokens (without `initial`) of one match of TOKEN: a word, a number, or a hyphenated compound."""
    parts = raw.split("-") if "-" in raw else [raw]
    if len(parts) == 2 and parts[0].lower() in TENS and parts[1].lower() in NUMBER_WORDS and int(NUMBER_WORDS[parts[1].lower()]) < 10:
        return (("num", str(int(NUMBER_WORDS[parts[0].lower()]) + int(NUMBER_WORDS[parts[1].lower()])), raw, ()),)  # "Eighty-two"
    if len(parts) == 3 and _ISO_DATE.fullmatch(raw):  # "2017-02-16": the year, the day and the month's name
        year, month, day = parts
        return (("num", year.lstrip("0") or "0", year, ()), ("date", MONTHS_LOWER[int(month) - 1], month, ()), ("num", day.lstrip("0") or "0", day, ()))
    if len(parts) > 1 and not any(_NUMBER.fullmatch(p) for p in parts):
        keys = tuple(k for kind, k in map(word_key, parts) if kind != "stop")
        kind, key = word_key("".join(parts))
        return ((kind, key, raw, keys),)
    out: list[tuple[str, str, str, tuple[str, ...]]] = []
    for part in parts:  # "1889-1902", "COVID-19": separate tokens
        if part[:1].isdigit() and _NUMBER.fullmatch(part):
            out.extend(("num", n, part, ()) for n in normalize_number(part))
        elif part[:1].isdigit() and not _SUFFIXED_NUMBER.fullmatch(part) and (glued := _NUMBER_WORD.fullmatch(part)):  # "5storey"
            out.append(("num", glued.group(1).lstrip("0") or "0", glued.group(1), ()))
            out.append((*word_key(glued.group(2)), glued.group(2), ()))
        elif part:
            out.append((*word_key(part), part, ()))
    return tuple(out)


def tokens(text: str) -> list[Token]:
    """The tokens of a text, in order."""
    return list(_tokens(text))


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _tokens(text: str) -> tuple[Token, ...]:
    """`tokens`, kept for the texts a pair's checks tokenize again (its quotes, question and answer)."""
    text = _rewritten(text)
    grouped = [(m.start(), m.end()) for m in _SPACED_THOUSANDS.finditer(text)] if " " in text and _SPACED_CUE.search(text) else []
    # The text cut into [gap, token, gap, token, ..., gap] in one C call; a token starts a sentence
    # where the gap before it ends one (or it opens the text).
    parts = _TOKEN_SPLIT.split(text)
    out: list[Token] = []
    extend = out.extend
    quantities = False
    end = 0  # where the token ends in `text`
    for gap, raw in zip(parts[::2], parts[1::2]):
        if gap == " ":
            initial = False
        else:
            stripped = gap.rstrip(" \t\"'“‘(")
            initial = (not stripped and end == 0) or (stripped != "" and stripped[-1] in ".!?:;\n")
        end += len(gap) + len(raw)
        found, quantity = _match_tokens(raw, initial)
        extend(found)
        quantities = quantities or quantity
        if grouped and end == grouped[0][1]:  # "20 000 000": one number, which is also its pieces ("ports 80 443")
            lo, hi = grouped.pop(0)
            pieces = len(text[lo:hi].split())
            first = out[-pieces]
            number = normalize_number(re.sub(r"\D", "", text[lo:hi]))[0]
            out[-pieces:] = [Token("num", number, text[lo:hi], tuple(t.key for t in out[-pieces:]), first.initial)]
        while grouped and grouped[0][1] <= end:
            grouped.pop(0)
    if quantities:
        out = _quantities(out)
    return tuple(out)


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _match_tokens(raw: str, initial: bool) -> tuple[tuple[Token, ...], bool]:
    """The tokens of one match of TOKEN (the first one `initial`), and whether it is a quantity word that
    joins the number before it ("hundred", "million", "thirty" of "thirty five")."""
    found = tuple(Token(kind, key, piece, parts, initial and i == 0) for i, (kind, key, piece, parts) in enumerate(_pieces(raw)))
    lower = raw.lower()
    return found, lower in QUANTITY_WORDS or lower in TENS


def _quantities(found: list[Token]) -> list[Token]:
    """Numbers written with words joined into one token: "two hundred", "3.9 million", "one and a half"."""
    out: list[Token] = []
    i = 0
    while i < len(found):
        token = found[i]
        kind, key, raw, parts, initial = token
        number = key if kind == "num" and DECIMAL.fullmatch(key) else "1" if raw.lower() == "one" else None
        following = [t.raw.lower() for t in found[i + 1 : i + 4]]
        if kind == "num" and raw.lower() in TENS and following[:1] and found[i + 1].kind == "num" and following[0] in NUMBER_WORDS and int(found[i + 1].key) < 10:
            out.append(Token("num", str(int(key) + int(found[i + 1].key)), f"{raw} {found[i + 1].raw}", (), initial))  # "thirty five"
            i += 2
        elif number is not None and following == ["and", "a", "half"]:
            out.append(Token("num", number_key(Decimal(number) + Decimal("0.5")), f"{raw} and a half", (), initial))
            i += 4
        elif number is not None and following[:1] and following[0] in SCALES:
            scale = found[i + 1]
            value = number_key(Decimal(number) * SCALES[following[0]])
            out.append(Token("num", value, f"{raw} {scale.raw}", (number, scale.key), initial))
            i += 2
        elif raw.lower() == "half":
            out.append(Token("num", "0.5", raw, (), initial))
            i += 1
        else:
            out.append(token)
            i += 1
    return out


# -- what a token is -------------------------------------------------------------------------------


def is_name(token: Token) -> bool:
    """A capitalized word that is not a common word opening a sentence ("Approximately", "Production")."""
    if token.kind not in ("word", "id") or not token.raw[0].isupper():
        return False
    return not token.initial or token.raw.lower() not in SENTENCE_STARTERS


def is_key(token: Token) -> bool:
    """A fact a pair can get wrong by one character: a number, a date, a name, or an identifier of
    letters and digits ("python3", "u64", "A320")."""
    if token.kind == "id":  # "cm3", "s2": a unit, written "cubic centimetre" as often; "M2", "S3": names
        return is_name(token) or not _UNIT_POWER.fullmatch(token.key)
    return token.kind in ("num", "date") or is_name(token)


def is_year(token: Token) -> bool:
    return token.kind == "date" or (token.kind == "num" and len(token.key) == 4 and token.key[:2] in ("15", "16", "17", "18", "19", "20"))


def value_class(token: Token) -> str | None:
    """The kind of value a token is, as an answer: a year, a number, an identifier, a date or a name."""
    if is_year(token):
        return "year"
    if token.kind in ("num", "id", "date"):
        return token.kind
    return "name" if is_name(token) else None


def same_value(token: Token, key: Token) -> bool:
    return token.key == key.key or bool(token.parts) and token.parts == key.parts


def label(token: Token) -> str:
    """How a reason names a token: "number:1887", "date:May", "id:python3", "name:Owain"."""
    if token.kind == "num":
        return f"number:{token.key}"
    if token.kind == "date":
        return f"date:{token.raw}"
    if token.kind == "id" and not token.raw[:1].isupper():
        return f"id:{token.raw}"
    return f"name:{POSSESSIVE.sub('', token.raw)}"


def negations(found: list[Token]) -> int:
    return sum(1 for t in found if t.key in NEGATIONS or t.raw.lower().endswith(("n't", "n’t")))


# -- vocabularies ----------------------------------------------------------------------------------

# Where scraped text glued a label to its value: a small letter then a capital ("advisorsVladimir"), a
# word then a number ("Born29"), Latin then another script ("Georgianთბილისი"). The text's vocabulary
# also holds the pieces, so that "Vladimir" of a question is found in "Academic advisorsVladimir Minorsky".
_GLUED = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[a-z]{3})(?=\d)|(?<=[A-Za-z]{3})(?=[^\W\d_A-Za-z])|(?<=[^\W\d_A-Za-z])(?=[A-Za-z])")


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _match_keys(raw: str) -> tuple[str, ...]:
    """Every vocabulary key of one match of TOKEN (a compound gives its joined form and its parts; a glued
    label and value its pieces too)."""
    keys: list[str] = []
    for _, key, piece, parts in _pieces(raw):
        keys.append(key)
        if parts:
            keys.extend(word_key(p)[1] for p in piece.split("-"))
    if len(raw) > 4 and not raw.isascii() or any(c.isupper() for c in raw[1:]) or (raw[:1].isalpha() and raw[-1:].isdigit()):
        glued = _GLUED.split(raw)
        if len(glued) > 1:
            keys.extend(k for piece in glued if piece for _, k, _, _ in _pieces(piece))
    return tuple(keys)


def text_vocabulary(text: str) -> frozenset[str]:
    """`vocabulary(tokens(text))`, faster: the chunk's side of every comparison. Numbers written with words
    ("two hundred", "3.9 million", "thirty five") and spaced thousands ("20 000") are read from the few
    words around them, not from the whole text tokenized again."""
    text = _rewritten(text)
    return _piece_vocabularies(text, [(len(text), len(text))])[0]


def segment_vocabularies(text: str, bounds: list[tuple[int, int]]) -> list[frozenset[str]]:
    """`text_vocabulary` of each piece of `text` that `bounds` cut ((end, next start) pairs, as
    sentences.bounds gives), in one pass over the text."""
    if ("- " in text or "-\n" in text) and _LINE_HYPHEN.search(text) or _has_fraction(text):  # rewritten text: piece by piece
        out, start = [], 0
        for end, next_start in bounds:
            out.append(text_vocabulary(text[start:end]))
            start = next_start
        return out
    return _piece_vocabularies(text, bounds)


def _rewritten(text: str) -> str:
    """The text as tokens read it: words a line-end hyphen split joined ("inter- national"), fractions as decimals."""
    if "- " in text or "-\n" in text:
        text = _LINE_HYPHEN.sub(r"\1\2", text)
    return fractions(text) if _has_fraction(text) else text


def _piece_vocabularies(text: str, bounds: list[tuple[int, int]]) -> list[frozenset[str]]:
    """The vocabulary of each piece of `text` (needing no rewriting) that `bounds` cut."""
    token = _ASCII_TOKEN if text.isascii() else TOKEN
    out = []
    start = 0
    for end, next_start in bounds:  # a token never spans a sentence break (white space)
        out.append(frozenset(chain.from_iterable(map(_match_keys, token.findall(text, start, end)))))
        start = next_start
    if _SPACED_CUE.search(text) or _has_quantity_word(text):
        starts = [0, *(next_start for _, next_start in bounds[:-1])]
        added: dict[int, set[str]] = {}
        for pattern in (_QUANTITY, _SPACED_THOUSANDS):
            for m in pattern.finditer(text):
                at = bisect_right(starts, m.start()) - 1
                lo, hi = starts[at], bounds[at][0]
                window_lo = max(lo, m.start() - QUANTITY_REACH)
                if window_lo > lo:  # from a word's start, within the piece
                    space = text.rfind(" ", lo, window_lo)
                    window_lo = space + 1 if space >= 0 else lo
                added.setdefault(at, set()).update(t.key for t in tokens(text[window_lo : min(hi, m.end() + QUANTITY_REACH)]) if t.kind == "num")
        for at, keys in added.items():
            out[at] = out[at] | keys
    return out


def _has_quantity_word(text: str) -> bool:
    """A cheap test before _QUANTITY's slow search: the text has one of its words somewhere."""
    folded = text.casefold()
    return any(word in folded for word in _QUANTITY_CUES)


def vocabulary(found: list[Token]) -> frozenset[str]:
    """Every key of the tokens, with the parts of compounds and quantities."""
    vocab: set[str] = set()
    for _, key, raw, parts, _ in found:
        vocab.add(key)
        vocab.update(parts)
        if parts:
            vocab.update(word_key(p)[1] for p in raw.split("-"))
    return frozenset(vocab)


def present(token: Token, vocab: frozenset[str]) -> bool:
    """The vocabulary holds the token: its key, or every one of its parts."""
    return token.key in vocab or bool(token.parts) and all(p in vocab for p in token.parts)


def name_variant(token: Token, vocab: frozenset[str] | dict) -> str | None:
    """The key under which the text writes a name as its adjective or the other way round: "China" /
    "Chinese", "Mars" / "Martian", "Hungary" / "Hungarian", "Europe" / "European": the words share all
    but the shorter one's last letter, and what is left is a demonym's suffix on one side and a name's
    ending on the other. None if none."""
    if not is_name(token) or token.kind != "word" or len(token.key) < 4:
        return None
    key = token.key
    for other in vocab:
        if other[:3] != key[:3] or other == key:
            continue
        common = 3
        while common < min(len(key), len(other)) and key[common] == other[common]:
            common += 1
        if common < min(len(key), len(other)) - 1:
            continue
        ends = {key[common:], other[common:]}
        if ends & DEMONYM_SUFFIXES and ends <= DEMONYM_SUFFIXES | NAME_ENDINGS:
            return other
    return None


# -- folding ---------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase letters and digits only: blind to case, whitespace, punctuation and hyphenation."""
    if text.isascii():
        return _NOT_ALNUM.sub("", text).lower()
    return "".join(fold_run(run)[0] for run in ALNUM_RUN.findall(text))


def fold_run(run: str) -> tuple[str, list[int] | None]:
    """A run's folded text, and per folded character its index in the run (None when 1:1)."""
    if run.isascii():
        return run.lower(), None
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(run):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                chars.append(c)
                index.append(i)
    return "".join(chars), index


def first_words(text: str, n: int) -> list[str]:
    """The first `n` words of a text, lower-cased."""
    return [w.lower() for w in ALNUM_RUN.findall(text)[:n]]


def is_acronym(token: Token) -> bool:
    """Two to eight capital letters ("EU", "EUPL", "NASA"), as a token: a name's short form."""
    raw = POSSESSIVE.sub("", token.raw)
    return token.kind == "word" and 2 <= len(raw) <= ACRONYM_MAX and raw.isalpha() and raw.isupper()


@lru_cache(maxsize=512)
def acronyms(text: str) -> frozenset[str]:
    """The acronyms the text's runs of capitalised words spell, lower-cased: every stretch of two or more
    initials of a run ("European Union Public Licence" gives eupl, eup, upl, eu, up, pl), with function
    words left out ("Treaty on the Functioning of the European Union" gives tfeu)."""
    found: set[str] = set()
    for run in _CAPITALISED_RUN.findall(text):
        initials = "".join(w[0] for w in run.split() if w.lower() not in _ACRONYM_SKIP).lower()
        for i in range(len(initials)):
            for j in range(i + 2, min(len(initials), i + ACRONYM_MAX) + 1):
                found.add(initials[i:j])
    return frozenset(found)
