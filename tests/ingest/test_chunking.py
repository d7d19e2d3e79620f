import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunking import Chunker, EncodingError, load_encoding
from ingest.records import Document, PageSpan, sha256_hex


def doc_of(text: str, pages: list[PageSpan] | None = None) -> Document:
    return Document(source_id="doc.txt", kind="text", text_sha256=sha256_hex(text), text=text, pages=pages or [])


def token_bounds(chunker: Chunker, text: str) -> dict[int, int]:
    """char offset -> token index, for the boundaries between whole characters, in the document's own tokenization."""
    bounds, clean = chunker._token_bounds(text)
    return {b: i for i, b in enumerate(bounds) if clean[i]}


PARAGRAPH = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60),
    min_size=1,
    max_size=12,
).map(" ".join)
TEXT = st.lists(PARAGRAPH, min_size=1, max_size=30).map("\n\n".join).filter(lambda t: t.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, size=st.integers(16, 120), overlap_share=st.floats(0, 0.5))
def test_chunks_cover_the_document_with_exact_offsets_and_overlaps(text, size, overlap_share):
    overlap = int(size * overlap_share)
    chunker = Chunker(size, overlap)
    chunks = chunker.chunk(doc_of(text))
    enc = load_encoding("cl100k_base")
    at = token_bounds(chunker, text)
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(text)
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.token_count <= size
        assert at[chunk.char_end] - at[chunk.char_start] == chunk.token_count
        assert len(enc.encode_ordinary(chunk.text)) <= size + 2  # alone, a piece may tokenize a little differently
    for before, after in zip(chunks, chunks[1:]):
        assert after.char_start < before.char_end or overlap == 0
        shared = at[before.char_end] - at[after.char_start]
        # exactly `overlap` tokens, or up to 3 more where a multi-token character straddles the cut
        assert overlap <= shared <= overlap + 3
        assert after.char_start >= before.char_start


def test_ascii_overlap_is_exact_and_ends_snap_to_sentences():
    sentence = "The viaduct has nine arches and stands above the river Llys. "
    text = "\n\n".join(sentence * 6 for _ in range(20))
    chunker = Chunker(100, 10)
    chunks = chunker.chunk(doc_of(text))
    at = token_bounds(chunker, text)
    assert len(chunks) > 5
    for before, after in zip(chunks, chunks[1:]):
        assert at[before.char_end] - at[after.char_start] == 10
    # every chunk but the last ends at the end of a sentence, not mid-word
    assert all(c.text.endswith(".") for c in chunks[:-1])


def test_cut_at_token_boundary_when_no_sentence_end_is_near():
    text = " ".join(f"word{i}" for i in range(2000))
    chunks = Chunker(64, 8).chunk(doc_of(text))
    assert all(c.token_count == 64 for c in chunks[:-1])


def test_chunks_know_their_pages():
    pages = ["first page text. " * 40, "second page text. " * 40, "third page. " * 40]
    text, spans = "", []
    for number, page in enumerate(pages, start=1):
        if text:
            text += "\n\n"
        start = len(text)
        text += page.strip()
        spans.append(PageSpan(start=start, end=len(text), page=number))
    chunks = Chunker(128, 16).chunk(doc_of(text, spans))
    assert chunks[0].pages == [1]
    assert chunks[-1].pages == [3]
    assert any(c.pages == [1, 2] for c in chunks)


def test_chunk_ids_change_with_the_settings_and_not_otherwise():
    doc = doc_of("Alpha beta gamma. " * 200)
    a = [c.chunk_id for c in Chunker(64, 8).chunk(doc)]
    assert a == [c.chunk_id for c in Chunker(64, 8).chunk(doc)]
    assert set(a).isdisjoint(c.chunk_id for c in Chunker(64, 16).chunk(doc))


def test_empty_document_has_no_chunks():
    assert Chunker().chunk(doc_of("")) == []


def test_bad_settings_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="overlap=64 must be .* less than tokens=64"):
        Chunker(64, 64)
    with pytest.raises(EncodingError, match="unknown encoding 'nope'; available: .*cl100k_base"):
        Chunker(64, 8, encoding="nope")


def test_cl100k_base_loads_without_network():
    assert load_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
