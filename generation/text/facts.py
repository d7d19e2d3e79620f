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

A name after a place preposition ("at Millbrook") is not a fact: on real documents the preposition led as
often to a function, a figure or a file ("called from InitExtension", "in Fig.1", "in mi/miinitext.c") as
to a place, and the embedded teacher's "Where" questions were wrong more often than right.

Headings, list fragments, questions and sentences too short or too long to be an answer are not
facts. The spans are the ones a question can hide and the answer sentence still states: a question
that asks "How many arches ..." must not say "nine".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import (
    AUXILIARIES, CLAUSE_CONJUNCTIONS, CLAUSE_VERBS, COUNT_WORDS, CURRENCY_NAMES, ENGLISH_MARKERS, ENGLISH_WORDS, LEANING_OPENERS, MONTHS,
    NAME_PARTICLES, NOT_COUNTED, NOT_NAMES, ORGANISATION_WORDS, PERSON_CUES, SCALE_WORDS, SUBJECT_OPENERS, STOPWORDS, SUBJECT_PRONOUNS,
)
from .citations import citations, is_reference_entry, wiki
from .options import command_of, options
from .questions import written_questions
from .sentences import FACT_CLAUSE_CUT, OPENING_MARKS, sentences
from .tokens import ALNUM_RUN

# What makes a sentence a fact, and how many facts a chunk gives at most. Measured on the example
# corpus (corpora/example, 6 chunks of 192 tokens): 45 sentences, 26 facts with at least one span,
# 2 spans a sentence at most (MAX_SPANS_PER_SENTENCE) give 40 targets; the embedded teacher writes a
# question that passes every check for 21 of them, and 17 of the 26 sentences get a pair.
FACTS_VERSION = "29"  # bump when selection changes: the generation signature changes with it
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
_IDENTIFIER = re.compile(r"[a-z][A-Z]|_|\d")  # "InitExtension", "RT_APPGROUP": code, not a name
_SHOUTED = re.compile(r"[A-Z]{2}")
_NAMED_YEAR = re.compile(r"\b([A-Z][a-z]+)\s+$")
_OF_A_SET = re.compile(r"\bof\s+(?:the\s+|its\s+|their\s+)?$", re.I)
_SINCE = re.compile(r"\b(?:since|until|till|by|before|after)\s+(?:(?:version|release|v)\s*\S+\s+)?(?:\(\s*)?$", re.I)
# A sentence that points at what the reader sees beside it ("shown in Fig. 1 below", "the statement above",
# "the following table") is not a fact a question can stand on alone.
_DEICTIC = re.compile(
    r"\b(?:Fig(?:ure)?s?\.?\s*\d|Table\s+\d|(?:shown|listed|given|described|see|seen)\s+(?:above|below)"
    r"|\w+\s+(?:above|below)(?=\s*[,.;:)])|(?:the|this)\s+following\b|as\s+follows\b"
    r"|\b(?:this|these)\s+(?:function|document|section|page|chapter|manual|guide|paper|article|file|extension|request|example|command|option)s?\b)", re.I,
)
# Inside a sentence, "this argument", "these files", "in this case" point at what an earlier sentence
# named ("If nargs is 0, this argument is ignored"); an answer holding one would not say what it means.
# (A sentence that opens with "This ..." or "These ..." is no fact at all: DEMONSTRATIVES.)
_POINTS_BACK = re.compile(r"\b(?:this|these)\s+(?!following\b)[a-z]", re.I)
_MARKUP = re.compile(r"^\s*(?:#{1,6}|[-*+>]|\d+[.)])\s+")
_CUT_NUMBER = re.compile(r"\d[\d.]*[,;:)]")  # "0.14.1, you'll ...": the end of a sentence the chunk before begins
_FIRST_WORD = re.compile(r"[^\W\d_]+|\d")
# Pronouns that open a sentence and refer to what the sentence before named; sentences this far back are
# searched for it, and a subject longer than this is not taken as a referent.
# Words that continue a sentence begun before a break ("... Kenshi Muto\n\nand has been updated by ..."): no sentence.
CONTINUING_OPENERS = frozenset("and but or nor so yet which who whom whose whereas while because".split())
REFERRING_PRONOUNS = frozenset("it its they their he his she her this these".split())
# A subject opened by a demonstrative points at what the text said before, often a whole statement: "This is
# the recommended method" was named wrongly by the sentence before's subject in every such answer of the
# development pool's labelled sets (3 of 3, and 1 doubtful): such a sentence is no fact.
DEMONSTRATIVES = frozenset(("this", "these"))
REFERENT_REACH = 2
REFERENT_MAX_WORDS = 8
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
    question: str = ""  # a question code wrote (generation/text/questions.py): no teacher is asked
    answer: str = ""  # the published answer when it is not the sentence: its pronoun subject named
    context: str = ""  # the sentence before that names what the pronoun refers to: quoted too

    def __post_init__(self) -> None:
        if not self.opening:
            object.__setattr__(self, "opening", self.wh)

    @property
    def key(self) -> str:
        return f"{self.start}:{self.end}:{self.span}:{self.question}"

    @property
    def said(self) -> str:
        """The answer as published: the sentence, with its pronoun subject named where it had one."""
        return self.answer or self.sentence


