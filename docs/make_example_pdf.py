"""Writes corpora/example/docs/viaduct-report.pdf, the example corpus's PDF (run from the repo root).

The report is the project's own text. Each page has a running header and a page number, which
extraction must drop, and one hyphenated line break, which it must join."""

from pathlib import Path

import pymupdf

HEADER = "Harrow Valley Railway Society - Engineering Report 2024"
PAGES = [
    [
        "The Cwm Llys viaduct: inspection of 2024",
        "",
        "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above",
        "Millbrook. It was built in 1886 of local granite, and it has nine arches, each with a",
        "span of 11 metres. The deck is 28 metres above the river at its highest point.",
        "",
        "The society's engineers inspected the viaduct in May 2024. They found that the mortar",
        "of arches four and five had washed out along 35 metres of joints, and that two coping",
        "stones on the downstream parapet had moved by up to 40 millimetres. No crack was found",
        "in the arch rings, and the piers showed no sign of settlement since the survey of 2015.",
    ],
    [
        "Repairs and costs",
        "",
        "The report recommends repointing arches four and five with lime mortar, resetting the",
        "loose coping stones, and clearing vegetation from the piers before the spring. The work",
        "is estimated to cost 86,000 pounds and to take eleven weeks, during which trains will",
        "terminate at Pont Isaf. A grant of 50,000 pounds has been offered by the Valley Heritage",
        "Fund, and the society will raise the rest through a public appeal.",
        "",
        "The viaduct will be inspected again in 2027. Until the repairs are finished, trains",
        "must cross it at no more than 10 kilometres per hour, and no more than one train may be",
        "on the viaduct at a time. The speed limit is marked by boards at each end of the struc-",
        "ture, and drivers must sign the special instructions before their first trip.",
    ],
]


def main(out: Path = Path("corpora/example/docs/viaduct-report.pdf")) -> None:
    doc = pymupdf.open()
    for number, lines in enumerate(PAGES, start=1):
        page = doc.new_page()
        page.insert_text((72, 50), HEADER, fontsize=9)
        y = 100
        for line in lines:
            page.insert_text((72, y), line, fontsize=11)
            y += 16
        page.insert_text((290, 800), str(number), fontsize=9)
    doc.set_metadata({"title": "The Cwm Llys viaduct: inspection of 2024", "author": "HVR Society engineers"})
    doc.save(out, garbage=4, deflate=True)


if __name__ == "__main__":
    main()
