"""OCR for pages without a text layer (scans, photographs of pages), with an engine that installs from the
package registry alone.

The engine is RapidOCR (`rapidocr`, Apache-2.0): PaddleOCR's PP-OCR detection and recognition models in
ONNX form, run by onnxruntime. Its wheel carries the models (rapidocr/models/, 31 MB: PP-OCRv6 small
detection and recognition), so nothing is downloaded at run time. Installed, rapidocr with onnxruntime and
opencv-python-headless adds about 320 MB (rapidocr-onnxruntime, the older package, 500 MB and OpenCV with
GUI libraries).
Tesseract (`pytesseract`) is used instead only where rapidocr is not installed and the system has the
`tesseract` binary. PyMuPDF's own OCR needs Tesseract's language files on the system, so it is not the
default.

Measured on real PDF pages rasterized here, their text layer as the reference (`python bench/office.py
--ocr`; the figures are in docs/decisions.md): see OCR_DPI. It was checked to read with the network cut
off (`unshare -n`): nothing is fetched at run time.
"""

from __future__ import annotations

import logging
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

logger = logging.getLogger(__name__)

# A page is read by OCR when its text layer has fewer than OCR_MIN_TEXT_CHARS characters (after the
# running header and footer a scanner's software may stamp on it) and it has an image or drawing to
# read. A page of body text has a thousand characters or more (the Ubuntu Packaging Guide's 40 body pages:
# 1,000 to 3,500); a scan with a stamped "Page 3" or a date has under 20.
OCR_MIN_TEXT_CHARS = 20
# Resolution the page is rendered at for OCR. Measured on clean body pages of a real PDF (the Ubuntu
# Packaging Guide; bench/office.py --ocr), its text layer as the reference, on this two-core machine:
#
#   dpi    CER, 20 pages (busy machine)   CER, 10 pages (alone)   s a page (busy / alone)
#   150    0.26 %                         0.25 %                  9.8 / 5.3
#   200    0.25 %                         0.24 %                  9.4 / 4.4
#   300    0.25 %                         0.23 %                  8.7 / 3.5
#
# RapidOCR shrinks an image to 2,000 pixels on its long side before detection, so accuracy hardly moves;
# 300 dpi was never slower in either run (the smaller renderings are not shrunk, and detection then works
# on more pixels), reads small print best, and is what scanners write.
OCR_DPI = 300
# One page's OCR budget by default ([sources] ocr_page_seconds). A dense A4 page takes 4 to 10 s on this
# two-core machine (4 s alone, 10 s with another job on the cores); 60 s is six times the slow figure, for
# a slower machine, and stops a page that would never finish (a poster-sized page, a dithered photograph
# full of "text" boxes).
OCR_PAGE_SECONDS = 60.0
# Of the document's whole budget (extract_timeout), OCR may take this share; the rest is left for
# reading the text pages and chunking, so that a long scan returns the pages it read, with a warning
# naming the others, instead of losing them all to the worker's timeout.
OCR_DOCUMENT_SHARE = 0.8
# A line break becomes a paragraph break where the gap to the next line is more than this many line
# heights. Not tuned: it lies between the gap of body text set solid or at 1.2 (0 to 0.3 line heights)
# and a blank line between paragraphs (about 1). A wrong call only moves a paragraph break.
OCR_PARAGRAPH_GAP = 0.7


# RapidOCR's settings. Pages are upright, so the text-direction classifier (`use_cls`), which turns crops
# of upside-down text, is off. RapidOCR shrinks an image to `max_side_len` pixels on its long side before
# detection; its default, 2,000, was kept: on 10 pages of the Ubuntu Packaging Guide, 4,000 read worse (CER
# 1.0 % against 0.83 % at 300 dpi, with text in reading order only roughly) and took 1.5 times as long.
# It logs every model it loads at INFO, and an empty page at WARNING, on its own handler: errors only.
RAPIDOCR_PARAMS = {
    "Global.use_cls": False,
    "Global.max_side_len": 2000,
    "Global.log_level": "error",
}


class OcrTimeout(Exception):
    """One page's OCR ran past its budget."""


