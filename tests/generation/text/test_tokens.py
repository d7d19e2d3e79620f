"""The chunk's words as the checks read them: each sentence's vocabulary, and the folded text quotes align with."""

import pytest

from generation.grounding.context import chunk_context
from generation.text import sentences
from generation.text.tokens import fold, segment_vocabularies, text_vocabulary

CHUNKS = [
    # A number written with a scale word, in a sentence after one full of other numbers.
    "Wikinews briefs for Thursday, February 20, 2014.\n\nThe deal could potentially be worth US$19 billion with US$3 "
    "billion more being offered to employees.",
    # A spaced dash (not a hyphen cut by a line end) and a table of figures.
    "Telephone: country code - 47-790; satellite earth station.\nGDP (purchasing power parity):\n    $6.313 billion",
    # A word hyphenated at a line end, and a fraction.
    "The inter-\nnational line opened in 1889. It is 2½ miles long. Trains run every twenty five minutes.",
    # Quotes, a backslash, non-Latin scripts and a spaced thousands group.
    "Il a dit « Straße » à 20 000 personnes. Der Pfad C:\\Programme\\ ist «leer». Москва — столица России. 東京は日本の首都です。",
]


def pieces(text: str) -> list[str]:
    out, start = [], 0
    for end, next_start in sentences.bounds(text):
        out.append(text[start:end])
        start = next_start
    return out


@pytest.mark.parametrize("text", CHUNKS)
def test_each_sentences_vocabulary_is_that_sentences_own(text):
    # The one-pass reading of a chunk gives each sentence the words of that sentence alone: a
    # "billion" in the second sentence must not bring in the first sentence's 2014.
    assert segment_vocabularies(text, sentences.bounds(text)) == [text_vocabulary(p) for p in pieces(text)]


def test_a_scale_word_near_a_sentences_start_takes_no_number_from_the_sentence_before():
    text = CHUNKS[0]
    deal = segment_vocabularies(text, sentences.bounds(text))[-1]
    assert "19000000000" in deal and "3000000000" in deal
    assert "2014" not in deal and "20" not in deal


@pytest.mark.parametrize("text", [*CHUNKS, "Straße, ﬁne print and ½ a [map](https://example.org/a-b) of “Köln”."])
def test_the_folded_chunk_is_fold_of_the_chunk_and_points_back_at_its_characters(text):
    context = chunk_context(text)
    if "](" not in text:
        assert context.folded == fold(text)
    assert len(context.offsets) == len(context.folded)
    for i, at in enumerate(context.offsets):  # each folded character comes from the character it points at
        assert context.folded[i] in fold(text[at]) or fold(text[at]) == ""


def test_a_links_address_is_left_out_of_the_folded_chunk():
    context = chunk_context("See the [Köln map](https://example.org/koeln-map) for “Straße” names.")
    assert "example" not in context.folded and "koeln" not in context.folded
    assert context.folded == fold("See the Köln map for “Straße” names.")


def test_a_lone_surrogate_in_a_chunk_folds_to_nothing_and_fails_no_pair():
    context = chunk_context("The pump was serviced in May. Broken \udc8f char here.")
    assert context.folded == fold("The pump was serviced in May. Broken char here.")
