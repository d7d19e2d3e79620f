"""Fact selection for the fact-first strategy: which sentences are facts, what each question asks for."""

from generation.text.facts import clause_of, select_facts, target_clause
from generation.text.sentences import sentences

HISTORY = """# A short history of the Harrow Valley Railway

The Harrow Valley Railway is a narrow-gauge line that runs 14 kilometres from Millbrook to the
quarry village of Dunmore. It was opened on 3 June 1887 to carry slate from the Dunmore quarries
to the canal wharf at Millbrook, and it carried its first passengers in 1891.

## The slate years

At its busiest, in 1903, the railway moved 41,000 tonnes of slate a year with four steam
locomotives. The track gauge is 597 millimetres, chosen by the engineer Margaret Owain so that the
line could follow the tight curves of the Harrow gorge. A return ticket costs 24 pounds. Why was it closed?
"""


def facts_of(text, topic="A short history of the Harrow Valley Railway"):
    return {(f.span, f.opening) for f in select_facts(text, topic, None)}


def test_dates_counts_money_and_names_are_facts_with_the_question_word_that_fits():
    found = facts_of(HISTORY)
    assert ("3 June 1887", "When") in found and ("1891", "When") in found
    assert ("14", "How many kilometres") in found and ("41,000", "How many tonnes") in found
    assert ("Margaret Owain", "Who") in found
    assert ("24 pounds", "How much") in found


def test_headings_questions_and_the_documents_own_subject_are_not_facts():
    spans = {span for span, _ in facts_of(HISTORY)}
    assert not any("history" in s.lower() or "Why" in s for s in spans)
    assert "Harrow Valley Railway" not in spans  # the topic is what a question names, not what it asks
    for fact in select_facts(HISTORY, "A short history of the Harrow Valley Railway", None):
        assert fact.sentence.endswith(".") and not fact.sentence.startswith("#")
        assert HISTORY[fact.start : fact.end].split() == fact.sentence.split()  # exact offsets, whitespace folded
        assert fact.span in fact.sentence


def test_a_count_opens_with_its_noun_as_the_text_writes_it():
    text = "The Cwm Llys viaduct stands on nine stone arches. Trains must cross it at no more than 10 kilometres per hour."
    assert facts_of(text, "") == {("nine", "How many stone arches"), ("10", "How many kilometres per hour")}


def test_numbers_that_count_nothing_are_not_asked_for():
    text = "It was created by an Act (2 William IV cap.xlviii) in the year of the flood. Arches four and five had washed out in the storm."
    assert facts_of(text, "") == set()


def test_a_sentence_cut_by_the_chunk_start_is_not_a_fact():
    chunk = "lys viaduct, has nine stone arches and stands 28 metres above the river. The deck was rebuilt in 1997 by volunteers."
    assert [f.span for f in select_facts(chunk, "", None)] == ["1997"]
    chunk = " month, when volunteers explain how the locomotive Gwennol, built in 1889, is kept in steam.\n\nThe line first opened to passengers in 1887."
    assert [f.span for f in select_facts(chunk, "", None)] == ["1887"]  # the chunk's overlap starts after a space


def test_a_heading_line_run_into_a_pdf_paragraph_is_its_own_block():
    page = (
        "Engineering Report 2024\n"
        "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above the town of\n"
        "Millbrook. It was built in 1886 of local granite by the county."
    )
    assert [page[s:e] for s, e in sentences(page)][0] == "Engineering Report 2024"
    assert "2024" not in {f.span for f in select_facts(page, "", None)}


def test_text_with_quotes_backslashes_and_other_scripts():
    text = (
        'The rise was called the "first oil shock" by many, and prices rose from $3 to $12 in 1974.\n\n'
        "The archive moved to C:\\Archive\\1973 in 1975 after the ministry closed.\n\n"
        "В 1973 году цены на нефть выросли в четыре раза. 東京の物価は1974年に上がった。"
    )
    found = facts_of(text, "")
    assert ("1974", "When") in found and ("1975", "When") in found and ("$3", "How much") in found


