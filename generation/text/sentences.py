"""Where sentences and clauses of a chunk begin and end.

Three readers need sentences, and they need them cut differently, so each has one function here:

- `bounds` / `segments`: the grounding checks' sentences. Any ".", "!" or "?" followed by white space
  ends one, and so does a blank line; cheap, and it never joins two facts into one sentence. The checks
  compare a pair's words with each sentence's.
- `sentences`: fact selection's sentences (facts.py), which become published answers, so they must not
  be cut inside: blocks first (paragraphs, list items, heading lines), then a sentence end only before a
  word that is not lower case ("e.g. the" and "approx. five" are not ends), CJK full stops too.
- `quotable`: the sentences a free-form teacher may quote (the reply schema's enum): lines and
  paragraphs apart, long sentences cut at clause ends so that each fits the schema's bound.

And the clause cuts: `CLAUSE_BREAK` (the span roundtrip's clauses: a value stays with its label),
`FACT_CLAUSE_CUT` (the clause of a fact's target that a fact-first teacher is shown), and
`QUESTION_CLAUSE` (a question of several clauses: "..., and when did it close?").
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import ABBREVIATIONS
from .tokens import ALNUM_RUN

CACHE_SIZE = 512

# -- the checks' sentences -----------------------------------------------------------------------------

# The white space after a ".", "!" or "?" (group 1), or a blank line. Written without a look-behind so that
# the search jumps from one of ".!?\n" to the next in C.
_SENTENCE_BREAK = re.compile(r"[.!?](\s+)|\n\s*\n")


def bounds(text: str) -> list[tuple[int, int]]:
    """(end of each sentence, start of the next), then the text's end: where the checks' sentences
    are cut."""
    return [*((m.start(1) if m.lastindex else m.start(), m.end()) for m in _SENTENCE_BREAK.finditer(text)), (len(text), len(text))]


@lru_cache(maxsize=CACHE_SIZE)
def segments(text: str) -> tuple[tuple[int, int], ...]:
    """Every sentence of the text with words in it, headings included: (start, end)."""
    out, start = [], 0
    for end, next_start in bounds(text):
        if ALNUM_RUN.search(text, start, end):
            out.append((start, end))
        start = next_start
    return tuple(out)


# -- fact selection's sentences --------------------------------------------------------------------------

# A sentence ends at ".", "!" or "?" (and their CJK forms) before a word that is not lower case: a capital
# of any script, a digit, a quote or bracket, or a letter of a script without case.
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"'”’)\]*_]*)\s+(?=[\"'“‘(\[*_]*[^\W_])|(?<=[。！？])\s*(?=\S)")
_BLOCK = re.compile(r"\n\s*\n|\n[ \t]*(?:-{3,}|={3,}|~{3,}|\^{3,}|\*{3,}|_{3,}|#{3,}|\+{3,})[ \t]*(?=\n|$)|\n(?=\s*(?:[-*+>#|]|\d+[.)])\s)")  # a "-----" line under a heading
OPENING_MARKS = "\"'“‘([*_`"
# A line of a block shorter than this share of its longest line, with no closing punctuation, and
# followed by a capital, is a heading (the example PDF's "Engineering Report 2024" above its text).
HEADING_LINE_SHARE = 0.75
# A line in capitals is a heading whatever follows it (a man page's "DESCRIPTION" above "lz4 is ...").
_SHOUTED_HEADING = re.compile(r"[A-Z][A-Z0-9 &/-]{2,40}")


def blocks(text: str) -> list[tuple[int, int, int]]:
    """(start, end, next start) of each block: paragraphs, list items, and heading lines. A PDF page
    often runs its headings into the first paragraph with single line breaks; a line that ends with
    no punctuation, is followed by a capital, and is shorter than HEADING_LINE_SHARE of the block's
    longest line is a heading of its own. The lines of a hard-wrapped paragraph stay one block."""
    cuts = [(m.start(), m.end()) for m in _BLOCK.finditer(text)]
    out: list[tuple[int, int, int]] = []
    start = 0
    for end, next_start in [*cuts, (len(text), len(text))]:
        lines = text[start:end].split("\n")
        longest = max(len(line.strip()) for line in lines)
        at = start
        for i, line in enumerate(lines[:-1]):
            line_end = at + len(line)
            following = lines[i + 1].lstrip()
            stripped = line.strip()
            if (
                stripped
                and not stripped.endswith((".", ",", ";", ":", "-", "!", "?", ")"))
                and (following[:1].isupper() or _SHOUTED_HEADING.fullmatch(stripped))
                and len(stripped) < HEADING_LINE_SHARE * longest
            ):
                out.append((start, line_end, line_end + 1))
                start = line_end + 1
            at = line_end + 1
        out.append((start, end, next_start))
        start = next_start
    return out


def sentences(text: str) -> list[tuple[int, int]]:
    """Chunk-relative (start, end) of each sentence: blocks (paragraphs, list items, headings) cut at
    sentence ends."""
    out: list[tuple[int, int]] = []
    block_start = 0
    for _, block_end, next_start in blocks(text):
        start = block_start
        block = text[block_start:block_end]
        for m in _SENTENCE_END.finditer(block):
            if block[m.end() : m.end() + 8].lstrip(OPENING_MARKS)[:1].islower():
                continue  # "e.g. the", "approx. five": an abbreviation, not a sentence end
            if _abbreviation_before(block, m.start()):
                continue  # "Frederick W. Mote", "the U.S. National Science Foundation", "Dr. Owain"
            out.append((start, block_start + m.start() + len(m.group(1) or "")))  # closing quotes stay
            start = block_start + m.end()
        out.append((start, block_end))
        block_start = next_start
    return [(s + _leading(text[s:e]), e - _trailing(text[s:e])) for s, e in out if text[s:e].strip()]


_WORD_BEFORE_PERIOD = re.compile(r"([^\W\d_]+(?:\.[^\W\d_]+)*)\.$")


def _abbreviation_before(block: str, end: int) -> bool:
    """The period before `end` closes an abbreviation, not a sentence: an initial (one capital letter), a
    dotted abbreviation ("U.S.", "e.g."), or one of lexicon.ABBREVIATIONS."""
    if end == 0 or block[end - 1] != ".":
        return False
    m = _WORD_BEFORE_PERIOD.search(block, max(0, end - 20), end)
    if m is None:
        return False
    word = m.group(1)
    if m.start() > 0 and (block[m.start() - 1].isalnum() or block[m.start() - 1] == "."):
        return False
    return (len(word) == 1 and word.isupper()) or "." in word or word.lower() in ABBREVIATIONS


def _leading(s: str) -> int:
    return len(s) - len(s.lstrip())


def _trailing(s: str) -> int:
    return len(s) - len(s.rstrip())


# -- what a free-form teacher may quote ------------------------------------------------------------------

_QUOTE_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_QUOTE_CLAUSE = re.compile(r"(?<=[,;:])\s+")
_WRAP = re.compile(r"\s*\n\s*")


def quotable(text: str, max_chars: int, limit: int) -> list[str]:
    """The chunk's sentences of three words or more (long ones cut at clause ends to at most
    `max_chars`), each a verbatim piece of `text` up to white space, at most `limit`, in order."""
    choices: list[str] = []
    for line in _BLOCK.split(text):  # paragraphs, headings and list items apart; a wrapped paragraph's lines one
        for sentence in _QUOTE_SENTENCE.split(_WRAP.sub(" ", line).strip()):
            pieces = [sentence]
            if len(sentence) > max_chars:
                pieces, current = [], ""
                for clause in _QUOTE_CLAUSE.split(sentence):
                    if current and len(current) + 1 + len(clause) > max_chars:
                        pieces.append(current)
                        current = clause
                    else:
                        current = f"{current} {clause}" if current else clause
                pieces.append(current)
            for piece in pieces:
                piece = piece.strip()
                if len(piece.split()) >= 3 and len(piece) <= max_chars and piece not in choices:
                    choices.append(piece)
    return choices[:limit]


# -- clauses ---------------------------------------------------------------------------------------------

# The span roundtrip's clauses: a comma (not one inside a number or date: "July 4, 1981"), a semicolon, a
# colon, or a joining conjunction ("identified in 1781 | and first isolated in 1783").
CLAUSE_BREAK = re.compile(r"(?<!\d),\s+|,\s+(?!\d)|;\s+|:\s+|\s+(?:and|but|while|whereas|whilst)\s+")
# Where a fact's clause may end: punctuation, or before a conjunction (facts.target_clause decides which
# conjunctions open a clause of their own).
FACT_CLAUSE_CUT = re.compile(r"\s*[,;:]\s+|\s+(?=(?:and|but|or|while|whereas)\s)")
# A question of several clauses: "What is the longest service, and how often does it run?"
QUESTION_CLAUSE = re.compile(r",?\s+(?:and|or)\s+(?=(?:what|who|whom|whose|which|when|where|why|how|in|on|at|for|from|to|by)\b)", re.I)
