"""out/report.md: a dataset's quality at a glance."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from generation.records import Pair, Rejection
from ingest.sources import table_cell

_WORD = re.compile(r"[\w'-]+")
LENGTH_BUCKETS = (5, 10, 20, 40, 80)
SOURCE_ROWS = 100  # sources listed by name in the per-source tables, as in the dataset card (outputs/card.py)  # answer length in words: <=5, <=10, ... , >80


class Tally:
    """The report's figures, counted one pair or rejection at a time, so a run can write its set shard by shard
    without holding the dataset: counters, and the set of distinct question bigrams."""

    def __init__(self) -> None:
        self.published = self.rejected = self.duplicates = 0
        self.bigrams: set[tuple[str, str]] = set()
        self.bigram_count = 0
        self.per_source: Counter = Counter()
        self.kinds: Counter = Counter()
        self.lengths: Counter = Counter()
        self.reasons: Counter = Counter()
        self.review: Counter = Counter()  # accepted, accepted_overruled, edited, edited_kept, removed, rejected_reviewed

    def add_pair(self, pair: Pair) -> None:
        self.published += 1
        words = _WORD.findall(pair.question.lower())
        self.bigrams.update(zip(words, words[1:]))
        self.bigram_count += max(0, len(words) - 1)
        self.per_source[pair.source_id] += 1
        self.kinds[_first_word(pair.question)] += 1
        self.lengths[_bucket(len(_WORD.findall(pair.answer)))] += 1
        if pair.review in ("accept", "edit"):
            what = "accepted" if pair.review == "accept" else "edited"
            self.review[what] += 1
            self.review[f"{what}_overruled"] += bool(pair.checker_reasons)

    def add_rejection(self, rejection: Rejection) -> None:
        self.rejected += 1
        self.duplicates += bool(rejection.duplicate_of)
        self.reasons.update(reason.split(":", 1)[0] for reason in rejection.reasons)
        self.review["rejected_reviewed"] += bool(rejection.review)
        self.review["removed"] += rejection.review == "reject"

    def figures(self) -> dict[str, list[tuple[str, int]]]:
        """The report's tables as (label, count) rows: what the review page draws as charts."""
        order = [f"<= {b}" for b in LENGTH_BUCKETS] + [f"> {LENGTH_BUCKETS[-1]}"]
        return {
            "pairs_per_source": self.per_source.most_common(),
            "question_kinds": self.kinds.most_common(),
            "answer_lengths": [(k, self.lengths[k]) for k in order if self.lengths[k]],
            "rejection_reasons": self.reasons.most_common(),
        }

    def render(self, name: str, coverage: dict[str, tuple[int, int]] | None = None) -> str:
        """The report; `coverage` is source -> (facts, facts with a published pair) (generation/coverage.py)."""
        published, rejected, duplicates = self.published, self.rejected, self.duplicates
        figures = self.figures()
        lines = [f"# {name}: dataset report", ""]
        checked = published + rejected
        ratio = len(self.bigrams) / self.bigram_count if self.bigram_count else 0.0
        lines += [
            f"- published pairs: **{published}**",
            f"- rejected: {rejected - duplicates} ({_share(rejected - duplicates, checked)} of the pairs checked)",
            f"- duplicates removed: {duplicates} ({_share(duplicates, published + duplicates)} of the grounded pairs)",
            f"- distinct-bigram ratio of the questions: {ratio:.3f} "
            "(distinct word bigrams / all bigrams; low means repetitive questions)",
            "",
        ]
        if coverage:
            facts = sum(f for f, _ in coverage.values())
            covered = sum(c for _, c in coverage.values())
            lines.insert(4, f"- coverage: {covered} of {facts} facts have a published pair ({_share(covered, facts)}; "
                            "a fact is an English sentence stating a date, number, amount or name)")
        lines += self._review()
        lines += _table("Pairs per source", "source", figures["pairs_per_source"], limit=SOURCE_ROWS)
        if coverage:
            lines += ["## Coverage per source", "", "| source | facts | covered | share |", "|---|---:|---:|---:|"]
            listed = sorted(coverage.items())
            if len(listed) > SOURCE_ROWS:  # too many to list: the least covered first
                listed.sort(key=lambda item: (item[1][1] / item[1][0] if item[1][0] else 1.0, item[0]))
            lines += [f"| {table_cell(s)} | {f} | {c} | {_share(c, f)} |" for s, (f, c) in listed[:SOURCE_ROWS]]
            if len(listed) > SOURCE_ROWS:
                rest = listed[SOURCE_ROWS:]
                lines += [f"| ... and {len(rest)} more sources | {sum(f for _, (f, _) in rest)} | {sum(c for _, (_, c) in rest)} | |"]
            lines += [""]
            bare = sum(1 for f, _ in coverage.values() if not f)
            if bare:
                lines += [
                    f"{bare} source{'s have' if bare > 1 else ' has'} no fact: no English sentence stating a date, number, "
                    "amount or name. The fact-first strategy asks nothing of such text; a capable teacher with "
                    "`strategy = \"free_form\"` can.",
                    "",
                ]
        lines += _table("Question types (first word)", "first word", figures["question_kinds"])
        lines += _table("Answer length (words)", "words", figures["answer_lengths"])
        lines += _table("Rejection reasons", "reason", figures["rejection_reasons"])
        return "\n".join(lines).rstrip() + "\n"

    def _review(self) -> list[str]:
        """What a person decided in `groundqa review`, where anything was."""
        r = self.review
        accepted, edited, removed = r["accepted"], r["edited"], r["removed"]
        if not (accepted or edited or removed or r["rejected_reviewed"]):
            return []
        return [
            "## Review",
            "",
            f"- reviewed: {accepted + edited} of the {self.published} published pairs ({_share(accepted + edited, self.published)})",
            f"- accepted: {accepted}, of which {r['accepted_overruled']} the checker rejects (a person's acceptance stands)",
            f"- edited: {edited}, of which {r['edited_overruled']} kept though the checker rejects the edited pair",
            f"- rejected by a person: {removed} (in rejected.jsonl, reason `reviewer_rejected`)",
            "",
        ]