@dataclass
class OcrLine:
    """A line of text the engine read, with its box in the image's pixels."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def engine_name() -> str | None:
    """"rapidocr", "tesseract" or None: which engine `ocr_image` would use."""
    return _engine()[0]


@lru_cache(maxsize=1)
def _engine() -> tuple[str | None, object]:
    try:
        from rapidocr import RapidOCR

        return "rapidocr", RapidOCR(params=RAPIDOCR_PARAMS)
    except ImportError:
        pass
    if shutil.which("tesseract"):
        try:
            import pytesseract

            return "tesseract", pytesseract
        except ImportError:
            pass
    return None, None


def unavailable_reason() -> str:
    return "no OCR engine is installed (pip install rapidocr onnxruntime; or install tesseract and pytesseract)"


def ocr_image(gray, seconds: float | None) -> list[OcrLine]:
    """The lines of text in a grayscale image (numpy array, height x width), in reading order. Raises
    OcrTimeout past `seconds`."""
    name, engine = _engine()
    if name is None:
        raise RuntimeError(unavailable_reason())
    with _deadline(seconds):
        if name == "rapidocr":
            result = engine(gray)
            boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
            if boxes is None or not texts:
                return []
            lines = []
            for box, text in zip(boxes, texts):
                xs, ys = [p[0] for p in box], [p[1] for p in box]
                lines.append(OcrLine(str(text), min(xs), min(ys), max(xs), max(ys)))
            return lines
        data = engine.image_to_data(gray, output_type=engine.Output.DICT)
        return _tesseract_lines(data)


def _tesseract_lines(data: dict) -> list[OcrLine]:
    lines: dict[tuple, OcrLine] = {}
    for i, word in enumerate(data["text"]):
        if not str(word).strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        x0, y0 = data["left"][i], data["top"][i]
        x1, y1 = x0 + data["width"][i], y0 + data["height"][i]
        line = lines.get(key)
        if line is None:
            lines[key] = OcrLine(str(word), x0, y0, x1, y1)
        else:
            line.text += " " + str(word)
            line.x0, line.y0, line.x1, line.y1 = min(line.x0, x0), min(line.y0, y0), max(line.x1, x1), max(line.y1, y1)
    return list(lines.values())


def blocks(lines: list[OcrLine]) -> list[tuple[str, float, float]]:
    """Lines read by OCR as paragraphs: (text, top, bottom), lines of one row joined by a space, a
    paragraph break where the gap between rows passes OCR_PARAGRAPH_GAP line heights."""
    if not lines:
        return []
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.y0 + ln.y1) / 2):
        middle = (line.y0 + line.y1) / 2
        if rows:
            last = rows[-1]
            top, bottom = min(ln.y0 for ln in last), max(ln.y1 for ln in last)
            if top <= middle <= bottom:
                last.append(line)
                continue
        rows.append([line])
    out: list[tuple[str, float, float]] = []
    current: list[str] = []
    top = bottom = 0.0
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        text = " ".join(ln.text.strip() for ln in row if ln.text.strip())
        r_top, r_bottom = min(ln.y0 for ln in row), max(ln.y1 for ln in row)
        height = max(r_bottom - r_top, 1.0)
        if current and r_top - bottom > OCR_PARAGRAPH_GAP * height:
            out.append(("\n".join(current), top, bottom))
            current = []
        if not current:
            top = r_top
        current.append(text)
        bottom = r_bottom
    if current:
        out.append(("\n".join(current), top, bottom))
    return out


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise OcrTimeout in this thread after `seconds` (an interval timer: only the main thread of a
    process can have one, which is where an extraction worker reads; elsewhere there is no limit). The
    engine's own calls are not interrupted, so a page stops at its next step after the budget."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise OcrTimeout(f"OCR of the page took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    ends = clock() + seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except OcrTimeout:
        raise
    except Exception as exc:
        if clock() >= ends:  # the engine caught our OcrTimeout and raised its own (RapidOCR's ResizeImgError)
            raise OcrTimeout(f"OCR of the page took more than {seconds:g} s") from exc
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def clock() -> float:
    return time.monotonic()