def clean_sentence(raw: str) -> str:
    """The sentence as an answer: list and heading markers, emphasis and link markup removed,
    whitespace folded."""
    text = _MARKUP.sub("", raw)
    if "<ref" in text or "{{" in text or "[[" in text or "''" in text:
        text = wiki(text)
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
    if is_reference_entry(sentence):
        return False
    first = _FIRST_WORD.search(sentence.lstrip(OPENING_MARKS))
    return bool(first) and first.start() == 0 and first.group() not in LEANING_OPENERS


def _spans(sentence: str, topic: str) -> list[tuple[str, str, int, int]]:
    """(kind, wh, start, end) of the sentence's targets, in sentence order, none overlapping."""
    taken = [False] * len(sentence)
    found: list[tuple[str, str, int, int]] = []

    def claim(kind: str, wh: str, start: int, end: int) -> None:
        if start < end and not any(taken[start:end]) and not _in_identifier(sentence, start):
            taken[start:end] = [True] * (end - start)
            found.append((kind, wh, start, end))

    for lo, hi in citations(sentence):  # "[@Ramsay:1998]", "<ref>...</ref>", "{{cite ...}}": never asked about
        taken[lo:hi] = [True] * (hi - lo)
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
                if _OF_A_SET.search(sentence, 0, m.start()):
                    continue  # "one of the 178 municipal boroughs": the count is of a set the subject is in
            if kind == "date" and (named := _NAMED_YEAR.search(sentence, 0, m.start())) and named.group(1).lower() not in STOPWORDS:
                continue  # "the Municipal Corporations Act 1835", "Windows 2000": the year is part of a name
            if kind in ("date", "time") and _SINCE.search(sentence, 0, m.start()):
                continue  # "supported since 2021": a teacher asks "When will ... be supported?"
            claim(kind, wh, m.start(), m.end())
    topic_words = {w.lower() for w in re.findall(r"\w+", topic)}
    for kind, wh, pattern in (("person", "Who", _PERSON_CUE),):
        for m in pattern.finditer(sentence):
            name = m.group(1)
            if name.split()[0] in NOT_NAMES or m.start(1) == 0:
                continue
            if _IDENTIFIER.search(name) or ORGANISATION_WORDS & set(name.split()):
                continue  # "by InitExtension", "by the Free Software Foundation": a function or a body, not a person
            if sentence[m.start() : m.start(1)].strip() == "by" and (len(name.split()) < 2 or _SHOUTED.search(name)):
                continue  # "supported by SQLite", "built by Brunel": one word after "by" is as often a thing as a person
            if {w.lower() for w in re.findall(r"\w+", name)} <= topic_words:
                continue  # the document's own subject is what the question names, not what it asks
            claim(kind, wh, m.start(1), m.end(1))
    return sorted(found, key=lambda f: f[2])


_COUNTED = re.compile(r"\s+([a-z][a-z-]+)(?:\s+([a-z][a-z-]+))?(?:\s+(per\s+[a-z]+))?", re.I)


_JOINED_BEFORE = re.compile(r"([\w.]*\d[\w.]*)[-:]$")


def _in_identifier(sentence: str, start: int) -> bool:
    """The span is the end of a name with numbers: "POSIX 1003.1-2004", "ISO/IEC 10646-1:2000" (not the end of
    a range of years, "1889-1902")."""
    m = _JOINED_BEFORE.search(sentence, max(0, start - 20), start)
    return m is not None and not re.fullmatch(_YEAR, m.group(1))


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


_PRIORITY = {"date": 0, "money": 1, "count": 2, "percent": 2, "time": 3, "person": 4}


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
    said = fact.said
    clause = target_clause(said, fact.span, fact.at if not fact.answer else -1) or said
    clause = clause.strip().rstrip(",;:").strip()
    words = clause.split(None, 1)
    if words and words[0].lower() in CLAUSE_CONJUNCTIONS and len(words) > 1:
        clause = words[1]
    clause = clause[:1].upper() + clause[1:]
    return clause if clause.rstrip("\"'”’)").endswith((".", "!", "?")) else clause + "."