def test_the_target_clause_keeps_what_it_depends_on():
    sentence = "They reopened the first three kilometres, from Millbrook to Pont Isaf, in 1968, and the society reached Dunmore in 1997."
    assert target_clause(sentence, "1968") == "They reopened the first three kilometres, from Millbrook to Pont Isaf, in 1968, "
    assert target_clause(sentence, "1997").strip() == "and the society reached Dunmore in 1997."
    shared = "The viaduct has nine stone arches and stands 28 metres above the river."
    assert target_clause(shared, "28") == shared  # "and stands ..." shares the subject before it
    opening = "At its busiest, in 1903, the railway moved 41,000 tonnes of slate a year."
    assert target_clause(opening, "1903") == opening


def test_the_teacher_is_shown_the_targets_clause_as_a_sentence():
    fact = next(f for f in select_facts("Today the society has about 1,200 members, and around 60,000 passengers ride the line each year.", "", None) if f.span == "60,000")
    assert clause_of(fact) == "Around 60,000 passengers ride the line each year."


def test_a_limit_covers_every_sentence_before_a_second_question_for_one():
    text = " ".join(f"Station {n} opened in {1900 + n} with {n + 2} platforms for the town." for n in range(1, 7))
    chosen = select_facts(text, "", 6)
    assert len(chosen) == 6 and len({f.start for f in chosen}) == 6


def test_a_number_is_found_as_a_whole_word_not_inside_another():
    quote = "In 2010 the line carried 10 trains a day, and the depot had 3 cranes."
    assert target_clause(quote, "10") == "In 2010 the line carried 10 trains a day, "  # not the "10" of "2010"
    fact = next(f for f in select_facts(quote, "", None) if f.span == "10")
    assert fact.sentence[fact.at : fact.at + 2] == "10" and fact.at == quote.index(" 10 ") + 1


def test_a_span_across_a_line_break_is_asked_for_as_the_answer_writes_it():
    text = "The line was opened on 3 June\n1887 by the Harrow Valley company."
    fact = select_facts(text, "", None)[0]
    assert fact.span == "3 June 1887" and fact.span in fact.sentence


def test_a_link_gives_its_text_to_the_answer_and_its_address_to_nothing():
    text = "The line was opened in 1887 by [the Harrow company](https://example.org/harrow/1923) at Millbrook."
    facts = select_facts(text, "", None)
    assert {f.span for f in facts} == {"1887"}  # not the 1923 of the address (and a place is not a fact)
    assert facts[0].sentence == "The line was opened in 1887 by the Harrow company at Millbrook."


def test_sentences_that_open_with_quotes_digits_markup_or_accents_are_facts():
    text = (
        "“The railway had 14 locomotives in 1900,” wrote the manager. "
        "1,200 members joined the society in 1962. "
        "**Élise Moreau** founded the museum in 1971 with 40 volunteers."
    )
    sentences_found = {f.sentence for f in select_facts(text, "", None)}
    assert sentences_found == {
        "“The railway had 14 locomotives in 1900,” wrote the manager.",
        "1,200 members joined the society in 1962.",
        "Élise Moreau founded the museum in 1971 with 40 volunteers.",
    }


def test_an_abbreviation_does_not_end_a_sentence_and_a_closing_quote_stays_with_its_own():
    text = 'He wrote "the line closed in 1951." Then it was sold, e.g. to the council, for 5 pounds in 1953.'
    assert [text[s:e] for s, e in sentences(text)] == [
        'He wrote "the line closed in 1951."', "Then it was sold, e.g. to the council, for 5 pounds in 1953."
    ]


def test_text_in_other_languages_gives_no_facts_for_english_questions():
    french = (
        "Le réseau ferré secondaire totalisait 23000 km en France vers 1925. La voie de 60 a été imaginée en 1875 "
        "par le français Paul Decauville, et le chemin de fer du Calvados totalisait 223 km."
    )
    german = "Die erste Schmalspurbahn in Deutschland erhielt die Konzession am 24. März 1851. Die Spurweite betrug 785 mm."
    russian = "Виадук был построен в 1886 году, он имеет девять арок и высоту 28 метров."
    assert select_facts(french, "", None) == select_facts(german, "", None) == select_facts(russian, "", None) == ()
    # An English sentence among code, URLs and badges still is one.
    readme = "See https://x.org/a/b and https://y.org badge svg. Version 2 of the library was released in March 2023."
    assert {f.span for f in select_facts(readme, "", None)} == {"March 2023"}


