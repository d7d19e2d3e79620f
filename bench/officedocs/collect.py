"""Collect the real documents of bench/office.py, and their reference texts, into ~/.cache/groundqa/bench/office/.

    python bench/officedocs/collect.py          # needs apt-get, pip and LibreOffice (apt-get install libreoffice-writer-nogui
                                            #   libreoffice-calc-nogui libreoffice-impress-nogui)

Nothing here was written by this project. From Debian's packages (`apt-get download`, unpacked with
`dpkg-deb -x`): the Debian Live Systems Manual (live-manual-epub, -odf, -txt 2:20151217.2; GPL-3+) in five
languages as EPUB, ODT and its own plain-text edition, and the Ubuntu Packaging Guide (ubuntu-packaging-guide-epub
and -pdf 1.0.4; CC-BY-SA-3.0 / GPL-3) as EPUB and PDF. From source distributions on PyPI (`pip download
--no-binary :all:`): python-docx 1.2.0's and python-pptx 1.0.2's test documents (written by Word and PowerPoint;
MIT), xlsx2csv 0.8.6's test workbooks (from bug reports; MIT) and odfpy 1.4.1's test documents (Apache-2.0 /
GPL / LGPL). LibreOffice's own example document and presentation templates (MPL-2.0). Eight of the documentation
pages of bench/htmlrecall/pages (Rust, Node.js, npm, libffi; their licences are in pages.json), and the
live-manual ODT files, saved as DOCX and ODT by LibreOffice, and xlsx2csv's workbooks saved as ODS: real text
and tables, written by a real office suite.

References, each made without the reader it checks: LibreOffice's own text export (`soffice --convert-to txt`)
for DOCX and ODT, its CSV export of every sheet (cells as shown) for XLSX and ODS; the manual's SiSU plain-text edition for the
live-manual EPUBs; the slides' and notes' text elements, found by a regular expression in the XML, for PPTX and
ODP. Writes files.json: each file's format, origin, licence and reference.
"""

from __future__ import annotations

import glob
import gzip
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "groundqa" / "bench" / "office"
HTMLRECALL = Path(__file__).resolve().parents[1] / "htmlrecall" / "pages"
LANGS = ["en", "de", "fr", "es", "it"]
DEBIAN = ["live-manual-epub", "live-manual-odf", "live-manual-txt", "ubuntu-packaging-guide-epub", "ubuntu-packaging-guide-pdf"]
SDISTS = {"python-docx==1.2.0": "MIT", "python-pptx==1.0.2": "MIT", "xlsx2csv==0.8.6": "MIT", "odfpy==1.4.1": "Apache-2.0 / GPL-2+ / LGPL-2.1+"}
DOCX_TESTS = ["blk-paras-and-tables", "par-known-paragraphs", "comments-rich-para", "par-hyperlinks", "sct-inner-content",
              "num-having-numbering-part", "par-known-styles", "tbl-having-tables", "blk-containing-table", "tbl-2x2-table"]
PPTX_TESTS = ["prs-notes", "sld-notes", "tbl-cell", "ph-populated-placeholders", "test", "shp-shapes", "txt-fit-text"]
ODF_TESTS = ["simpletable.odt", "twolevellist.odt", "serious_poem.odt", "definitionlists.odt", "simplelist.odt", "cols.odp", "ol.odp",
             "pythagoras.ods", "chinese_spreadsheet.ods"]
PAGES = ["libffi-closure-api", "node-path", "npm-install", "rust-book-hashmaps", "nomicon-races", "rust-reference-destructors", "node-os", "cargo-faq"]
TEMPLATES = ["Blue_Curve", "DNA", "Focus"]
SISU_MARK = re.compile(r"「\d+」")


def soffice(*args: str) -> None:
    subprocess.run(["soffice", "--headless", "--norestore", *args], check=True, capture_output=True, timeout=900)


