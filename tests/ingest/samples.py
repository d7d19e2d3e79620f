"""Sample documents made on the spot, for the extraction tests and the ingest benchmark.

    from tests.ingest.samples import make_html, make_pdf   # the repository root on sys.path

`make_pdf` writes a report with a running header, a "Page N of M" footer, one word hyphenated
across a line end on every page ("adip-" / "iscing") and ligature code points (U+FB01 "ﬁ",
U+FB02 "ﬂ"), so what extraction must undo is on every page. `make_html` returns a web page
whose main text sits between a navigation menu, a cookie banner, a sidebar and a footer.
"""

from __future__ import annotations

from pathlib import Path

HEADER = "Harbour Authority of Port Elwin - Annual Operations Review"
TITLE = "Annual Operations Review of the Port Elwin harbour"
AUTHOR = "Port Elwin Harbour Authority"

# One sentence per line of the PDF page (about 85 characters, the width of the text column).
SENTENCES = [
    "The harbour handled {n} thousand tonnes of cargo in the reporting period, most of it",
    "timber and grain for the mills upstream, and the pilots guided {m} ships to the quays.",
    "Dredging of the outer channel kept the fairway at a depth of nine metres at low water,",
    "and the survey vessel measured the bar at the entrance every month of the season.",
    "The lock gates of the inner basin were overhauled during the winter closure, when the",
    "water level was held at the summer mark to protect the timber piles of the old wharf.",
    "The harbour master's office moved into the restored customs house beside the slipway,",
    "where the public can read the tide tables and the notices to mariners on weekdays.",
]
# The first lines of every page: a hyphenated word to join, and ligatures to fold.
OPENING = [
    "Section {page}: Lorem ipsum dolor sit amet, consectetur adip-",
    "iscing elit, as the well-known sample text of typesetters begins.",
]
LIGATURES = "The \ufb01nal \ufb02ow of e\ufb00ort by the o\ufb03cers of the harbour was recorded on page {page}."
FOOTER = "Page {page} of {pages}"
BODY_ROUNDS = 3  # SENTENCES three times: 24 body lines, and the page is about as full as a report page


def page_lines(page: int) -> list[str]:
    """The body lines of page `page` (1-based), before any header or footer."""
    lines = [line.format(page=page) for line in OPENING] + [""]
    for round_ in range(BODY_ROUNDS):
        for i, sentence in enumerate(SENTENCES):
            lines.append(sentence.format(n=100 + page * 7 + round_, m=20 + page + round_))
            if i % 4 == 3:
                lines.append("")
    lines.append(LIGATURES.format(page=page))
    return lines


def make_pdf(
    path: str | Path,
    pages: int = 50,
    *,
    header: bool = True,
    footer: bool = True,
    metadata: bool = True,
    blank_pages: tuple[int, ...] = (),
) -> Path:
    """Write a `pages`-page text PDF to `path`. Pages named in `blank_pages` (1-based) get only a
    drawn rectangle: no text, not even the header and footer."""
    import pymupdf

    font = pymupdf.Font("helv")  # Base-14 Helvetica: has the ligature glyphs, and needs no font file
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page()
        if number in blank_pages:
            page.draw_rect(pymupdf.Rect(100, 100, 400, 400), color=(0, 0, 0), fill=(0.6, 0.6, 0.6))
            continue
        writer = pymupdf.TextWriter(page.rect)
        if header:
            writer.append((72, 50), HEADER, font=font, fontsize=9)
        y = 100.0
        for line in page_lines(number):
            if line:
                writer.append((72, y), line, font=font, fontsize=11)
            y += 16
        if footer:
            writer.append((260, 800), FOOTER.format(page=number, pages=pages), font=font, fontsize=9)
        writer.write_text(page)
    if metadata:
        doc.set_metadata({"title": TITLE, "author": AUTHOR})
    path = Path(path)
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    return path


def make_scanned_pdf(path: str | Path, pages: int = 2) -> Path:
    """A PDF whose pages hold only an image, as a scanner writes them: no text layer."""
    import pymupdf

    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pixmap.set_rect(pixmap.irect, (200, 200, 200))
    png = pixmap.tobytes("png")
    doc = pymupdf.open()
    for _ in range(pages):
        page = doc.new_page()
        page.insert_image(pymupdf.Rect(72, 72, 520, 770), stream=png)
    path = Path(path)
    doc.save(path)
    doc.close()
    return path


PARAGRAPHS = [
    "The ferry to the island of Carrow leaves the north quay at {h}:15 every day from April to "
    "October. The crossing takes forty minutes, and bicycles travel free of charge on every "
    "sailing except the last one of the evening.",
    "Tickets are sold at the kiosk beside the harbour office and on board. A return ticket for an "
    "adult costs {p} pounds; children under twelve travel for half the adult fare, and dogs on a "
    "lead travel free.",
    "In strong westerly winds the ferry may sail from the sheltered south quay instead. A notice "
    "is posted on the kiosk by eight o'clock in the morning whenever the departure point changes.",
    "The island has no shops, so visitors should bring food and water. The path around the island "
    "is six kilometres long and passes the lighthouse, the seal colony and the ruined chapel.",
    "Groups of more than fifteen people are asked to book a week ahead, so that the harbour office "
    "can add a second boat when the morning sailing is full.",
    "The ferry company keeps a lost property box at the harbour office for one month; items not "
    "claimed by then are given to the lifeboat station's charity shop.",
]

COOKIE_BANNER = "We use cookies to improve your experience. Accept all cookies or manage your preferences."
NAV_ITEMS = ["Home", "Timetables", "Fares", "Island guide", "Contact us", "Log in"]
FOOTER_TEXT = "Copyright 2024 Carrow Ferry Company. All rights reserved. Privacy policy. Terms of use."


def make_html(index: int = 0, paragraphs: int = 6, *, metadata: bool = True) -> str:
    """A web page about a ferry, with its boilerplate. Page `index` differs in its numbers and
    title; `paragraphs` (1-6) sets how much main text it has."""
    body = "\n".join(
        f"<p>{PARAGRAPHS[i % len(PARAGRAPHS)].format(h=8 + index % 9, p=12 + index)}</p>" for i in range(paragraphs)
    )
    nav = "".join(f'<li><a href="/{item.lower().replace(" ", "-")}">{item}</a></li>' for item in NAV_ITEMS)
    head = f"<title>Carrow ferry, page {index} | Carrow Ferry Company</title>"
    if metadata:
        head += (
            '<meta name="author" content="Morwenna Tregear">'
            '<meta property="article:published_time" content="2024-03-18">'
            f'<link rel="canonical" href="https://ferry.example.org/guide/{index}">'
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8">{head}</head>
<body>
<div id="cookie-banner" class="cookie-consent"><p>{COOKIE_BANNER}</p><button>Accept</button></div>
<header><nav class="menu"><ul>{nav}</ul></nav></header>
<main>
<article>
<h1>Sailing to Carrow, guide {index}</h1>
{body}
</article>
</main>
<aside class="sidebar"><h3>Related</h3><ul><li><a href="/a">Island walks</a></li><li><a href="/b">Birdwatching</a></li></ul></aside>
<footer class="site-footer"><p>{FOOTER_TEXT}</p><ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms</a></li></ul></footer>
</body>
</html>
"""
