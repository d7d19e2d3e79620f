"""Office and e-book readers, and OCR, on real documents nobody here wrote: word precision and recall against
a reference made without the reader, and speed next to the bare library call.

    python bench/officedocs/collect.py               # once: the documents and their references, into ~/.cache/groundqa/bench/office/
    python bench/office.py [--repeat 3]          # each format: precision, recall, docs/s, and docs/s of the bare library call
    python bench/office.py --candidates [--path DIR ...]   # the other libraries measured for the choice (those importable;
                                                 # --path adds a folder of packages installed with pip --target)
    python bench/office.py --ocr [--pages 20]    # OCR: character error rate at 150, 200 and 300 dpi, and pages/s

The documents and references are listed, with their origins and licences, in collect.py. A document's text and
its reference are compared as bags of words, as bench/html_recall.py does (precision: the share of extracted
words that are in the reference; recall: the share of the reference that was extracted); a format's figure is
the mean over its documents. The Markdown marks the readers add ("#", "|", "- ") are not words; the "Notes:"
label of speaker notes and the sheet-name headings are, and count against precision where the reference
lacks them.

"bare" is the library's plainest call that reads every piece of text, without structure: python-docx's
paragraphs and table cells, python-pptx's text frames and notes, openpyxl's read-only rows, and for the
formats read with lxml (EPUB, ODT, ODP, ODS) the parts parsed and their text joined. The readers' target
is at least 0.85 of its speed.

For OCR, pages of a real PDF with a text layer (the Ubuntu Packaging Guide, typeset by Sphinx and LaTeX)
are rendered to grayscale images, read by the OCR engine, and compared with the text layer, both with
their spacing collapsed: character error rate = edit distance / reference length. Only clean body pages
are used (at least 1,000 characters of text, none of them a figure).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from html_recall import score  # noqa: E402

from ingest.readers import extract  # noqa: E402
from ingest.records import Source, SourceError, sha256_hex  # noqa: E402

CACHE = Path.home() / ".cache" / "groundqa" / "bench" / "office"
FORMATS = ["docx", "pptx", "xlsx", "epub", "odt", "odp", "ods"]


def reference(info: dict, path: Path) -> str | None:
    ref = info.get("reference")
    if not ref:
        return None
    if ref == "XML text elements":
        from officedocs.collect import xml_text

        return xml_text(path)
    target = CACHE / ref
    if target.is_dir():
        text = "\n".join(p.read_text(errors="replace") for p in sorted(target.glob("*.csv")))
    else:
        text = target.read_text(errors="replace") if target.exists() else ""
    return text.replace("\ufeff", "") or None


def documents(kind: str) -> list[tuple[Path, dict]]:
    files = json.loads((CACHE / "files.json").read_text())
    return [(CACHE / rel, info) for rel, info in sorted(files.items()) if info["kind"] == kind and (CACHE / rel).exists()]


def ours(kind: str):
    def read(data: bytes) -> str:
        source = Source(source_id=f"x.{kind}", kind=kind, content_sha256=sha256_hex(data), size=len(data))
        return extract(source, data).text

    return read


# --- the bare library calls ---------------------------------------------------------------------------------


def bare_docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    out = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            out += [cell.text for row in block.rows for cell in row.cells]
        else:
            out.append(block.text)
    return "\n".join(out)


def bare_pptx(data: bytes) -> str:
    import pptx

    out = []
    for slide in pptx.Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            elif getattr(shape, "has_table", False) and shape.has_table:
                out += [cell.text for row in shape.table.rows for cell in row.cells]
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(out)


def bare_xlsx(data: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = [" ".join(str(v) for v in row if v is not None) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    book.close()
    return "\n".join(out)


def bare_odf(data: bytes) -> str:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return " ".join(etree.fromstring(archive.read("content.xml")).itertext())


def bare_epub(data: bytes) -> str:
    import lxml.html
    from lxml import etree

    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = next(container.iter("{*}rootfile")).get("full-path")
        opf = etree.fromstring(archive.read(opf_path))
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        items = {i.get("id"): i.get("href").split("#")[0] for i in opf.iter("{*}item")}
        for href in dict.fromkeys(items[ref.get("idref")] for ref in opf.iter("{*}itemref")):
            out.append(lxml.html.document_fromstring(archive.read(base + href)).text_content())
    return "\n".join(out)


BARE = {"docx": bare_docx, "pptx": bare_pptx, "xlsx": bare_xlsx, "epub": bare_epub, "odt": bare_odf, "odp": bare_odf, "ods": bare_odf}


# --- the other candidates -------------------------------------------------------------------------------------


def candidates() -> dict[str, dict[str, object]]:
    import lxml.html

    found: dict[str, dict[str, object]] = {kind: {} for kind in FORMATS}
    try:
        import mammoth

        found["docx"]["mammoth"] = lambda d: lxml.html.document_fromstring(mammoth.convert_to_html(io.BytesIO(d)).value or "<p></p>").text_content()
    except ImportError:
        pass
    try:
        import docx2python

        found["docx"]["docx2python"] = lambda d: docx2python.docx2python(io.BytesIO(d)).text
    except ImportError:
        pass
    try:
        from markitdown import MarkItDown

        md = MarkItDown()
        for kind in ("docx", "pptx", "xlsx"):
            found[kind]["markitdown"] = lambda d, k=kind: md.convert_stream(io.BytesIO(d), file_extension=f".{k}").text_content
    except ImportError:
        pass
    try:
        import pymupdf

        def mupdf(data: bytes) -> str:
            with pymupdf.open(stream=data, filetype="epub") as doc:
                return "\n".join(page.get_text() for page in doc)

        found["epub"]["pymupdf"] = mupdf
    except ImportError:
        pass
    try:
        import ebooklib
        from ebooklib import epub
        import tempfile

        def ebook(data: bytes) -> str:
            with tempfile.NamedTemporaryFile(suffix=".epub") as f:
                f.write(data)
                f.flush()
                book = epub.read_epub(f.name, options={"ignore_ncx": True})
            return "\n".join(
                lxml.html.document_fromstring(item.get_content()).text_content()
                for item in book.get_items_of_type(ebooklib.ITEM_DOCUMENT) if item.get_content().strip()
            )

        found["epub"]["ebooklib"] = ebook
    except ImportError:
        pass
    try:
        from odf import opendocument, teletype, text as odftext

        def odfpy(data: bytes) -> str:
            doc = opendocument.load(io.BytesIO(data))
            return "\n".join(teletype.extractText(p) for p in doc.getElementsByType(odftext.P) + doc.getElementsByType(odftext.H))

        for kind in ("odt", "odp", "ods"):
            found[kind]["odfpy"] = odfpy
    except ImportError:
        pass
    return found


def measure(read, docs: list[tuple[Path, dict]], repeat: int) -> dict:
    datas = [(path, info, path.read_bytes()) for path, info in docs]
    texts: dict[Path, str] = {}
    failures = 0
    best = float("inf")
    for turn in range(repeat):
        started = time.perf_counter()
        for path, _, data in datas:
            try:
                texts[path] = read(data)
            except (SourceError, Exception):  # a library's failure on one file counts, and the run goes on
                texts[path] = ""
                failures += turn == 0
        best = min(best, time.perf_counter() - started)
    scores = []
    for path, info, _ in datas:
        ref = reference(info, path)
        if ref and ref.strip():
            scores.append(score(texts[path], ref))
    return {
        "docs": len(datas),
        "scored": len(scores),
        "precision": statistics.mean(s[0] for s in scores) if scores else None,
        "recall": statistics.mean(s[1] for s in scores) if scores else None,
        "docs_per_s": len(datas) / best if best > 0 else None,
        "failed": failures,
    }


def row(name: str, m: dict, bare: float | None = None) -> str:
    p = f"{m['precision']:.3f}" if m["precision"] is not None else "  -  "
    r = f"{m['recall']:.3f}" if m["recall"] is not None else "  -  "
    speed = f"{m['docs_per_s']:8.1f}" if m["docs_per_s"] else "     -  "
    ratio = f"{m['docs_per_s'] / bare:5.2f}" if bare and m["docs_per_s"] else "     "
    return f"  {name:14s} {m['docs']:4d} {m['scored']:4d}   {p}  {r}  {speed}  {ratio}  {m['failed']:3d}"


def office(repeat: int, with_candidates: bool) -> None:
    found = candidates() if with_candidates else {}
    print("format  reader          docs scored  prec.  recall   docs/s  ×bare  failed")
    for kind in FORMATS:
        docs = documents(kind)
        if not docs:
            continue
        bare = measure(BARE[kind], docs, repeat)
        mine = measure(ours(kind), docs, repeat)
        print(f"{kind}")
        print(row("groundqa", mine, bare["docs_per_s"]))
        print(row("bare call", bare))
        for name, read in found.get(kind, {}).items():
            print(row(name, measure(read, docs, repeat), bare["docs_per_s"]))


def ocr_bench(pages: int) -> None:
    import numpy as np
    import pymupdf
    from rapidfuzz.distance import Levenshtein

    from ingest import ocr

    print(f"engine: {ocr.engine_name()}")
    path = CACHE / "pdf" / "ubuntu-packaging-guide.pdf"
    doc = pymupdf.open(path)
    clean = [i for i, page in enumerate(doc) if len(page.get_text()) >= 1000 and not page.get_images()]
    chosen = clean[:: max(1, len(clean) // pages)][:pages]
    print(f"{path.name}: {len(doc)} pages, {len(clean)} clean body pages, {len(chosen)} measured")
    ocr.ocr_image(np.full((64, 64), 255, dtype=np.uint8), None)  # the engine loaded before the clock starts
    for dpi in (150, 200, 300):
        errors = chars = 0
        per_page = []
        started = time.perf_counter()
        for i in chosen:
            page = doc[i]
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
            gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
            text = " ".join(block for block, _, _ in ocr.blocks(ocr.ocr_image(gray, None)))
            hyp = " ".join(text.split())
            ref = " ".join(page.get_text(sort=True).split())
            distance = Levenshtein.distance(ref, hyp)
            errors += distance
            chars += len(ref)
            per_page.append(distance / max(len(ref), 1))
        elapsed = time.perf_counter() - started
        print(f"  {dpi} dpi: CER {errors / chars:.4f} (median page {statistics.median(per_page):.4f}, worst {max(per_page):.4f}), "
              f"{len(chosen) / elapsed:.3f} pages/s ({elapsed / len(chosen):.1f} s a page)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--candidates", action="store_true")
    parser.add_argument("--path", action="append", default=[], help="a folder of packages (pip install --target) for --candidates")
    parser.add_argument("--ocr", action="store_true")
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    if not (CACHE / "files.json").exists():
        sys.exit(f"no documents in {CACHE}: run python bench/officedocs/collect.py first")
    sys.path[:0] = args.path  # before site-packages: the candidates with the versions they were installed with
    if args.ocr:
        ocr_bench(args.pages)
    else:
        office(args.repeat, args.candidates)


if __name__ == "__main__":
    main()