def _name_subject(sentence: str, pronoun: str, named: str) -> str:
    """The sentence with its pronoun subject replaced by what it refers to: "It was built in 1886" ->
    "The Cwm Llys viaduct was built in 1886"; "Its deck is ..." -> "The Cwm Llys viaduct's deck is ..."."""
    at = sentence.find(pronoun)
    if at == 0:
        name = named[:1].upper() + named[1:]
    else:
        name = named[:1].lower() + named[1:] if named.split()[0] in ("The", "A", "An") else named
    if pronoun.lower() in ("its", "their", "his", "her"):
        name += "’" if name.endswith("s") else "’s"
    return sentence[:at] + name + sentence[at + len(pronoun) :]


def _sentence_naming(text: str, before: int, named: str) -> slice:
    """The sentence before `before` whose subject is `named`."""
    for start, end in reversed([s for s in sentences(text[:before]) if s[1] <= before]):
        if named in " ".join(text[start:end].split()):
            return slice(start, end)
    return slice(before, before)


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
def select_facts(text: str, topic: str = "", limit: int | None = MAX_FACTS_PER_CHUNK, unwritten: frozenset[str] = frozenset()) -> tuple[Fact, ...]:
    """The chunk's facts in reading order, at most MAX_SPANS_PER_SENTENCE a sentence and `limit` in all
    (sentences first, so a long chunk is covered before any sentence gets a second question); none of the
    kinds in `unwritten` unless code wrote its question."""
    command = command_of(topic, text)
    entries = options(text) if command else []  # an option list: "What does the --all (-a) option of fuser do?"
    per_sentence = [[Fact(o.description, o.start, o.end, "", "option", "What", question=o.question(command or ""))] for o in entries]
    english = is_english(text)
    for start, end in sentences(text):
        raw = text[start:end]
        if any(o.start < end and start < o.end for o in entries):
            continue  # a sentence of an option's description: asked for by its option
        if not _is_fact_sentence(" ".join(raw.split())):
            continue
        if not english and not ENGLISH_MARKERS & {w.lower() for w in re.findall(r"[A-Za-z]+", raw)}:
            continue
        if _DEICTIC.search(raw) or (_POINTS_BACK.search(raw.lstrip(OPENING_MARKS).split(None, 1)[-1]) and "::" not in raw):
            continue
        opening = raw.lstrip(OPENING_MARKS)
        if not text[:start].strip() and (opening[:1].islower() or _CUT_NUMBER.match(opening)) and not _MARKUP.match(raw):
            continue  # the chunk starts inside a sentence (its overlap, "0.14.1, you'll first ..."): its start is in the chunk before
        if (first := _FIRST_WORD.match(opening)) is not None and first.group() in CONTINUING_OPENERS:
            continue  # "and has been updated by ...": a sentence's continuation after a line break, not a sentence
        sentence = clean_sentence(raw)
        answer, context = sentence, ""
        pronoun = pronoun_subject(sentence)
        if pronoun is not None and pronoun.lower() in DEMONSTRATIVES:
            continue  # "This is the recommended method": what "this" is, no subject of the text before says
        if pronoun is not None:
            named = referent(text, start, pronoun)
            if named is None:
                continue  # "It was built in 1886": what "it" is, the chunk does not say before it
            answer = _name_subject(sentence, pronoun, named)
            context = clean_sentence(text[_sentence_naming(text, start, named)])
        bounds = subject_span(answer)
        subject = answer[bounds[0] : bounds[1]] if bounds else None
        facts = []
        written = written_questions(answer, subject, topic, text)
        for w in written:
            facts.append(Fact(
                sentence=sentence, start=start, end=end, span=w.span or "", kind=w.kind, wh=w.question.split(" ", 1)[0],
                question=w.question, answer=answer if answer != sentence else "", context=context,
            ))
        asked = {w.span for w in written if w.span}
        for kind, wh, s, e in sorted(_spans(raw, topic), key=lambda s: _PRIORITY[s[0]]):
            if len(facts) >= MAX_SPANS_PER_SENTENCE:
                break
            span = " ".join(raw[s:e].split())  # a span across a line break is asked for as the answer writes it
            if span in asked or kind in unwritten:
                continue
            at = _published_at(raw, s, sentence, span)
            if at < 0:
                continue  # inside a link's target or markup: not a thing the answer states
            facts.append(Fact(
                sentence=sentence, start=start, end=end, span=span, kind=kind, wh=wh, opening=_opening(kind, wh, raw[e:]), at=at,
                answer=answer if answer != sentence else "", context=context,
            ))
        if facts:
            per_sentence.append(facts)
    chosen: list[Fact] = []
    for round_ in range(MAX_SPANS_PER_SENTENCE):
        chosen += [facts[round_] for facts in per_sentence if len(facts) > round_]
    if limit is not None:
        chosen = chosen[:limit]
    return tuple(sorted(chosen, key=lambda f: (f.start, f.key)))


