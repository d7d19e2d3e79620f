"""Fact selection for the fact-first strategy: the chunk's sentences that state something, each with
the span a question should ask for and the question word that fits it. Code chooses; the teacher
only writes the question (generation/fact_first.py).

A fact is a sentence of the chunk (its exact character range) and one target span in it:

- a date or a year ("3 June 1887", "1962")                          -> "When"
- a clock time ("10:15")                                            -> "When"
- an amount of money ("24 pounds", "$4.5 million")                  -> "How much"
- a percentage ("40%", "12 per cent")                               -> "What percentage"
- a count or a measure, the number before its noun ("nine arches")  -> "How many"
- a name after a person word ("the engineer Margaret Owain")         -> "Who"
- a name after a place preposition ("to the canal at Millbrook")     -> "Where"

Headings, list fragments, questions and sentences too short or too long to be an answer are not
facts. The spans are the ones a question can hide and the answer sentence still states: a question
that asks "How many arches ..." must not say "nine".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import (
    CLAUSE_CONJUNCTIONS,
    COUNT_WORDS,
    CURRENCY_NAMES,
    ENGLISH_MARKERS,
    ENGLISH_WORDS,
    LEANING_OPENERS,
    MONTHS,
    NAME_PARTICLES,
    NOT_COUNTED,
    NOT_NAMES,
    PERSON_CUES,
    PLACE_CUES,
    SCALE_WORDS,
    SUBJECT_OPENERS,
)
from .sentences import FACT_CLAUSE_CUT, OPENING_MARKS, sentences

# What makes a sentence a fact, and how many facts a chunk gives at most. Measured on the example
# corpus (corpora/example, 6 chunks of 192 tokens): 45 sentences, 26 facts with at least one span,
# 2 spans a sentence at most (MAX_SPANS_PER_SENTENCE) give 40 targets; the embedded teacher writes a
# question that passes every check for 21 of them, and 17 of the 26 sentences get a pair.
FACTS_VERSION = "7"  # bump when selection changes: the generation signature changes with it
MIN_FACT_WORDS = 6  # "Children under 5 travel free." (5 words) is too thin to be an answer
MAX_FACT_CHARS = 320  # generation.MAX_ANSWER_CHARS: the sentence is the published answer
MAX_SPANS_PER_SENTENCE = 2
MAX_FACTS_PER_CHUNK = 24
_MONTH = rf"(?:{'|'.join(MONTHS)})"
_DAY = r"(?:[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_WORDS = "|".join(COUNT_WORDS)
_NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|(?:{_WORDS})(?:-(?:{_WORDS}))?"
_SCALE = rf"(?:\s(?:{'|'.join(SCALE_WORDS)}))?"

# (kind, question word, pattern): the first kind that claims a character keeps it.
_SPANS: list[tuple[str, str, re.Pattern[str]]] = [
    ("date", "When", re.compile(rf"\b(?:{_DAY}\s{_MONTH},?\s{_YEAR}|{_MONTH}\s{_DAY},?\s{_YEAR}|{_MONTH}\s{_YEAR})\b")),
    ("date", "When", re.compile(rf"\b{_YEAR}s?\b(?![.,]\d|\s*(?:%|per\s?cent))")),
    ("time", "When", re.compile(r"\b(?:[01]?\d|2[0-3])[:.][0-5]\d(?:\s?[ap]\.?m\.?)?(?!\d)", re.I)),
    ("money", "How much", re.compile(rf"[$£€¥]\s?(?:{_NUMBER}){_SCALE}|\b(?:{_NUMBER}){_SCALE}\s(?:{'|'.join(CURRENCY_NAMES)})\b", re.I)),
    ("percent", "What percentage", re.compile(rf"\b(?:{_NUMBER})\s?(?:%|per\s?cent\b|percent\b)", re.I)),
    # A count or measure: the number and the noun it counts ("41,000 tonnes", "nine stone arches").
    ("count", "How many", re.compile(rf"\b(?:{_NUMBER}){_SCALE}(?=\s+(?:[a-z][a-z-]+\s+){{0,2}}[a-z][a-z-]+)", re.I)),
]
_NAME = rf"[A-Z][\w’'-]*[a-z][\w’'-]*(?:\s(?:(?:{'|'.join(NAME_PARTICLES)})\s)?[A-Z][\w’'-]*[a-z][\w’'-]*)*"
_PERSON_CUE = re.compile(rf"\b(?:{'|'.join(PERSON_CUES)})\.?\s({_NAME})")
_PLACE_CUE = re.compile(rf"\b(?:{'|'.join(PLACE_CUES)})\s(?:the\s)?({_NAME})")
_MARKUP = re.compile(r"^\s*(?:#{1,6}|[-*+>]|\d+[.)])\s+")
_FIRST_WORD = re.compile(r"[^\W\d_]+|\d")
# See lexicon.ENGLISH_WORDS for the measurement.
ENGLISH_MIN_SHARE = 0.12
# A markdown link: its text is the sentence's, its target is not ("[the railway](https://...)").
LINK = re.compile(r"\[([^\]\n]+)\]\((?:<[^>\n]*>|[^)\s]*)(?:\s+\"[^\"\n]*\")?\)")


@dataclass(frozen=True, slots=True)
class Fact:
    """A sentence of a chunk (chunk-relative `start`/`end`, exact) and the span a question asks for."""

    sentence: str  # the sentence as published: whitespace folded, markup stripped
    start: int
    end: int
    span: str  # the text the question asks for, as the chunk writes it
    kind: str  # date, time, money, percent, count, person, place
    wh: str  # the question word: When, How many, ...
    opening: str = ""  # what the question must open with: the question word, and for a count its noun
    at: int = -1  # where `span` is in `sentence` (-1: its first whole-word occurrence)

    def __post_init__(self) -> None:
        if not self.opening:
            object.__setattr__(self, "opening", self.wh)

    @property
    def key(self) -> str:
        return f"{self.start}:{self.end}:{self.span}"


def clean_sentence(raw: str) -> str:
    """The sentence as an answer: list and heading markers, emphasis and link markup removed,
    whitespace folded."""
    text = _MARKUP.sub("", raw)
    text = LINK.sub(r"\1", text)  # [text](url): the grounding checker reads past link targets too
    text = re.sub(r"(\*\*|__|`)(.+?)\1", r"\2", text)
    return " ".join(text.split())


def is_english(text: str) -> bool:
    """At least ENGLISH_MIN_SHARE of the text's words (of any script) are English function words."""
    words = re.findall(r"[^\W\d_]+", text)
    return bool(words) and sum(w.lower() in ENGLISH_WORDS for w in words) >= ENGLISH_MIN_SHARE * len(words)


