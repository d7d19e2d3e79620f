"""form: a real, self-contained question and a real answer.

The question: words in it, a question mark (or an imperative: "Name the ..."), not a sentence copied
from the chunk, not cut off, not about "the text", no pronoun that points outside it. The answer: not
empty, not the question again, not cut off, not looping, not "the text does not say". For a question
written for one fact (fact-first), also: it does not give its own answer away, it names something, it
does not ask about the future of a sentence that does not speak of one, and the names it writes are names
the text writes (a small teacher joins two names into one that is in neither: "John the Revolt in the West").
"""

from __future__ import annotations

import re

from generation.text.lexicon import (
    AUXILIARIES,
    DANGLING,
    IMPERATIVES,
    LEADING_PREPOSITIONS,
    PERSONAL_PRONOUNS,
    STOPWORDS,
    TEXT_WORDS,
    UNKNOWN_WORDS,
    WH_WORDS,
    YES_NO,
)
from generation.text.tokens import ALNUM_RUN, Token, first_words, fold, is_name, is_year, present, tokens, vocabulary

from ..context import ChunkContext, PairContext
from .base import Check, Finding

# An answer that says the same six words twice is a teacher looping (SmolLM2 did it in a third of its
# cut-off answers on the example corpus); none of the labelled set's true answers does.

REPEAT_NGRAM = 6
# A question shorter than this (in words) is not self-contained ("Why?"; "Who founded it?" passes).

MIN_QUESTION_WORDS = 3
# A question this long (folded characters) found verbatim in the chunk is a copied sentence.

MIN_COPIED_CHARS = 20


class FormCheck(Check):
    name = "form"
    reasons = {
        "empty_question": "the question has no words",
        "copied_question": "the question is a sentence of the chunk, copied",
        "truncated_question": "the question is cut off",
        "no_question_mark": "a question without its question mark",
        "not_a_question": "a statement, not a question",
        "question_too_short": f"fewer than {MIN_QUESTION_WORDS} words: not a self-contained question",
        "refers_to_text": "the question is about \"the text\" or \"the passage\", not about its subject",
        "unresolved_reference": "a pronoun in the question points at something the question does not name",
        "empty_answer": "the answer has no words",
        "answer_repeats_question": "the answer only repeats the question",
        "truncated_answer": "the answer is cut off",
        "repetitive_answer": f"the answer says the same {REPEAT_NGRAM} words twice (a teacher looping)",
        "answer_unknown": "the answer says the text does not tell",
        "answer_refers_to_text": "the answer is about \"the text\", not about its subject",
        "question_gives_answer": "fact-first: the question holds its own answer (or another value of its sentence)",
        "unnamed_subject": "fact-first: the question names nothing (no name, no number)",
        "changed_tense": "fact-first: the question asks what will be, and its sentence does not say what will be",
        "misjoined_name": "fact-first: the question writes a name (capitalised words together) that the text does not",
        "ungrammatical_question": "the question joins 'do' with 'be' (\"When did the poem be published?\")",
    }
    VERSION = 4  # 2: changed_tense, misjoined_name; 3: ungrammatical_question; 4: a fact's question ending on "this"
    zero_score = True

    def run(self, pair: PairContext) -> Finding:
        form = _question_form(pair.question, pair.chunk) + _answer_form(pair.answer, pair.question, pair.new_content, pair.content)
        if pair.target and pair.quotes:
            form += _target_form(pair.question_tokens, pair.question_vocab, pair.target, pair.quotes[0])
            form += _target_wording(pair.question, " ".join(pair.quotes), pair.chunk, pair.title or "")
        return Finding(reasons=form, values={"form": form})


def _target_form(question_tokens: list[Token], question_vocab: frozenset[str], target: str, quote: str) -> list[str]:
    """Form of a question written for `target`, a span of `quote`:

    - question_gives_answer: it holds the target (one of its numbers or dates, or all its words), or
      another date of the quote when the target is a date, or another number when it is a number
      ("When did the last train run on 30 September 1946?");
    - unnamed_subject: it names nothing (no name, no number): "How much will this grant cost?"."""
    reasons: list[str] = []
    words = [t for t in tokens(target) if t.kind != "stop"]
    facts = [t for t in words if t.kind in ("num", "date")]
    if facts:
        gives = any(present(t, question_vocab) for t in facts)
        if not gives:
            year_target = any(is_year(t) for t in facts)
            quote_vocab = vocabulary([t for t in tokens(quote) if t.kind in ("num", "date") and is_year(t) == year_target])
            gives = any(t.kind in ("num", "date") and is_year(t) == year_target and present(t, quote_vocab) for t in question_tokens)
    else:
        gives = bool(words) and all(present(t, question_vocab) for t in words)
    if gives:
        reasons.append("question_gives_answer")
    if not any(is_name(t) or t.kind == "num" for t in question_tokens):
        reasons.append("unnamed_subject")
    return reasons