# The subject of a clause: the words before its verb. Without a tagger the verb is an auxiliary, a word in
# lexicon.CLAUSE_VERBS, or a word in -ed after the first; leading adverbials ("At its busiest, in 1903,
# ...", "Today", "Eventually,") are not the subject.
_ADVERBIAL = re.compile(
    r"(?:(?:at|in|on|by|during|after|before|since|from|for|with|under|over|until|within|between|around)(?:\s[^,\s]+){1,3}"
    r"|today|eventually|originally|later|then|now|however|also|finally|meanwhile|since then|[a-z]+ly),\s+"
    r"|(?:today|now|then|in\s\d{4}|by\s\d{4}|since\s\d{4})\s+",
    re.I,
)
_CONJUNCTION = re.compile(r"(?:and|but|or|while|whereas)\s+", re.I)
_SUBJECT_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
SUBJECT_MAX_WORDS = 12  # "The line's most famous structure, the Cwm Llys viaduct, has ..."


def subject_span(clause: str, target: str = "") -> tuple[int, int] | None:
    """Where the clause's subject is in `clause` (its words before the verb, or before `target`), or None
    when it cannot be told."""
    at = len(clause) - len(clause.lstrip().lstrip(OPENING_MARKS))
    if (m := _CONJUNCTION.match(clause, at)) is not None:
        at = m.end()
    while (m := _ADVERBIAL.match(clause, at)) is not None:
        at = m.end()
    stop = clause.find(target, at) if target else -1
    stop = stop if stop >= 0 else len(clause)
    words = []
    for m in _SUBJECT_WORD.finditer(clause, at, stop):
        low = m.group().lower()
        if words and _ends_subject(low) or low in AUXILIARIES or low in CLAUSE_VERBS:
            break
        words.append(m)
        if len(words) == SUBJECT_MAX_WORDS:
            break
    if not words:
        return None
    return words[0].start(), words[-1].end()


def _verb_at(clause: str, at: int) -> bool:
    """The word at `at` (after a subject_span) is the verb that ended the subject, not the clause's end."""
    m = _SUBJECT_WORD.search(clause, at)
    return m is not None and _ends_subject(m.group().lower())


def _ends_subject(low: str) -> bool:
    """A word subject_span stops a subject at: an auxiliary, a clause's verb, a past tense."""
    return low in AUXILIARIES or low in CLAUSE_VERBS or (low.endswith("ed") and len(low) > 4)


def clause_subject(clause: str, target: str = "") -> list[str]:
    """The words of the clause's subject, or [] when it is a pronoun or cannot be told."""
    span = subject_span(clause, target)
    if span is None:
        return []
    words = ALNUM_RUN.findall(clause[span[0] : span[1]])
    if not words or words[0].lower() in SUBJECT_PRONOUNS:
        return []
    return words


def pronoun_subject(sentence: str) -> str | None:
    """The pronoun a sentence opens its subject with ("It", "They", "Its", "This"), or None."""
    span = subject_span(sentence)
    if span is None:
        return None
    first = ALNUM_RUN.match(sentence, span[0])
    if first is None:
        return None
    return first.group() if first.group().lower() in REFERRING_PRONOUNS else None


def referent(text: str, before: int, pronoun: str) -> str | None:
    """What a pronoun that opens the sentence at `before` refers to: the subject of one of the two
    sentences before it in `text` (the nearest whose subject is not itself a pronoun), when it fits the
    pronoun (a person's name for he or she). None when nothing before it says (a question about "it" would
    have to guess)."""
    for start, end in reversed([s for s in sentences(text[:before]) if s[1] <= before][-REFERENT_REACH:]):
        sentence = text[start:end]
        span = subject_span(sentence)
        if span is None:
            continue
        if not _verb_at(sentence, span[1]):
            return None  # no verb that ends the subject: "The viaduct crosses the river" is not a subject
        subject = " ".join(sentence[span[0] : span[1]].split())
        first = subject.split(None, 1)[0].lower()
        if first in SUBJECT_PRONOUNS:
            continue
        if pronoun.lower() in ("he", "she", "his", "her") and not subject[:1].isupper():
            return None
        if len(subject.split()) > REFERENT_MAX_WORDS:
            return None
        return subject
    return None