def _is_fact_sentence(sentence: str) -> bool:
    words = sentence.split()
    if len(words) < MIN_FACT_WORDS or len(sentence) > MAX_FACT_CHARS:
        return False
    if not sentence.endswith((".", "!", '."', ".”", ".)")):
        return False  # a heading, a caption, a table row, a question, or a cut-off sentence
    if sentence.count("|") >= 2:
        return False
    first = _FIRST_WORD.search(sentence.lstrip(OPENING_MARKS))
    return bool(first) and first.start() == 0 and first.group() not in LEANING_OPENERS


def _spans(sentence: str, topic: str) -> list[tuple[str, str, int, int]]:
    """(kind, wh, start, end) of the sentence's targets, in sentence order, none overlapping."""
    taken = [False] * len(sentence)
    found: list[tuple[str, str, int, int]] = []

    def claim(kind: str, wh: str, start: int, end: int) -> None:
        if start < end and not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            found.append((kind, wh, start, end))

    for kind, wh, pattern in _SPANS:
        for m in pattern.finditer(sentence):
            if kind == "count":
                after = sentence[m.end() :].split(None, 1)
                if not after or after[0].lower().strip(",.;:") in NOT_COUNTED or not after[0][:1].islower():
                    continue  # "2 William IV" is a citation, not a count
                if m.group().lower() in ("one", "1"):
                    continue  # "no more than one train": rarely a count worth a question
                if m.start() > 0 and sentence[m.start() - 1] in "#№":
                    continue
            claim(kind, wh, m.start(), m.end())
    topic_words = {w.lower() for w in re.findall(r"\w+", topic)}
    for kind, wh, pattern in (("person", "Who", _PERSON_CUE), ("place", "Where", _PLACE_CUE)):
        for m in pattern.finditer(sentence):
            name = m.group(1)
            if name.split()[0] in NOT_NAMES or m.start(1) == 0:
                continue
            if {w.lower() for w in re.findall(r"\w+", name)} <= topic_words:
                continue  # the document's own subject is what the question names, not what it asks
            claim(kind, wh, m.start(1), m.end(1))
    return sorted(found, key=lambda f: f[2])