def main() -> None:
    for kind in ("docx", "odt", "pptx", "odp", "xlsx", "ods", "epub", "pdf", "ref"):
        (CACHE / kind).mkdir(parents=True, exist_ok=True)
    files: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        subprocess.run(["apt-get", "download", *DEBIAN], cwd=tmp, check=True, capture_output=True)
        for deb in tmp_path.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), "x"], cwd=tmp, check=True)
        doc = tmp_path / "x/usr/share/doc"
        for lang in LANGS:
            for kind, sub in (("epub", "epub"), ("odt", "odt")):
                shutil.copy(doc / f"live-manual/{sub}/live-manual.{lang}.{kind}", CACHE / kind)
                files[f"{kind}/live-manual.{lang}.{kind}"] = {"origin": "Debian live-manual-" + ("odf" if kind == "odt" else kind), "licence": "GPL-3+"}
            text = gzip.decompress((doc / f"live-manual/txt/live-manual.{lang}.txt.gz").read_bytes()).decode("utf-8")
            (CACHE / "ref" / f"live-manual.{lang}.sisu.txt").write_text(SISU_MARK.sub(" ", text))
            files[f"epub/live-manual.{lang}.epub"]["reference"] = f"ref/live-manual.{lang}.sisu.txt"
        shutil.copy(doc / "ubuntu-packaging-guide-epub/ubuntu-packaging-guide.epub", CACHE / "epub")
        files["epub/ubuntu-packaging-guide.epub"] = {"origin": "Debian ubuntu-packaging-guide-epub 1.0.4", "licence": "CC-BY-SA-3.0 / GPL-3", "reference": None}
        pdf = gzip.decompress((doc / "ubuntu-packaging-guide-pdf/ubuntu-packaging-guide.pdf.gz").read_bytes())
        (CACHE / "pdf" / "ubuntu-packaging-guide.pdf").write_bytes(pdf)
        files["pdf/ubuntu-packaging-guide.pdf"] = {"origin": "Debian ubuntu-packaging-guide-pdf 1.0.4", "licence": "CC-BY-SA-3.0 / GPL-3"}

        for spec, licence in SDISTS.items():
            subprocess.run(["pip", "download", "-q", "--no-deps", "--no-binary", ":all:", spec, "-d", tmp], check=True, capture_output=True)
        for archive in tmp_path.glob("*.tar.gz"):
            with tarfile.open(archive) as tar:
                tar.extractall(tmp_path / "sd", filter="data")
        sd = tmp_path / "sd"
        for name in DOCX_TESTS:
            shutil.copy(next(sd.glob(f"python_docx-*/features/steps/test_files/{name}.docx")), CACHE / "docx")
            files[f"docx/{name}.docx"] = {"origin": "python-docx 1.2.0 test files (Word)", "licence": "MIT"}
        for name in PPTX_TESTS:
            shutil.copy(next(sd.glob(f"python_pptx-*/features/steps/test_files/{name}.pptx")), CACHE / "pptx")
            files[f"pptx/{name}.pptx"] = {"origin": "python-pptx 1.0.2 test files (PowerPoint)", "licence": "MIT"}
        for path in sd.glob("xlsx2csv-*/test/*.xlsx"):
            shutil.copy(path, CACHE / "xlsx")
            files[f"xlsx/{path.name}"] = {"origin": "xlsx2csv 0.8.6 test files", "licence": "MIT"}
        for name in ODF_TESTS:
            kind = name.rsplit(".", 1)[1]
            shutil.copy(next(sd.glob(f"odfpy-*/tests/examples/{name}")), CACHE / kind)
            files[f"{kind}/{name}"] = {"origin": "odfpy 1.4.1 test files", "licence": "Apache-2.0 / GPL-2+ / LGPL-2.1+"}

        template = Path("/usr/lib/libreoffice/share/template/common")
        shutil.copy(template / "internal/idxexample.odt", CACHE / "odt")
        files["odt/idxexample.odt"] = {"origin": "LibreOffice 7.4 example document", "licence": "MPL-2.0"}
        for name in TEMPLATES:
            shutil.copy(template / f"presnt/{name}.otp", tmp_path / f"{name}.otp")
        for name in PAGES:
            (tmp_path / f"{name}.html").write_bytes(gzip.decompress((HTMLRECALL / f"{name}.html.gz").read_bytes()))
        pages = [str(tmp_path / f"{n}.html") for n in PAGES]
        soffice("--convert-to", "docx:MS Word 2007 XML", "--outdir", str(CACHE / "docx"), *sorted(glob.glob(str(CACHE / "odt/live-manual.*.odt"))), *pages)
        soffice("--convert-to", "odt", "--outdir", str(CACHE / "odt"), *pages)
        templates = [str(tmp_path / f"{n}.otp") for n in TEMPLATES]
        soffice("--convert-to", "pptx", "--outdir", str(CACHE / "pptx"), *templates)
        soffice("--convert-to", "odp", "--outdir", str(CACHE / "odp"), *templates)
        soffice("--convert-to", "ods", "--outdir", str(CACHE / "ods"), *sorted(glob.glob(str(CACHE / "xlsx/*.xlsx"))))
        for lang in LANGS:
            files[f"docx/live-manual.{lang}.docx"] = {"origin": "live-manual ODT saved as DOCX by LibreOffice", "licence": "GPL-3+"}
        for name in PAGES:
            for kind in ("docx", "odt"):
                files[f"{kind}/{name}.{kind}"] = {"origin": f"bench/htmlrecall/pages/{name} saved as {kind.upper()} by LibreOffice", "licence": "see bench/htmlrecall/pages.json"}
        for name in TEMPLATES:
            for kind in ("pptx", "odp"):
                files[f"{kind}/{name}.{kind}"] = {"origin": f"LibreOffice template {name}.otp saved as {kind.upper()}", "licence": "MPL-2.0"}
        for path in (CACHE / "ods").glob("*.ods"):
            files.setdefault(f"ods/{path.name}", {"origin": "xlsx2csv 0.8.6 test workbook saved as ODS by LibreOffice", "licence": "MIT"})

    # references: LibreOffice's text and CSV export
    for kind in ("docx", "odt"):
        out = CACHE / "ref" / kind
        out.mkdir(exist_ok=True)
        soffice("--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(out), *sorted(glob.glob(str(CACHE / kind / f"*.{kind}"))))
    for kind in ("xlsx", "ods"):
        for path in sorted((CACHE / kind).glob(f"*.{kind}")):
            out = CACHE / "ref" / kind / path.stem
            out.mkdir(parents=True, exist_ok=True)
            # token 9 = true: cells as shown (50 %, not 0.5); token 12 = -1: every sheet to its own file
            soffice("--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1', "--outdir", str(out), str(path))
    for rel, info in files.items():
        kind = rel.split("/", 1)[0]
        stem = Path(rel).stem
        if kind in ("docx", "odt"):
            info["reference"] = f"ref/{kind}/{stem}.txt"
        elif kind in ("xlsx", "ods"):
            info["reference"] = f"ref/{kind}/{stem}/"
        elif kind in ("pptx", "odp"):
            info["reference"] = "XML text elements"
        info["kind"] = kind
    (CACHE / "files.json").write_text(json.dumps(files, indent=1, ensure_ascii=False, sort_keys=True))
    print(f"{len(files)} files in {CACHE}")


def xml_text(path: Path) -> str:
    """The reference text of a presentation: every text element of its slides and notes, by regular expression
    (not by the XML tree the readers walk)."""
    out = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if re.match(r"ppt/(slides|notesSlides)/\w+\d+\.xml$", name):
                out += re.findall(r"<a:t>([^<]*)</a:t>", archive.read(name).decode("utf-8"))
            elif name == "content.xml":
                body = archive.read(name).decode("utf-8")
                out += re.findall(r">([^<>]+)<", body.split("<office:body>", 1)[-1])
    import html

    return "\n".join(html.unescape(t) for t in out)


if __name__ == "__main__":
    main()
