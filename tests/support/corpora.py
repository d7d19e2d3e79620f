"""A small corpus of three documents and a fake teacher that writes one true pair per fact: what the
tests of whole runs share."""

import json
import re
from pathlib import Path

import pytest

from generation.config import load_corpus
from generation.pipeline.run import Run
from generation.teachers import FakeTeacher

FACT = re.compile(r"((?:The )?[A-Z][a-z]+(?: [A-Z][a-z]+)*) was (founded|built|opened) in (\d{4})\.")


def answer_from_chunk(messages):
    """A teacher that writes one true pair per "X was founded in YEAR." sentence of the chunk."""
    text = messages[-1]["content"].split('"""')[1]
    pairs = [
        {"question": f"When was {m[1]} {m[2]}?", "answer": f"{m[1]} was {m[2]} in {m[3]}.", "quotes": [m[0]]}
        for m in FACT.finditer(text)
    ][:3]
    if not pairs:
        pairs = [{"question": "What is this?", "answer": "Nothing.", "quotes": ["nothing"]}]
    return json.dumps({"pairs": pairs})


def fake(**kw):
    return FakeTeacher(default=answer_from_chunk, **kw)


DOCS = {
    "alder.md": "# Alder Mill\n\nThe Alder Mill was founded in 1821. It made paper for the county.",
    "birch.txt": "Birch Hall\n\nBirch Hall was built in 1764. Its gardens have a maze.",
    "cedar.md": "# Cedar Bridge\n\nCedar Bridge was opened in 1902. It crosses the river Avon.",
}


# A web page of one short article, for the tests of URL sources (served by the `site` fixture).
MILL_PAGE = (
    b"<html><head><title>Mill</title></head><body><article><p>The Alder Mill was founded in 1821. "
    + b"It made paper for the county and employed many people in the valley. " * 3
    + b"</p></article></body></html>"
)


def write_corpus(root: Path, toml: str) -> Path:
    """A corpus folder with the three DOCS and this corpus.toml."""
    root.mkdir()
    (root / "corpus.toml").write_text(toml)
    for name, text in DOCS.items():
        (root / name).write_text(text)
    return root


@pytest.fixture
def corpus_dir(tmp_path):
    return write_corpus(tmp_path / "kb", '[chunking]\ntokens = 64\noverlap = 8\n[output]\nformats = ["alpaca", "openai"]\n')


def run(root: Path, teacher=None, **kw):
    return Run(load_corpus(root), teacher=teacher or fake(), **kw).run()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]