_COUNTED = re.compile(r"\s+([a-z][a-z-]+)(?:\s+([a-z][a-z-]+))?(?:\s+(per\s+[a-z]+))?", re.I)


def _opening(kind: str, wh: str, after: str) -> str:
    """The question's forced opening. A count asks for its noun as the sentence writes it: "How many
    stone arches", "How many tonnes", "How many kilometres per hour"; so a small teacher cannot ask
    "How many stones" of nine stone arches. A noun of two words is taken when the second is the
    plural one ("coping stones"), else the first word alone ("passengers ride" -> "passengers")."""
    if kind != "count":
        return wh
    m = _COUNTED.match(after)
    if not m:
        return wh
    first, second, per = m.group(1), m.group(2), m.group(3)
    words = [first]
    if second and not first.lower().endswith("s") and second.lower().endswith("s") and second.lower() not in NOT_COUNTED:
        words.append(second)
    elif per and not second:
        words.append(" ".join(per.split()))
    if second and second.lower() == "per" and per is None:
        tail = re.match(r"\s+[a-z][a-z-]+\s+per\s+([a-z]+)", after, re.I)
        if tail:
            words.append(f"per {tail.group(1)}")
    if words[0].lower() in NOT_COUNTED:
        return wh
    return f"{wh} {' '.join(words)}"


_PRIORITY = {"date": 0, "money": 1, "count": 2, "percent": 2, "time": 3, "person": 4, "place": 5}


def _continues(word: str) -> bool:
    """A word after "and" that continues the clause before (a verb or "to"), not one that opens a subject."""
    return word[:1].islower() and word.lower().strip(",.;:") not in SUBJECT_OPENERS and not word[:1].isdigit()


def find_target(text: str, target: str, start: int = 0) -> int:
    """Where `target` stands in `text` as whole words ("10" in "at 10:15", not in "2010"); -1 if nowhere."""
    if not target:
        return -1
    m = re.compile(rf"(?<!\w){re.escape(target)}(?!\w)").search(text, start)
    return m.start() if m else -1


def target_clause(quote: str, target: str, at: int = -1) -> str | None:
    """The clause of `quote` that holds `target` (at `at`, or its first whole-word occurrence), with the
    clauses before it that it depends on. Cut at commas, semicolons and "and"/"but"/"or"; a clause that
    opens with a lower-case word other than those ("chosen by the engineer ...", "in 1968", "where a walk
    of ...") continues the clause before it."""
    if at < 0 or quote[at : at + len(target)] != target:
        at = find_target(quote, target)
    if at < 0:
        return None
    bounds = [0, *(m.end() for m in FACT_CLAUSE_CUT.finditer(quote)), len(quote) + 1]
    i = max(k for k in range(len(bounds) - 1) if bounds[k] <= at)
    start = bounds[i]
    while i > 0:
        words = quote[bounds[i] :].lstrip(OPENING_MARKS).split(None, 2)
        if not words or not words[0][:1].islower():
            break
        if words[0].lower() in CLAUSE_CONJUNCTIONS and (len(words) < 2 or not _continues(words[1])):
            break  # "..., and the railway closed in 1951": a clause with a subject of its own
        i -= 1
        start = bounds[i]
    k = next(k for k, b in enumerate(bounds) if b > at + len(target))
    # A short opening phrase ("At its busiest, in 1903, the railway moved ...") belongs to the clause after it.
    while k < len(bounds) - 1 and len(quote[start : bounds[k]].split()) <= 5:
        words = quote[bounds[k] :].split(None, 1)
        if not words or not words[0][:1].islower() or words[0].lower() in CLAUSE_CONJUNCTIONS:
            break
        k += 1
    return quote[start : min(bounds[k], len(quote))]


