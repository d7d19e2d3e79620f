"""roundtrip: the quoted sentence is where the question's words lead (off_target_question).

Each sentence of the chunk is scored by the question's words it holds, each word weighted by 1 / the
number of sentences that have it; the quoted sentence's score over the best sentence's must reach
roundtrip_min. A sentence that names its subject only in the one before it is led to through that one.
For a question written for one fact (fact-first), the question must also be about the target's own
clause and name its subject.
"""

from __future__ import annotations

import re

from pydantic import Field

from generation.records import QuoteSpan
from generation.text.facts import clause_subject, find_target, subject_span, target_clause
from generation.text.lexicon import AUXILIARIES, IMPERATIVES, MEASURE_WORDS
from generation.text.tokens import ALNUM_RUN, Token, name_variant, present, tokens, vocabulary

from ..context import FRAME_KEYS, ChunkContext, PairContext, quoted
from .base import Check, Finding, Options as BaseOptions

# The quoted sentence's match with the question over the best sentence's below which the question is
# off target. 0.5 until the real-text set (bench/realtext): 0.6 rejects 10 points more unanswerable
# questions there, true pairs unchanged. See docs/decisions.md for the measurement.
ROUNDTRIP_MIN = 0.6
ROUNDTRIP_BACK = 1  # sentences before a quoted one that may name its subject
# A fact-first question must be about its target's own clause (_asks_for_target): at least this share
# of its own words must be in that clause. Chosen on the example corpus with the embedded teacher
# (28 published questions read by hand): the clause and 0.5 kept all 19 correct questions and
# rejected 7 of the 9 wrong ones; six words either side of the target instead rejected 5.
TARGET_CONTEXT_MIN = 0.5
# The share of the clause subject's own words (those the title does not have) a fact-first question must name:
# "When did the Millbrook Railway open?" does not name the railway museum that opened; "How many arches does the
# Cwm Llys viaduct have?" names half of "The line's most famous structure, the Cwm Llys viaduct".
SUBJECT_NAMED_MIN = 0.5


class RoundtripCheck(Check):
    name = "roundtrip"
    VERSION = 3  # 3: a fact-first question names at least half of its clause subject's own words; one that names its clause's own subject with the title's words is on target; 2: a quoted sentence that opens with a pronoun is led to through the sentence before
    reasons = {"off_target_question": "the question's words lead to another sentence (or, fact-first, another clause) than the quoted one"}

    class Options(BaseOptions):
        roundtrip_min: float = Field(ROUNDTRIP_MIN, ge=0.0, le=1.0)

    def gate(self, pair: PairContext, so_far) -> bool:
        return pair.aligned

    def run(self, pair: PairContext) -> Finding:
        found = Finding()
        value = _roundtrip(pair.question_tokens, pair.spans, pair.chunk, pair.title_vocab)
        if value is not None:
            found.values["roundtrip"] = round(value, 4)
        if value is not None and value < self.config.roundtrip_min:
            found.reasons.append("off_target_question")
        elif pair.target and pair.quotes and not _asks_for_target(pair.question_tokens, pair.target, pair.quotes[0], pair.title_vocab):
            found.reasons.append("off_target_question")
        return found


# "a walk of 3 kilometres", "a fare of 2 pounds": the thing the target measures, which the question must
# name; unless it is only the measure's own name ("a height of 28 metres" is asked "How many metres high").
_MEASURED = re.compile(r"\b([A-Za-z][A-Za-z-]+)\s+of\s+(?:about\s+|around\s+|some\s+|over\s+|nearly\s+)?$")

# A quoted sentence that opens by pointing back, or a code block, is led to by the sentence before it.
_POINTS_BACK = re.compile(r"\W*(?:(?:\w+\s+)?(?:this|these|those|such)|it|its|they|their|he|his|she|her)\b", re.I)
_CODE_BLOCK = re.compile(r"\s*(?:```|~~~|\$ |>>> |(?: {4}|\t)\S)")


def _content(text: str) -> list[Token]:
    """The words of `text` that name something: not stop words, numbers or dates."""
    return [t for t in tokens(text) if t.kind not in ("stop", "num", "date")]


def _names_the_subject(question_tokens: list[Token], clause: str, target: str, title: frozenset[str]) -> bool:
    """A fact-first question names its clause's subject: "How many years did the Cob take to complete?" of
    "The Cob took 4 years to complete", not "How many years does the Ffestiniog Railway take ...", a small
    model's habit of putting the document's subject everywhere. A subject the title names is named by
    the title's words too; one with words of its own, by at least SUBJECT_NAMED_MIN of them."""
    if not clause_subject(clause, target):
        return True
    span = subject_span(clause, target)
    assert span is not None
    vocab = vocabulary(question_tokens)
    said = clause[span[0] : span[1]]
    if clause.count("(") != clause.count(")"):  # the clause was cut inside a parenthesis ("(Welsh: Rheilffordd ...)"): any word names it
        return any(present(t, vocab) for t in _content(said))
    # Each part of an appositive subject names it: "The Ffestiniog Railway, the oldest independent railway in the world",
    # "The Vale of Rheidol Railway (Welsh: Rheilffordd Cwm Rheidol)".
    for part in re.split(r"[,()]", said):
        words = _content(part)
        own = [t for t in words if not present(t, title)]  # "museum" of "The railway museum" in the Millbrook Railway's document
        if (own and sum(present(t, vocab) for t in own) >= SUBJECT_NAMED_MIN * len(own)) or (words and not own and any(present(t, vocab) for t in words)):
            return True
    return False