_FUTURE = re.compile(r"\b(?:will|shall|won't|going to)\b", re.I)
_NAME_RUN = re.compile(r"[A-Z][\w’'./-]*(?:\s+(?:(?:of|the|in|on|for|and|de|la|le|von|van)\s+)*[A-Z][\w’'./-]*)+")


def _target_wording(question: str, quotes: str, chunk: ChunkContext, title: str) -> list[str]:
    """changed_tense: "When will the syntax be supported?" of "has been supported since 2021";
    misjoined_name: a run of capitalised words of the question (past its first word) that neither the
    chunk nor the title writes together."""
    reasons = []
    if _FUTURE.search(question) and not _FUTURE.search(quotes):
        reasons.append("changed_tense")
    if _ENDS_POINTING.search(question):
        reasons.append("unresolved_reference")  # "When did FTP download support become like this?" (bench/realdocs7)
    first = question.lstrip().split(None, 1)
    rest = first[1] if len(first) == 2 else ""
    folded_title = fold(title)
    for run in _NAME_RUN.findall(rest):
        name = fold(run)
        if name and name not in chunk.folded and name not in folded_title:
            reasons.append("misjoined_name")
            break
    return reasons


# A question for one fact that ends on a demonstrative points at the text it came from, which its reader lacks.
_ENDS_POINTING = re.compile(r"\b(?:this|that|these|those|here|there)\W*\?\s*$", re.I)
_TEXT_NOUNS = r"(?:text|passage|excerpt|paragraphs?|chunk|snippet|extract|context(?!\s+of))"

_REFERS_TO_TEXT = re.compile(
    rf"\b(?:(?:this|above|given|provided|following|preceding|previous|same)\s+(?:{_TEXT_NOUNS}|article|document|section)"
    rf"|the\s+{_TEXT_NOUNS}"
    r"|according\s+to\s+the\s+(?:article|document|author|source)"
    r"|(?:mentioned|described|stated|discussed|quoted)\s+(?:above|below|earlier))\b",
    re.I,
)

_PRONOUN = r"(?:he|she|they|it|him|her|them|his|their)"

# "When did the poem of Waterloo be published?": a question led by "do" whose verb is "be" (a small teacher
# mixing "When was ... published" with "When did ... publish"). "Does it need to be set?" and "What does
# 'be' mean?" are English: "be" after "to" or a modal, or quoted, is not this.
_DO_BE = re.compile(
    r"^\W*(?:\w+\s+){0,3}?(?:do|does|did)\s+(?:(?!to\b|not\b|can\b|could\b|will\b|would\b|should\b|must\b|may\b|might\b)[\w’'-]+\s+){1,6}be\s+\w+(?:ed|en)\b",
    re.I,
)

_UNRESOLVED = re.compile(
    rf"^\W*(?:\S+\s+){{0,2}}{_PRONOUN}\b"
    r"|\b(?:is|was|are|were|do|does|did|has|have|had|can|could|will|would)\s+(?:he|she|it|they)\b",
    re.I,
)

_UNKNOWN_ANSWER = re.compile(
    r"\b(?:text|passage|context|document|article|excerpt|chunk)\s+(?:does\s+not|doesn't|did\s+not|didn't)\b"
    r"|\bnot\s+(?:mentioned|stated|specified|provided|given)\s+in\b"
    r"|\bno\s+information\b|\bi\s+(?:don't|do\s+not)\s+know\b"
    r"|\bcan(?:not|'t)\s+be\s+(?:determined|answered)\s+(?:from|based)\b"
    r"|^\W*(?:unknown|n/?a|none|not\s+(?:mentioned|stated|specified|available))\W*$",
    re.I,
)


_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")

_CHOICE = re.compile(r"\bor\b", re.I)  # "Which is older, Karsby or Ostmoor?": the answer is one of the question's words


def _cut_off(text: str) -> bool:
    """Ends mid-thought, as a reply cut by a length bound or max_tokens does."""
    return (
        text.endswith(("...", "…", ",", ";", ":", "-", "–"))
        or text.count("(") != text.count(")")
        or text.count("[") != text.count("]")
        or text.count('"') % 2 == 1
    )