def tally(pairs: Iterable[Pair], rejected: Iterable[Rejection]) -> Tally:
    counted = Tally()
    for pair in pairs:
        counted.add_pair(pair)
    for rejection in rejected:
        counted.add_rejection(rejection)
    return counted


def render_report(
    name: str, pairs: list[Pair], rejected: list[Rejection], coverage: dict[str, tuple[int, int]] | None = None
) -> str:
    """The report of a dataset held in memory (`Tally` counts one shard at a time)."""
    return tally(pairs, rejected).render(name, coverage)


def report_figures(pairs: list[Pair], rejected: list[Rejection]) -> dict[str, list[tuple[str, int]]]:
    """The report's tables as (label, count) rows: what the review page draws as charts."""
    return tally(pairs, rejected).figures()


def distinct_bigram_ratio(texts: list[str]) -> float:
    bigrams = [tuple(w[i : i + 2]) for w in (_WORD.findall(t.lower()) for t in texts) for i in range(len(w) - 1)]
    return len(set(bigrams)) / len(bigrams) if bigrams else 0.0


def _first_word(question: str) -> str:
    words = _WORD.findall(question)
    return words[0].lower() if words else "(empty)"


def _bucket(words: int) -> str:
    return next((f"<= {b}" for b in LENGTH_BUCKETS if words <= b), f"> {LENGTH_BUCKETS[-1]}")


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def _table(title: str, key: str, rows: list[tuple[str, int]], limit: int | None = None) -> list[str]:
    """A table of counts with each row's share; past `limit` rows, the rest in one row."""
    out = [f"## {title}", ""]
    if not rows:
        return out + ["(none)", ""]
    total = sum(n for _, n in rows)
    out += [f"| {key} | pairs | share |", "|---|---:|---:|"]
    out += [f"| {table_cell(str(k))} | {n} | {_share(n, total)} |" for k, n in rows[:limit]]
    if limit is not None and len(rows) > limit:
        rest = sum(n for _, n in rows[limit:])
        out.append(f"| ... and {len(rows) - limit} more | {rest} | {_share(rest, total)} |")
    return out + [""]