def _asks_for_target(question_tokens: list[Token], target: str, quote: str, title: frozenset[str]) -> bool:
    """The question is about the target's own clause: at least TARGET_CONTEXT_MIN of its words (leaving
    out the document's subject, which the title names, the question's frame words, and the counted noun
    its opening repeats) are in that clause. "How many members does the society have?" asks for 1,200 in
    "the society has about 1,200 members, and around 60,000 passengers ride the line"; "How many
    passengers does the society have?" does not ask for 60,000. A question that names only the
    document's subject is about the target's clause only when that clause opens with "it": "How many
    arches does the Cwm Llys viaduct have?" of "... and it has nine arches" in a report on the viaduct,
    but not "How many cars does the railway have?" of "Millbrook station has ... parking for 120 cars"."""
    clause = target_clause(quote, target)
    if clause is None:
        return True
    at = find_target(clause, target)
    if not _names_the_subject(question_tokens, clause, target, title):
        return False
    measured = _MEASURED.search(clause[:at])
    if measured and measured.group(1).lower() not in MEASURE_WORDS:
        thing = [t for t in tokens(measured.group(1)) if t.kind != "stop"]
        if thing and not present(thing[0], title) and not present(thing[0], vocabulary(question_tokens)):
            return False  # "a marked walk of 3 kilometres": a question that does not name the walk asks for another length
    counted: set[str] = set()  # the noun right after the target ("nine stone arches"), which the opening repeats
    following = tokens(clause[at + len(target) :])
    for i, token in enumerate(following[:2]):
        if token.kind == "stop":
            if token.key == "per" and i + 1 < len(following):  # "10 kilometres per hour"
                counted.add(following[i + 1].key)
            break
        counted.add(token.key)
    if len(following) > 2 and following[1].key == "per":
        counted.add(following[2].key)
    around = vocabulary([t for t in tokens(clause[:at] + " " + clause[at + len(target) :]) if t.kind != "stop"])
    words = [
        t for i, t in enumerate(question_tokens)
        if t.kind != "stop" and t.key not in FRAME_KEYS and not present(t, title) and not (i < 5 and t.key in counted)
        and t.raw.lower() not in AUXILIARIES and t.raw.lower() not in IMPERATIVES
    ]
    if not words:  # the question names only the document's subject: right when the clause is about it
        subject = _content(" ".join(clause_subject(clause, target)))
        if subject and all(present(t, vocabulary(question_tokens)) for t in subject):
            return True  # the question names the clause's own subject, every word of it: "When will the Cwm Llys viaduct be inspected again?"
        opening = [w.lower() for w in ALNUM_RUN.findall(clause)[:2]]
        return bool(opening) and (opening[0] in ("it", "its") or opening[:2] in (["and", "it"], ["and", "its"]))
    return sum(present(t, around) for t in words) >= TARGET_CONTEXT_MIN * len(words)


def _roundtrip(question_tokens: list[Token], spans: list[QuoteSpan], chunk: ChunkContext, title: frozenset[str] = frozenset()) -> float | None:
    """How well the quoted sentence matches the question's words, over the best sentence of the chunk
    (1.0: the question leads to the quote). The title's words name the document's subject, which every
    sentence is about, so they lead nowhere; nor does the measure of "How long ...", "How many ...".
    None when nothing locates the question."""
    words = {t.key for t in question_tokens if t.kind != "stop" and t.key in chunk.weight and t.key not in title}
    words |= {v for t in question_tokens if t.key not in chunk.weight and (v := name_variant(t, chunk.weight)) and v not in title}
    if len(question_tokens) > 1 and question_tokens[0].raw.lower() == "how" and question_tokens[1].key in FRAME_KEYS:
        words.discard(question_tokens[1].key)  # "How long", "How many": what is asked, not what about
    if not words or not chunk.spans:
        return None
    weight = chunk.weight
    scores = [sum(weight[k] for k in words.intersection(sentence)) for sentence in chunk.sentences]
    best = max(scores)
    quoted_sentences = quoted(chunk.spans, spans)
    if best <= 0.0 or not quoted_sentences:
        return None
    # A sentence may name its subject only in the one before it ("In 1858 Joran Halmere gave the museum
    # a collection of lamps. The gift was valued at 30,000 crowns."): that sentence leads there too, when
    # the quoted sentence shares a word with the question itself, opens by pointing back ("This is
    # typically two days before ...", "In this case, ..."), or is a code block, which shows what the
    # sentence before it says.
    def leads(i: int) -> bool:
        text = chunk.text[chunk.spans[i][0] : chunk.spans[i][1]]
        return scores[i] > 0 or _POINTS_BACK.match(text) is not None or _CODE_BLOCK.match(text) is not None

    return round(max(max(scores[max(0, i - ROUNDTRIP_BACK) : i + 1]) if leads(i) else 0.0 for i in quoted_sentences) / best, 9)
