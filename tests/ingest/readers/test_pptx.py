"""The PPTX reader (ingest/readers/pptx.py)."""

import io
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from ingest.readers import detect_kind
from tests.ingest.readers.support import read

DATA = Path(__file__).resolve().parents[2] / "data" / "office"


def make_pptx() -> bytes:
    prs = Presentation()
    prs.core_properties.title = "Carrow ferry, season 2024"
    slide = prs.slides.add_slide(prs.slide_layouts[1])  # title and content
    slide.shapes.title.text = "The season at a glance"
    body = slide.placeholders[1].text_frame
    body.text = "Sailings from April to October"
    for text, level in [("Daily at 12:15", 1), ("Extra sailing on Saturdays", 1), ("Bicycles travel free", 0)]:
        paragraph = body.add_paragraph()
        paragraph.text, paragraph.level = text, level
    slide.notes_slide.notes_text_frame.text = "Remind the audience that the timetable changes in July."
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    slide.shapes.title.text = "Fares"
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, values in enumerate([("Ticket", "Price"), ("Adult return", "12 pounds"), ("Child return", "6 pounds")]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "Passengers"
    chart_data = CategoryChartData()
    chart_data.categories = ["2022", "2023"]
    chart_data.add_series("Passengers", (41200, 45800))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), chart_data)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def deck():
    return read("season.pptx", make_pptx())


def test_pptx_slides_are_pages_with_their_titles(deck):
    assert [span.page for span in deck.pages] == [1, 2, 3]
    assert [s.label for s in deck.sections] == ["Slide 1: The season at a glance", "Slide 2: Fares", "Slide 3: Passengers"]
    where = deck.text.index("12 pounds")
    assert deck.pages_for(where, where + 9) == [2]
    assert deck.title == "Carrow ferry, season 2024"
    assert "## The season at a glance" in deck.text.split("\n")


def test_pptx_bullets_keep_their_levels(deck):
    assert "- Sailings from April to October\n  - Daily at 12:15\n  - Extra sailing on Saturdays\n- Bicycles travel free" in deck.text


def test_pptx_speaker_notes_are_read(deck):
    assert "Notes: Remind the audience that the timetable changes in July." in deck.text
    notes = deck.text.index("Notes: Remind")
    assert deck.pages_for(notes, notes + 5) == [1]  # on the slide they belong to


def test_pptx_table_and_chart_rows_keep_their_header(deck):
    lines = deck.text.split("\n")
    header = lines.index("| Ticket | Price |")
    assert lines[header + 2] == "| Adult return | 12 pounds |"
    assert "| | Passengers |" in lines and "| 2023 | 45800 |" in lines


def test_real_powerpoint_tables():
    doc = read("tbl-cell.pptx", (DATA / "tbl-cell.pptx").read_bytes())
    assert [span.page for span in doc.pages] == [1, 2, 3]
    assert "| a | b | c |\n| --- | --- | --- |\n| d | e | f |\n| g | h | i |" in doc.text


def test_pptx_is_typed_by_content():
    assert detect_kind("season.zip", make_pptx()) == "pptx"
