"""out/report.md: a dataset's quality at a glance."""

from __future__ import annotations

import re
from collections import Counter

from generation.records import Pair, Rejection
from ingest.sources import table_cell

_WORD = re.compile(r"[\w'-]+")
LENGTH_BUCKETS = (5, 10, 20, 40, 80)
SOURCE_ROWS = 100  # sources listed by name in the per-source tables, as in the dataset card (outputs/card.py)  # answer length in words: <=5, <=10, ... , >80


def render_report(
    name: str, pairs: list[Pair], rejected: list[Rejection], coverage: dict[str, tuple[int, int]] | None = None
) -> str:
    """The report; `coverage` is source -> (facts, facts with a published pair) (generation/coverage.py)."""
    duplicates = sum(1 for r in rejected if r.duplicate_of)
    figures = report_figures(pairs, rejected)
    lines = [f"# {name}: dataset report", ""]
    checked = len(pairs) + len(rejected)
    lines += [
        f"- published pairs: **{len(pairs)}**",
        f"- rejected: {len(rejected) - duplicates} ({_share(len(rejected) - duplicates, checked)} of the pairs checked)",
        f"- duplicates removed: {duplicates} ({_share(duplicates, len(pairs) + duplicates)} of the grounded pairs)",
        f"- distinct-bigram ratio of the questions: {distinct_bigram_ratio([p.question for p in pairs]):.3f} "
        "(distinct word bigrams / all bigrams; low means repetitive questions)",
        "",
    ]
    if coverage:
        facts = sum(f for f, _ in coverage.values())
        covered = sum(c for _, c in coverage.values())
        lines.insert(4, f"- coverage: {covered} of {facts} facts have a published pair ({_share(covered, facts)}; "
                        "a fact is an English sentence stating a date, number, amount or name)")
    lines += _review(pairs, rejected)
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


def report_figures(pairs: list[Pair], rejected: list[Rejection]) -> dict[str, list[tuple[str, int]]]:
    """The report's tables as (label, count) rows: what the review page draws as charts."""
    return {
        "pairs_per_source": Counter(p.source_id for p in pairs).most_common(),
        "question_kinds": Counter(_first_word(p.question) for p in pairs).most_common(),
        "answer_lengths": _lengths([len(_WORD.findall(p.answer)) for p in pairs]),
        "rejection_reasons": Counter(reason.split(":", 1)[0] for r in rejected for reason in r.reasons).most_common(),
    }


def _review(pairs: list[Pair], rejected: list[Rejection]) -> list[str]:
    """What a person decided in `groundqa review`, where anything was."""
    accepted = [p for p in pairs if p.review == "accept"]
    edited = [p for p in pairs if p.review == "edit"]
    removed = sum(1 for r in rejected if r.review == "reject")
    if not (accepted or edited or removed or any(r.review for r in rejected)):
        return []
    over = sum(1 for p in accepted if p.checker_reasons)
    kept = sum(1 for p in edited if p.checker_reasons)
    return [
        "## Review",
        "",
        f"- reviewed: {len(accepted) + len(edited)} of the {len(pairs)} published pairs ({_share(len(accepted) + len(edited), len(pairs))})",
        f"- accepted: {len(accepted)}, of which {over} the checker rejects (a person's acceptance stands)",
        f"- edited: {len(edited)}, of which {kept} kept though the checker rejects the edited pair",
        f"- rejected by a person: {removed} (in rejected.jsonl, reason `reviewer_rejected`)",
        "",
    ]


def distinct_bigram_ratio(texts: list[str]) -> float:
    bigrams = [tuple(w[i : i + 2]) for w in (_WORD.findall(t.lower()) for t in texts) for i in range(len(w) - 1)]
    return len(set(bigrams)) / len(bigrams) if bigrams else 0.0


def _first_word(question: str) -> str:
    words = _WORD.findall(question)
    return words[0].lower() if words else "(empty)"


def _lengths(lengths: list[int]) -> list[tuple[str, int]]:
    counts: Counter = Counter()
    for n in lengths:
        bucket = next((f"<= {b}" for b in LENGTH_BUCKETS if n <= b), f"> {LENGTH_BUCKETS[-1]}")
        counts[bucket] += 1
    order = [f"<= {b}" for b in LENGTH_BUCKETS] + [f"> {LENGTH_BUCKETS[-1]}"]
    return [(k, counts[k]) for k in order if counts[k]]


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
