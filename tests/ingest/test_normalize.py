import time

from hypothesis import given
from hypothesis import strategies as st

from ingest.normalize import hyphenated_words, join_hyphenated, normalize, unwrap_lines


def test_ligatures_are_spelled_out():
    assert normalize("\ufb01nal \ufb02ow, e\ufb00ort, o\ufb03ce, ba\ufb04e, \ufb06op, \u0133s") == "final flow, effort, office, baffle, stop, ijs"


def test_composed_characters_and_invisible_ones():
    assert normalize("cafe\u0301") == "caf\u00e9"  # NFC
    assert normalize("hy\u00adphen\u200bated\ufeff") == "hyphenated"
    assert normalize("bell\x07 and\x00 nul") == "bell and nul"


def test_odd_spaces_become_one_plain_space_and_trailing_spaces_go():
    assert normalize("10\u00a0km \u2009 away\t\there  \nnext\u3000line \t") == "10 km away here\nnext line"


def test_leading_indentation_of_a_line_is_kept():
    assert normalize("code:\n\n    x  =  1\n  - nested") == "code:\n\n    x = 1\n  - nested"


def test_line_ends_and_paragraph_breaks():
    assert normalize("a\r\nb\rc") == "a\nb\nc"
    assert normalize("one\n\n\n\ntwo\n \t \n\nthree") == "one\n\ntwo\n\nthree"
    assert normalize("page one\x0cpage two") == "page one\n\npage two"
    assert normalize("first\u2029second\u2028third") == "first\n\nsecond\nthird"


def test_single_line_breaks_are_kept_and_the_ends_are_stripped():
    assert normalize("\n\n  - milk\n- eggs  \n\n") == "- milk\n- eggs"


def test_join_hyphenated_joins_words_the_typesetter_broke():
    assert join_hyphenated("consectetur adip-\niscing elit") == "consectetur adipiscing elit"
    assert join_hyphenated("a soft\u00ad\nhyphen") == "a softhyphen"
    assert join_hyphenated("a split\u2010\nword") == "a splitword"


def test_join_hyphenated_keeps_real_hyphens():
    # the document writes "well-known" on one line elsewhere: that is its spelling
    assert join_hyphenated("a well-known fact, and the well-\nknown text") == "a well-known fact, and the well-known text"
    assert join_hyphenated("the Anglo-\nSaxon church, COVID-\n19 rules") == "the Anglo-Saxon church, COVID-19 rules"
    assert join_hyphenated("pages 10-\n20") == "pages 10-20"
    # not a word break: a dash after a space, or a hyphen before a paragraph break
    assert join_hyphenated("wait -\nthen go") == "wait -\nthen go"
    assert join_hyphenated("a list ends with x-\n\nnew paragraph") == "a list ends with x-\n\nnew paragraph"


def test_join_hyphenated_can_trust_another_texts_spelling():
    assert join_hyphenated("a well-\nknown text", hyphenated_words("page one says well-known")) == "a well-known text"
    assert hyphenated_words("a state-of-the-art, Well-Known tool") == {"state-of", "of-the", "the-art", "well-known"}


def test_unwrap_lines_joins_layout_lines_but_not_paragraphs_or_list_items():
    text = "The line was\nfull here.\n\nItems:\n- one\n• two\n1. three\n(a) four\nend"
    assert unwrap_lines(text) == "The line was full here.\n\nItems:\n- one\n• two\n1. three\n(a) four end"


@given(st.text(alphabet=st.sampled_from(list("ab -\n\t\r\u00a0\u00ad\ufb01\u2029\x0ce\u0301")), max_size=60))
def test_normalize_is_idempotent_and_keeps_its_promises(text):
    out = normalize(text)
    assert normalize(out) == out
    assert out == out.strip()
    assert "\n\n\n" not in out and "\r" not in out and "\t" not in out and " \n" not in out
    assert "\ufb01" not in out and "\u00ad" not in out and "\u00a0" not in out
    assert all("  " not in line.lstrip(" ") for line in out.split("\n"))


def test_normalize_and_join_are_fast_on_a_long_text():
    page = "The harbour handled ﬁve thousand tonnes of cargo,\u00a0most of it tim-\nber and grain.  \n\n\n" * 20
    text = page * 500  # about 1.6 MB
    start = time.perf_counter()
    out = normalize(unwrap_lines(join_hyphenated(text)))
    elapsed = time.perf_counter() - start
    assert "timber" in out and "\ufb01" not in out
    assert elapsed < 2.0, f"{elapsed:.2f} s for 1.6 MB: something loops per character"