def test_a_sentence_opened_by_this_or_these_is_no_fact_but_one_opened_by_it_is_named():
    text = (
        "The ca-certificates package ships the CA certificates of Mozilla's bundle. "
        "This is an example stub source package that includes a dummy CA certificate in the local/ directory. "
        "These man pages were added by Dirk Eddelbuettel in 2001. "
        "The Cwm Llys viaduct is a stone bridge over the river Llys. It was built in 1886 of local granite."
    )
    facts = select_facts(text, "", None)
    sentences_asked = {f.sentence for f in facts}
    assert not any(s.startswith(("This", "These")) for s in sentences_asked)
    built = [f for f in facts if f.sentence.startswith("It was built")]
    assert built and all(f.said == "The Cwm Llys viaduct was built in 1886 of local granite." for f in built)


def test_it_is_not_named_by_a_sentence_whose_subject_cannot_be_told():
    # "crosses" is no verb the subject finder knows: the whole sentence would be taken as the subject
    # ("The Cwm Llys viaduct crosses the river Llys was built in 1886"). No question rather than that.
    text = "The Cwm Llys viaduct crosses the river Llys. It was built in 1886 of local granite."
    assert not any("crosses the river Llys was" in f.said for f in select_facts(text, "", None))


def test_reference_list_entries_are_no_facts_but_sentences_citing_them_are():
    text = (
        "The Unicode Consortium, Addison- Wesley, Reading, MA, 2000, ISBN 0-201-61633-5.\n\n"
        "'Reading the Tangible Past', Representations, 69 (2000), pp.&nbsp;9&ndash;37.\n\n"
        "Vol. 84, № 2, 1980, Seite 196.\n\n"
        "Approximately one-third of common cold infections is attributable to four human coronaviruses "
        "[@doi:10.1038/s41579-018-0118-9].\n\n"
        "Proposals to translate the Prayer Book into Cornish were suppressed and in total 4,000 people were killed "
        "in the rebellion.<ref>Sturt, John (1987) Revolt in the West: the Western Rebellion of 1549."
    )
    facts = select_facts(text, "", None)
    assert {f.span for f in facts} == {"four", "4,000"}  # nothing of the book entries, nor of the cut citation
    killed = next(f for f in facts if f.span == "4,000")
    assert killed.said == (
        "Proposals to translate the Prayer Book into Cornish were suppressed and in total 4,000 people were killed in the rebellion."
    )


def test_a_number_ending_a_name_or_a_range_of_counts_is_not_asked_for_but_a_range_of_years_is():
    text = (
        "GNU ed is not strictly POSIX compliant, as described in the POSIX 1003.1-2004 document. "
        "The planes added by ISO 10646-2 cover only more exotic characters. "
        "The station was rebuilt from 1889-1902 by the county. "
        "The development was delayed considerably (3-4 years) by the war."
    )
    assert {f.span for f in select_facts(text, "", None)} == {"1889", "1902"}


def test_a_chunk_that_starts_inside_a_sentence_or_a_line_that_continues_one_gives_no_fact():
    # The chunker's overlap starts a chunk mid-sentence, at a number as well as at a lower-case word; a
    # paragraph can continue the one before it ("and has been updated by ..."). Neither is a sentence.
    text = (
        "0.14.1, you'll first need to use Homebrew to get the Arrow C++ library in 2019.\n\n"
        "This document was written by Jeff Licquia and Kenshi Muto\n\n"
        "and has been updated by Brian Potkin in 2012 to reflect changes in the Debian printing system.\n\n"
        "1998 was the year the line reopened after the floods."
    )
    assert [f.said for f in select_facts(text, "", None)] == ["1998 was the year the line reopened after the floods."]


def test_a_self_closing_ref_an_isbn_named_in_prose_and_a_first_sentence_opened_by_a_year_keep_their_facts():
    # (review of the citation and chunk-start rules)
    assert {f.span for f in select_facts("The castle was built in 1590<ref name=\"a\"/> and it was rebuilt in 1625 by the daimyo.", "", None)} == {"1590", "1625"}
    assert "1970" in {f.span for f in select_facts("The ISBN system was introduced in 1970 by the International Organization for Standardization.", "", None)}
    assert "1984" in {f.span for f in select_facts("1984 saw the release of the Apple Macintosh computer by Apple in January.", "", None)}
