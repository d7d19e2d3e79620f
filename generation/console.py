"""What the CLI prints: the tables and summaries of `ingest`, `run`, `status` and `review`, with rich.
Names of sources are printed whole (a cron log needs them) and escaped (a name holding a newline or a
terminal escape cannot forge a log line: `shown`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.sources import shown


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


# Above this many sources, `ingest` prints the failures in full and a line per kind, not a row per file.
TABLE_MAX_ROWS = 40


def ingest_report(order: list[tuple[int, str]], read: dict, failures: dict, skipped: list[tuple[str, str]]) -> None:
    """A row per source (names never cut, also in a cron log), or for a large folder the failures and
    a summary per kind."""
    from collections import Counter

    from rich.markup import escape
    from rich.table import Table

    out = console()
    if len(order) <= TABLE_MAX_ROWS:
        table = Table("source", "kind", "pages", "characters", "chunks", "problem")
        table.columns[0].overflow = table.columns[5].overflow = "fold"
        for key, source_id in order:
            if key in failures:
                table.add_row(escape(shown(source_id)), "", "", "", "", f"[red]{failures[key].kind}[/red] (below)")
            elif key in read:
                source, doc, n = read[key]
                table.add_row(escape(shown(source_id)), source.kind, str(len(doc.pages) or ""), f"{len(doc.text):,}", str(n), escape("; ".join(doc.warnings)))
        out.print(table)
        for key, source_id in order:  # in full, one line each: a narrow table cuts names a cron log needs whole
            if key in failures:
                exc = failures[key]
                out.print(f"[red]{exc.kind}[/red]: {escape(shown(source_id))}: {escape(shown(exc.message))}", soft_wrap=True)
    else:
        kinds = Counter(source.kind for source, _, _ in read.values())
        out.print("read: " + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()), soft_wrap=True)
        for key, source_id in order:
            if key in failures:
                exc = failures[key]
                out.print(f"[red]{exc.kind}[/red]: {escape(shown(source_id))}: {escape(shown(exc.message))}", soft_wrap=True)
        by_kind = Counter(exc.kind for exc in failures.values())
        if by_kind:
            out.print("failed: " + ", ".join(f"{n} {kind}" for kind, n in by_kind.most_common()), soft_wrap=True)
    for source_id, reason in skipped:
        out.print(f"[yellow]skipped[/yellow]: {escape(shown(source_id))}: {escape(shown(reason))}", soft_wrap=True)


def summary(m: dict[str, Any], manifest_path: Path | None) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    table = Table("stage", "counts", show_header=False)
    table.add_row("sources", ", ".join(f"{v} {k}" for k, v in m["sources"].items()))
    if m.get("scan", {}).get("read") or m.get("scan", {}).get("trusted"):
        table.add_row("read", scan_line(m["scan"]))
    table.add_row("chunks", ", ".join(f"{v} {k}" for k, v in m["chunks"].items()))
    table.add_row("pairs", ", ".join(f"{v} {k}" for k, v in m["pairs"].items()))
    if m["rejections"]:
        table.add_row("rejected for", ", ".join(f"{v} {k}" for k, v in m["rejections"].items()))
    if m.get("strategy"):
        table.add_row("strategy", f"{m['strategy']} ({m.get('strategy_reason') or '-'})")
    t = m["teacher"]
    table.add_row("teacher", f"{t['calls']} calls, {t['prompt_tokens']} prompt + {t['completion_tokens']} completion tokens, {t['seconds']:.1f} s")
    out.print(table)
    if m["pairs"]["published"] == 0 and m["pairs"]["rejected"]:
        out.print("[yellow]nothing was published[/yellow]: every pair was rejected; rejected.jsonl gives each one's reasons")
    for f in m["failures"]:
        out.print(f"[yellow]{escape(shown(f['source'] or f['stage']))}[/yellow]: {f['kind']}: {escape(shown(f['message']))}", soft_wrap=True)
    if manifest_path:
        out.print(f"manifest: {manifest_path}")


def scan_line(scan: dict[str, Any]) -> str:
    """What the scan read: "1.2 MB from 10 sources; 990 unchanged, not read" (and whether it verified all)."""
    line = f"{_size(scan['bytes_read'])} from {scan['read']} source{'' if scan['read'] == 1 else 's'}"
    if scan["trusted"]:
        line += f"; {scan['trusted']} unchanged, not read"
    elif scan.get("verified"):
        line += "; every source read in full"
    return line


def _size(n: float) -> str:
    if n < 1000:
        return f"{int(n):,} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1000
        if n < 1000 or unit == "TB":
            break
    return f"{n:.1f} {unit}"


def status(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    from rich.markup import escape
    from rich.table import Table

    out = console()
    changes = report["changes"]
    out.print(
        f"[bold]{report['corpus']}[/bold]: {report['published']} pair{'' if report['published'] == 1 else 's'} published; since the last run "
        f"{len(changes['added'])} added, {len(changes['changed'])} changed, {len(changes['removed'])} removed, "
        f"{changes['unchanged']} unchanged sources"
    )
    for kind in ("added", "changed", "removed"):
        for source_id in changes[kind]:
            out.print(f"  {kind}: {escape(shown(source_id))}", soft_wrap=True)
    if report.get("reviews"):
        out.print(review_line(report["reviews"], report["corpus"]), soft_wrap=True)
    if report["runs"]:
        table = Table("run", "finished", "exit", "sources changed", "pairs added", "retired", "teacher s")
        for r in report["runs"]:
            table.add_row(str(r["run_id"]), r["finished_at"] or "(did not finish)", str(r["exit_code"]), str(r["sources_changed"]), str(r["pairs_added"]), str(r["retired"]), f"{r['teacher_seconds']:.1f}")
        if not out.is_terminal:  # a cron log: every value whole, one run a line, however wide (as `ingest` does)
            out.width = max(out.width, out.measure(table, options=out.options.update_width(10_000)).maximum)
        out.print(table)
    else:
        out.print("no run yet")


# -- review -----------------------------------------------------------------------------------------
def review_line(r: dict[str, int], corpus: str) -> str:
    line = (
        f"reviews: {r['published_reviewed']} of the published pairs reviewed, {r['published_unreviewed']} unreviewed; "
        f"{r['accepted']} accepted, {r['edited']} edited, {r['rejected']} rejected"
    )
    if r["on_retired_pairs"]:
        line += f" ({r['on_retired_pairs']} more kept with retired pairs)"
    if r["since_last_run"]:
        line += f"; {r['since_last_run']} made since the last run: 'groundqa run {corpus}' publishes them"
    return line
