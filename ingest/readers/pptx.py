"""PPTX (PowerPoint 2007 and later), through python-pptx: each slide in order, its title as a heading, its
text boxes top to bottom and left to right (the body placeholder's paragraphs as "- " items, indented by
their level), its tables as pipe rows under their header row and its charts as a table of their data,
then its speaker notes ("Notes: ..."). Each slide is a page for provenance (PageSpan.page is the
slide's number) and a section ("Slide 3: Results").

Typed by content: a zip whose [Content_Types].xml gives the main part a PresentationML type
(ingest/readers/zipped.py).

Library, measured on 10 real presentations with text (`python bench/office.py --candidates`: 7 written by
PowerPoint, kept by python-pptx as its test files, 3 of LibreOffice's templates saved as PPTX; the files:
bench/officedocs/collect.py). Reference: the text elements of the slides' and notes' XML, found by a
regular expression; docs/s on this two-core machine:

    library              precision recall  docs/s  structure kept                        installs                 licence
    python-pptx (bare)    1.000    0.900   284     none: text frames, cells, notes       4 MB + Pillow, XlsxWriter  MIT
    this reader      <-   0.722    0.900   179     titles, bullet levels, tables, notes, chart data   (same)
    markitdown            0.412    1.000    81     titles, tables as HTML, notes, charts 199-329 MB               MIT

The reader's precision is below 1 because it writes what the reference leaves out on purpose: the data of
charts (in the chart's own part) and the "Notes:" label. It is 0.63 of the bare call's speed on these
small decks (5.6 ms against 3.5 ms a deck: sorting shapes by position, finding the title placeholder,
the zip check); markitdown reads through python-pptx too, with 200 MB more dependencies. PyMuPDF opens no
Office format without its commercial extension.
"""

from __future__ import annotations

import io
import zipfile

from ..records import SourceError
from .base import Extracted, ReadOptions, Reader, clean_field
from .markup import TextBuilder, cell_value, table_lines
from .zipped import open_zip, zip_kind


class PptxReader(Reader):
    kind = "pptx"
    extensions = (".pptx", ".pptm", ".ppsx", ".potx")
    text_based = False

    def sniff(self, data: bytes) -> bool:
        return zip_kind(data) == "pptx"

    def extract(self, data: bytes, source_id: str, options: ReadOptions = ReadOptions()) -> Extracted:
        import pptx
        from pptx.exc import PackageNotFoundError

        open_zip(data, "PPTX").close()
        try:
            prs = pptx.Presentation(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise SourceError("corrupt", f"corrupt PPTX: {type(exc).__name__}: {str(exc)[:200]}") from exc
        builder = TextBuilder()
        first_title = None
        cut = 0
        for number, slide in enumerate(prs.slides, start=1):
            builder.page(number)
            title_shape = _title(slide)
            title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
            first_title = first_title or title
            builder.section(f"Slide {number}: {title}" if title else f"Slide {number}")
            if title:
                builder.heading(2, title)
            title_id = title_shape.shape_id if title_shape is not None else None
            cut += _shapes(builder, [s for s in slide.shapes if s.shape_id != title_id])
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                text = notes.text.strip() if notes is not None else ""
                if text:
                    builder.add("Notes: " + text)
        text = builder.text()
        if not text:
            raise SourceError("empty", "the presentation has no text")
        core = prs.core_properties
        warnings = [f"{cut} table(s) have more than 50 columns: only the first 50 are read"] if cut else []
        return Extracted(
            text=text,
            title=clean_field(core.title) or clean_field(first_title),
            author=clean_field(core.author),
            date=core.created.date().isoformat() if core.created else None,
            pages=builder.pages,
            sections=builder.sections,
            warnings=warnings,
        )


def _title(slide):
    for shape in slide.placeholders:
        try:
            kind = shape.placeholder_format.type
        except ValueError:
            continue
        if kind is not None and "TITLE" in str(kind) and "SUB" not in str(kind) and shape.has_text_frame:
            return shape
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _position(shape) -> tuple[int, int]:
    return (shape.top or 0, shape.left or 0)


def _shapes(builder: TextBuilder, shapes) -> int:
    """The shapes' text, top to bottom and left to right; the number of tables cut to 50 columns."""
    cut = 0
    for shape in sorted(shapes, key=_position):
        if shape.shape_type is not None and str(shape.shape_type).startswith("GROUP"):
            cut += _shapes(builder, list(shape.shapes))
        elif getattr(shape, "has_table", False) and shape.has_table:
            lines, was_cut = table_lines(_table_rows(shape.table))
            cut += was_cut
            builder.lines(lines)
        elif getattr(shape, "has_chart", False) and shape.has_chart:
            _chart(builder, shape.chart)
        elif shape.has_text_frame:
            _text_frame(builder, shape)
    return cut


def _text_frame(builder: TextBuilder, shape) -> None:
    paragraphs = [(p.level, _one_line(p.text)) for p in shape.text_frame.paragraphs]
    paragraphs = [(level, text) for level, text in paragraphs if text]
    if not paragraphs:
        return
    bulleted = shape.is_placeholder and len(paragraphs) > 1
    if bulleted:
        builder.lines("  " * min(level, 8) + "- " + text for level, text in paragraphs)
    else:
        builder.lines(text for _, text in paragraphs)


def _table_rows(table) -> list[list[str]]:
    rows = []
    for r, row in enumerate(table.rows):
        values = []
        for c, cell in enumerate(row.cells):
            text = cell.text
            if cell.is_spanned and not text:  # a merged cell: the text of the cell it is merged into
                text = values[-1] if c and values else (rows[-1][c] if rows and c < len(rows[-1]) else "")
            values.append(text)
        rows.append(values)
    return rows


def _chart(builder: TextBuilder, chart) -> None:
    """A chart as its title and a table of its data: a row a category, a column a series."""
    try:
        if chart.has_title and chart.chart_title.has_text_frame:
            title = _one_line(chart.chart_title.text_frame.text)
            if title:
                builder.add(title)
        plot = chart.plots[0]
        categories = [cell_value(c) for c in plot.categories]
        series = list(plot.series)
    except (IndexError, KeyError, ValueError, AttributeError, TypeError):
        return  # a chart without data: nothing to read
    if not series:
        return
    header = [""] + [s.name or "" for s in series]
    values = [list(s.values) for s in series]
    rows = [header]
    for i, category in enumerate(categories or [str(n + 1) for n in range(len(values[0]))]):
        rows.append([category] + [cell_value(v[i]) if i < len(v) else "" for v in values])
    builder.lines(table_lines(rows)[0])