def _unresolved(question: str) -> bool:
    """A pronoun that points outside the question ("When did he die?", "What does it cost?"); not the
    empty "it" of "is it preferred to ..." or "is it possible that ...", nor one whose noun an earlier
    clause of the question names ("What is the longest train service, and how often does it run?")."""
    for match in _UNRESOLVED.finditer(question):
        after = question[match.end() :]
        if _EMPTY_IT_BEFORE.search(match.group()) and _EMPTY_IT.match(after):
            if _OTHER_PRONOUN.search(after):  # "Could it be that they left?"
                return True
            continue
        before = question[: match.start()]
        clause = _CLAUSE_BEFORE.search(before)
        if clause and any(w.lower() not in STOPWORDS for w in ALNUM_RUN.findall(before[: clause.start()])):
            continue
        return True
    return False

_OTHER_PRONOUN = re.compile(r"\b(?:he|she|they|him|her|them|his|their)\b", re.I)

_EMPTY_IT_BEFORE = re.compile(r"\b(?:is|was|would|will|could|might)\s+it$", re.I)

_EMPTY_IT = re.compile(r"\s+(?:\w+\s+){0,1}\w+\s+(?:to|that)\b", re.I)  # "is it preferred to", "is it ever necessary to"

_CLAUSE_BEFORE = re.compile(r"(?:,|;|\band\b|\bor\b)\s*(?:\w+\s+){0,2}$", re.I)


def _question_form(question: str, chunk: ChunkContext) -> list[str]:
    text = question.strip()
    words = ALNUM_RUN.findall(text)
    if not words:
        return ["empty_question"]
    first = words[0].lower()
    interrogative_start = (
        first in WH_WORDS
        or first in AUXILIARIES
        or first in IMPERATIVES
        or (first in LEADING_PREPOSITIONS and any(w in WH_WORDS for w in first_words(text, 3)[1:]))
    )
    reasons: list[str] = []
    folded = fold(text)
    at = chunk.folded.find(folded) if len(folded) >= MIN_COPIED_CHARS else -1
    if at >= 0 and first not in WH_WORDS and first not in AUXILIARIES:
        end = chunk.offsets[at + len(folded) - 1] + 1
        if not chunk.text[end:].lstrip(" \"'”’)").startswith("?"):  # a question the chunk asks itself is fine
            reasons.append("copied_question")
    truncated = (
        _cut_off(text)
        or (words[-1].lower() in DANGLING and not text.rstrip("?!. ").endswith(")"))
        or (not text.endswith("?") and words[-1].lower() in LEADING_PREPOSITIONS)
    )
    if truncated:
        reasons.append("truncated_question")
    elif not reasons and not text.endswith("?") and first not in IMPERATIVES:
        reasons.append("no_question_mark" if interrogative_start else "not_a_question")
    if len(words) < MIN_QUESTION_WORDS:
        reasons.append("question_too_short")
    if _DO_BE.search(text):
        reasons.append("ungrammatical_question")
    lowered = {w.lower() for w in words}
    if not lowered.isdisjoint(TEXT_WORDS) and _REFERS_TO_TEXT.search(text):
        reasons.append("refers_to_text")
    elif (
        not lowered.isdisjoint(PERSONAL_PRONOUNS)
        and _unresolved(text)
        and not any(w[0].isupper() for w in words[1:])
    ):
        reasons.append("unresolved_reference")
    return reasons


def _answer_form(answer: str, question: str, new_content: list[Token], content: list[Token]) -> list[str]:
    words = ALNUM_RUN.findall(answer)
    if not words:
        return ["empty_answer"]
    reasons: list[str] = []
    echoes = content and not new_content and words[0].lower() not in YES_NO and not _CHOICE.search(question)
    if echoes or fold(answer) == fold(question):
        reasons.append("answer_repeats_question")
    ended = answer.rstrip().endswith((".", "!", "?", '"', "'", ")", "”", "’"))
    dangling = words[-1].lower() in DANGLING or words[-1].lower() in LEADING_PREPOSITIONS
    unfinished_sentence = not ended and _SENTENCE_BREAK.search(answer) is not None  # "… the spring. The viadu"
    if _cut_off(answer.strip()) or unfinished_sentence or (len(words) > 3 and dangling and not ended):
        reasons.append("truncated_answer")
    folded = [w.lower() for w in words]
    grams = [tuple(folded[i : i + REPEAT_NGRAM]) for i in range(len(folded) - REPEAT_NGRAM + 1)]
    if len(grams) != len(set(grams)):
        reasons.append("repetitive_answer")
    lowered = set(folded)
    if not lowered.isdisjoint(UNKNOWN_WORDS) and _UNKNOWN_ANSWER.search(answer):
        reasons.append("answer_unknown")
    elif not lowered.isdisjoint(TEXT_WORDS) and _REFERS_TO_TEXT.search(answer):
        reasons.append("answer_refers_to_text")
    return reasons
