"""HTML extraction on real pages whose main text is known: word precision, recall and F1.

    python bench/html_recall.py [--pages DIR] [--repeat 3] [--per-page]

Two sets of real pages, each scored on its own:

**docs**: 30 documentation pages (bench/htmlrecall/, listed with origin and licence in
pages.json, collected by collect.py): the Rust book, reference, Nomicon and Cargo guide (mdBook,
with a sidebar listing every chapter), rustdoc API pages, Node.js API pages (a table of contents
and a version picker around the text), npm's command docs and libffi's manual (texinfo, with a
Next/Previous/Up bar and sub-section menus). The reference text is the element the generator
itself marks as the content, less the navigation it puts inside it (the rule is in pages.json).

**news**: the article fixtures of newspaper4k 0.9.6 (MIT licence; the pages are news and
blog articles as their publishers served them, kept there as test data): 22 pages with their
article text in `tests/data/txt/`, in English, Spanish, Latvian, Arabic, Chinese, Japanese,
Korean, Thai and Burmese, from CNN, Time, Wired, Fox 13, cleveland.com, Yonhap and others, with
menus, share bars, related-article lists, cookie notices and comments around the article. They
are read from the newspaper4k source distribution, fetched from the package registry once into
~/.cache/groundqa/bench/ (this repository does not redistribute them); `--pages DIR` reads any
folder of NAME.html + NAME.txt pairs instead.

A page's extracted text and its reference text are compared as bags of words (a character is a
word in scripts written without spaces), as the article-extraction benchmarks do: precision is
the share of extracted words that are in the reference (boilerplate kept out), recall the share of
the reference that was extracted (facts that reach the teacher). Each setting runs through the
same path as ingest (`bare_extraction`, then a block a paragraph); the F1 shown is the mean of the
pages' F1, and "empty" counts pages where a setting found no main text at all (ingest would then
report `no_main_text`).

The reference texts are newspaper4k's accepted extractions, so they leave out what newspaper4k
leaves out (captions, bylines); the ranking of settings, not the absolute figure, is what this
measures. The figures are written next to TRAFILATURA_SETTINGS in ingest/readers/html.py.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.decode import decode_text  # noqa: E402
from ingest.readers.html import TRAFILATURA_SETTINGS, html_main_text  # noqa: E402

PACKAGE = "newspaper4k==0.9.6"
DOCS = Path(__file__).resolve().parent / "htmlrecall"
CACHE = Path.home() / ".cache" / "groundqa" / "bench"

_COMMON = {"include_comments": False, "include_tables": True, "with_metadata": True}
SETTINGS: dict[str, dict] = {
    "precision, fast": {"favor_precision": True, "fast": True},
    "precision, with fallbacks": {"favor_precision": True, "fast": False},
    "balanced, fast": {"fast": True},
    "balanced, with fallbacks (plain extract)": {"fast": False},
    "recall, fast": {"favor_recall": True, "fast": True},
    "recall, with fallbacks": {"favor_recall": True, "fast": False},
}

# Scripts written without spaces between words: each character counts as a word.
_NO_SPACES = "\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORDS = re.compile(rf"[{_NO_SPACES}]|[^\W_{_NO_SPACES}]+")


def words(text: str) -> Counter:
    return Counter(_WORDS.findall(text.lower()))


def score(extracted: str, reference: str) -> tuple[float, float, float]:
    got, want = words(extracted), words(reference)
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def newspaper_pages() -> dict[str, tuple[bytes, str]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    archives = sorted(CACHE.glob("newspaper4k-0.9.6*.tar.gz"))
    if not archives:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", PACKAGE, "-d", str(CACHE)],
            check=True,
        )
        archives = sorted(CACHE.glob("newspaper4k-0.9.6*.tar.gz"))
    pages: dict[str, bytes] = {}
    texts: dict[str, str] = {}
    with tarfile.open(archives[0]) as tar:
        for member in tar.getmembers():
            path = Path(member.name)
            if path.parent.name == "html" and path.suffix == ".html":
                pages[path.stem] = tar.extractfile(member).read()
            elif path.parent.name == "txt" and path.suffix == ".txt" and path.parent.parent.name == "data":
                texts[path.stem] = tar.extractfile(member).read().decode("utf-8")
    return {name: (pages[name], texts[name]) for name in sorted(pages.keys() & texts.keys())}


def docs_pages() -> dict[str, tuple[bytes, str]]:
    import gzip

    import lxml.html

    pages = {}
    for entry in json.loads((DOCS / "pages.json").read_text("utf-8")):
        data = gzip.decompress((DOCS / "pages" / f"{entry['name']}.html.gz").read_bytes())
        main = lxml.html.fromstring(data).xpath(entry["main"])[0]
        for path in [*entry["drop"], ".//script", ".//style", ".//noscript", ".//template"]:
            for element in main.xpath(path):
                element.drop_tree()
        pages[entry["name"]] = (data, " ".join(main.itertext()))
    return pages


def folder_pages(folder: Path) -> dict[str, tuple[bytes, str]]:
    return {
        html.stem: (html.read_bytes(), html.with_suffix(".txt").read_text("utf-8"))
        for html in sorted(folder.glob("*.html"))
        if html.with_suffix(".txt").exists()
    }


def run(pages: dict[str, tuple[bytes, str]], settings: dict, repeat: int) -> dict:
    import trafilatura

    scores, empty, seconds = [], 0, []
    for data, reference in pages.values():
        html = decode_text(data)
        best = None
        for _ in range(repeat):
            start = time.perf_counter()
            text = html_main_text(trafilatura.bare_extraction(html, **_COMMON, **settings))
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        seconds.append(best)
        empty += not text
        scores.append(score(text, reference))
    return {
        "precision": statistics.fmean(s[0] for s in scores),
        "recall": statistics.fmean(s[1] for s in scores),
        "f1": statistics.fmean(s[2] for s in scores),
        "empty": empty,
        "ms": 1000 * statistics.fmean(seconds),
        "per_page": scores,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, help="folder of NAME.html + NAME.txt pairs (default: newspaper4k's fixtures)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-page", action="store_true", help="print each page's F1 per setting")
    args = parser.parse_args()

    sets = {"pages": folder_pages(args.pages)} if args.pages else {"docs": docs_pages(), "news": newspaper_pages()}
    current = {key: value for key, value in TRAFILATURA_SETTINGS.items() if key not in _COMMON}
    for set_name, pages in sets.items():
        results = {name: run(pages, settings, args.repeat) for name, settings in SETTINGS.items()}
        print(f"\n{set_name}: {len(pages)} pages with a reference text")
        print(f"  {'setting':42} {'precision':>9} {'recall':>7} {'F1':>6} {'empty':>5} {'ms/page':>8}")
        for name, result in results.items():
            mark = "*" if SETTINGS[name] == current else " "
            print(
                f"{mark} {name:42} {result['precision']:9.3f} {result['recall']:7.3f} {result['f1']:6.3f} "
                f"{result['empty']:5d} {result['ms']:8.1f}"
            )
        if args.per_page:
            print(f"\n  {'page F1, settings in order':28} " + " ".join(f"{i:>6}" for i in range(len(results))))
            for index, name in enumerate(pages):
                print(f"  {name:28} " + " ".join(f"{r['per_page'][index][2]:6.3f}" for r in results.values()))
    print("\n* = ingest's TRAFILATURA_SETTINGS now")

if __name__ == "__main__":
    main()
