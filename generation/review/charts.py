"""The report's figures as inline SVG, drawn here: a horizontal bar a row, no script and nothing fetched."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 460
LABEL = 170  # the label column, in pixels
ROW = 22
MAX_ROWS = 12  # more rows are summed into "(N more)"
LABEL_CHARS = 26


def bar_chart(title: str, rows: list[tuple[str, int]], *, css: str = "") -> Markup:
    """A chart of (label, count) rows, largest first as given; an empty chart says so."""
    if len(rows) > MAX_ROWS:
        rest = rows[MAX_ROWS - 1:]
        rows = [*rows[: MAX_ROWS - 1], (f"({len(rest)} more)", sum(n for _, n in rest))]
    height = max(1, len(rows)) * ROW + 8
    top = max((n for _, n in rows), default=0) or 1
    span = WIDTH - LABEL - 50
    parts = [
        f'<svg class="chart {escape(css)}" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    if not rows:
        parts.append('<text x="0" y="18" class="empty">none</text>')
    total = sum(n for _, n in rows) or 1
    for i, (label, n) in enumerate(rows):
        y = 4 + i * ROW
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        width = max(1.0, span * n / top)
        parts.append(
            f'<g><title>{escape(label)}: {n} ({n / total:.0%})</title>'
            f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end" class="label">{escape(short)}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}" rx="2" class="bar"/>'
            f'<text x="{LABEL + width + 5:.1f}" y="{y + 15}" class="value">{n}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