def clause_of(fact: Fact) -> str:
    """The fact's clause as a sentence of its own: what the teacher is shown, so that a small model asks
    about the target's clause and not another one of the sentence."""
    clause = target_clause(fact.sentence, fact.span, fact.at) or fact.sentence
    clause = clause.strip().rstrip(",;:").strip()
    words = clause.split(None, 1)
    if words and words[0].lower() in CLAUSE_CONJUNCTIONS and len(words) > 1:
        clause = words[1]
    clause = clause[:1].upper() + clause[1:]
    return clause if clause.rstrip("\"'”’)").endswith((".", "!", "?")) else clause + "."


def _published_at(raw: str, s: int, sentence: str, span: str) -> int:
    """Where the span at `raw[s:]` is in the published (cleaned) sentence: its n-th whole-word occurrence
    there when it is the n-th in the text before markup was stripped; -1 when cleaning dropped it."""
    if any(m.end(1) <= s < m.end() for m in LINK.finditer(raw)):
        return -1  # in a link's target: the answer does not state it
    before = " ".join(LINK.sub(r"\1", raw[:s]).split())
    at = -1
    for _ in range(len(re.findall(rf"(?<!\w){re.escape(span)}(?!\w)", before)) + 1):
        at = find_target(sentence, span, at + 1)
        if at < 0:
            return find_target(sentence, span)
    return at


@lru_cache(maxsize=256)
def select_facts(text: str, topic: str = "", limit: int | None = MAX_FACTS_PER_CHUNK) -> tuple[Fact, ...]:
    """The chunk's facts in reading order, at most MAX_SPANS_PER_SENTENCE a sentence and `limit` in all
    (sentences first, so a long chunk is covered before any sentence gets a second question)."""
    per_sentence: list[list[Fact]] = []
    english = is_english(text)
    for start, end in sentences(text):
        raw = text[start:end]
        if not _is_fact_sentence(" ".join(raw.split())):
            continue
        if not english and not ENGLISH_MARKERS & {w.lower() for w in re.findall(r"[A-Za-z]+", raw)}:
            continue
        if not text[:start].strip() and raw.lstrip(OPENING_MARKS)[:1].islower():
            continue  # the chunk starts inside a sentence (its overlap): the sentence's start is in the chunk before
        sentence = clean_sentence(raw)
        facts = []
        for kind, wh, s, e in sorted(_spans(raw, topic), key=lambda s: _PRIORITY[s[0]]):
            span = " ".join(raw[s:e].split())  # a span across a line break is asked for as the answer writes it
            at = _published_at(raw, s, sentence, span)
            if at < 0:
                continue  # inside a link's target or markup: not a thing the answer states
            facts.append(Fact(sentence=sentence, start=start, end=end, span=span, kind=kind, wh=wh, opening=_opening(kind, wh, raw[e:]), at=at))
            if len(facts) == MAX_SPANS_PER_SENTENCE:
                break
        if facts:
            per_sentence.append(facts)
    chosen: list[Fact] = []
    for round_ in range(MAX_SPANS_PER_SENTENCE):
        chosen += [facts[round_] for facts in per_sentence if len(facts) > round_]
    if limit is not None:
        chosen = chosen[:limit]
    return tuple(sorted(chosen, key=lambda f: (f.start, f.key)))
