"""The questions: novel terms, a given-away answer, the roundtrip and the span roundtrip (every strategy), and fact-first form."""

from __future__ import annotations


import pytest


# --- questions: novel terms, a given-away answer, the roundtrip (every strategy), fact-first form ---

VIADUCT = (
    "The Cwm Llys viaduct carries the railway across the river Llys, 6 kilometres above Millbrook. "
    "It was built in 1886 of local granite, and it has nine arches, each with a span of 11 metres. "
    "The deck is 28 metres above the river at its highest point."
)
DECK = "The deck is 28 metres above the river at its highest point."
BUILT = "It was built in 1886 of local granite, and it has nine arches, each with a span of 11 metres."


def fact_check(checker, question, sentence, target, title="The Cwm Llys viaduct", text=VIADUCT):
    return checker.check(text, question, sentence, [sentence], target=target, title=title)


def test_a_question_in_units_the_text_never_uses_is_rejected(checker):
    question = "How many feet above the river is the deck of the Cwm Llys viaduct?"
    verdict = checker.check(VIADUCT, question, "28 metres.", [DECK], title="The Cwm Llys viaduct")
    assert verdict.reasons == ["novel_question_term:feet"]
    metres = checker.check(VIADUCT, question.replace("feet", "metres"), "28 metres.", [DECK], title="The Cwm Llys viaduct")
    assert metres.grounded, metres.reasons


def test_a_question_naming_a_place_or_year_the_text_lacks_is_rejected(checker):
    verdict = checker.check(VIADUCT, "How high above the Severn was the deck in 1990?", "28 metres.", [DECK])
    assert {"novel_question_term:Severn", "novel_question_term:1990"} <= set(verdict.reasons)


def test_a_question_that_leads_to_another_sentence_than_its_quote_is_off_target(checker):
    # A grounded answer to a different question: the quote is real, but the question's words are elsewhere.
    verdict = checker.check(VIADUCT, "When was the Cwm Llys viaduct built of local granite?", "28 metres above the river.", [DECK])
    assert "off_target_question" in verdict.reasons and verdict.roundtrip < 0.5
    right = checker.check(VIADUCT, "How high is the deck of the Cwm Llys viaduct above the river?", "28 metres above the river.", [DECK], title="The Cwm Llys viaduct")
    assert right.grounded, right.reasons
    assert right.roundtrip == 1.0


# Real text (Wikipedia, "Danube" and "Tungsten", CC BY-SA 4.0), as in bench/realtext.
DANUBE_BASIN = (
    "Once a long-standing frontier of the Roman Empire, the river passes through or touches the borders of "
    "ten countries: Romania (29.0% of basin area), Hungary (11.6%), Serbia (10.2%), Austria (10.0%), "
    "Germany (7.5%), Slovakia (6.0%), Bulgaria (5.2%), Croatia (4.4%), Ukraine (3.8%), and Moldova (1.6%)."
)
TUNGSTEN = (
    "Tungsten is a chemical element. It was identified as a new element in 1781 and first isolated as a "
    "metal in 1783. Its important ores include scheelite and wolframite."
)


@pytest.mark.parametrize(
    "chunk, question, wrong, right",
    [
        (DANUBE_BASIN, "What share of the Danube basin lies in Austria?", ("10.2%", "Serbia (10.2%)"), ("10.0%", "Austria (10.0%)")),
        (TUNGSTEN, "When was tungsten identified as a new element?", ("1783", "first isolated as a metal in 1783"), ("1781", "identified as a new element in 1781")),
        (TUNGSTEN, "When was tungsten first isolated as a metal?", ("1781", "identified as a new element in 1781"), ("1783", "first isolated as a metal in 1783")),
    ],
)


def test_another_value_of_the_quoted_sentence_answers_another_question(checker, chunk, question, wrong, right):
    # A teacher's commonest grounded error: the quote is real and in the right sentence, but the value
    # it gives belongs to a neighbouring clause.
    title = chunk.split()[0] if chunk is TUNGSTEN else "Danube"
    verdict = checker.check(chunk, question, wrong[0], [wrong[1]], title=title)
    assert "off_target_answer" in verdict.reasons and verdict.span_roundtrip < 0.5
    verdict = checker.check(chunk, question, right[0], [right[1]], title=title)
    assert verdict.grounded, verdict.reasons


def test_a_value_listed_after_its_label_keeps_the_label(checker):
    # GDPR Art. 83(5) (EUR-Lex, reuse authorised): the label is two clauses before the articles.
    chunk = (
        "Infringements of the following provisions shall be subject to administrative fines up to 20 000 000 EUR: "
        "(a) the basic principles for processing, including conditions for consent, pursuant to Articles 5, 6, 7 and 9; "
        "(b) the data subjects' rights pursuant to Articles 12 to 22;"
    )
    right = checker.check(chunk, "Which articles hold the basic principles for processing?", "Articles 5, 6, 7 and 9.", ["pursuant to Articles 5, 6, 7 and 9"])
    assert right.grounded, right.reasons
    wrong = checker.check(chunk, "Which articles hold the basic principles for processing?", "Articles 12 to 22.", ["pursuant to Articles 12 to 22"])
    assert "off_target_answer" in wrong.reasons


@pytest.mark.parametrize(
    "chunk, question, answer, quote",
    [
        # numbers written as the text does not: words with a scale, halves, vulgar fractions, spaced thousands
        ("At its height the League encompassed nearly 200 settlements across seven modern-day countries.",
         "How many settlements did the League include?", "Nearly two hundred settlements.", "encompassed nearly 200 settlements"),
        ("Python 3.9 - 3.12 operate on a calendar with 1½ year of full support, followed by 3½ more years of security fixes.",
         "How much full support did Python 3.9 to 3.12 receive?", "One and a half years, then three and a half more years of security fixes.",
         "with 1½ year of full support, followed by 3½ more years of security fixes"),
        ("Infringements shall be subject to administrative fines up to 20 000 000 EUR, whichever is higher.",
         "What is the highest administrative fine for an infringement?", "Up to EUR 20 million.", "administrative fines up to 20 000 000 EUR"),
        # a unit written out where the text has its symbol
        ("The Danube then flows southeast for 2,872 km (1,785 mi) before emptying into the Black Sea.",
         "How many kilometres does the Danube flow before it reaches the Black Sea?", "2,872 kilometres.", "flows southeast for 2,872 km"),
        # a name the text gives as its adjective, an acronym's plural
        ("Heian-kyō was modelled after the Tang Dynasty Chinese capital of Chang'an (modern day Xi'an).",
         "Which city was Heian-kyō modelled on?", "Chang'an, the Tang capital of China.", "modelled after the Tang Dynasty Chinese capital of Chang'an"),
        ("The series of RFC 7230 to RFC 7235 was published in June 2014.",
         "Which RFCs were published in June 2014?", "RFC 7230 to RFC 7235.", "RFC 7230 to RFC 7235 was published in June 2014"),
        # a sentence wrapped in inline HTML is a sentence, not a heading
        ("<p>HTTP/1.1 was first published as RFC 2068 in January 1997.</p>\n\n<h2>More than 15 years of extensions</h2>",
         "When was HTTP/1.1 first published, and as which RFC?", "In January 1997, as RFC 2068.", "HTTP/1.1 was first published as RFC 2068 in January 1997."),
        # arithmetic a reader does at sight, a comparative of the text's superlative, a synonym, a modal
        ("Tardigrades are short and plump, with four pairs of legs.", "How many legs does a tardigrade have?", "Eight, in four pairs.", "with four pairs of legs"),
        ("The Danube is a river in Central Europe, the continent's second longest after the Volga.",
         "Which European river is longer than the Danube?", "The Volga.", "the continent's second longest after the Volga"),
        ("The list of all supported command-line options can be found by executing the installer with /?.",
         "How can you list the options the installer accepts?", "Run the installer with /?.", "found by executing the installer with /?"),
        ("Truncation of the secret SHALL NOT be performed.", "May a verifier truncate a memorized secret?",
         "No, truncation of the secret is not allowed.", "Truncation of the secret SHALL NOT be performed."),
        # an empty "it", a pronoun whose noun the question names, a list item "(a)"
        ("It is preferred, though, to wait 5 years before removal.", "How long is it preferred to wait before removal?", "Five years.", "to wait 5 years before removal"),
        ("The longest train service in the world is from Moscow to Pyongyang. This connection runs twice monthly.",
         "What is the longest train service in the world, and how often does it run?", "Moscow to Pyongyang, twice a month.",
         "The longest train service in the world is from Moscow to Pyongyang"),
        ("Fines apply to (a) the basic principles for processing, pursuant to Articles 5, 6, 7 and 9;",
         "Which articles hold the basic principles listed in point (a)?", "Articles 5, 6, 7 and 9.", "pursuant to Articles 5, 6, 7 and 9"),
    ],
)


def test_true_pairs_written_the_way_a_good_teacher_writes_them_pass(checker, chunk, question, answer, quote):
    verdict = checker.check(chunk, question, answer, [quote])
    assert verdict.grounded, verdict.reasons


def test_a_code_block_is_led_to_by_the_sentence_before_it(checker):
    # Docker docs (Apache-2.0): the question's words are in the sentence that introduces the command.
    chunk = (
        "The following command starts a Redis container and configures it to always restart.\n\n"
        "```console\n$ docker run -d --restart unless-stopped redis\n```\n\n"
        "The following command ensures all running containers restart.\n\n"
        "```console\n$ docker update --restart unless-stopped $(docker ps -q)\n```"
    )
    verdict = checker.check(
        chunk, "How can you make every running container restart automatically?",
        "Run docker update --restart unless-stopped $(docker ps -q).", ["$ docker update --restart unless-stopped $(docker ps -q)"],
        title="Start containers automatically",
    )
    assert verdict.grounded, verdict.reasons


def test_a_value_only_a_heading_states_is_about_its_section(checker):
    # NASA's Mars fact sheet: "Earth" is only in the table's heading.
    chunk = "Mars/Earth Comparison\n\nBulk parameters\n\nMass (1024 kg) 0.64169 5.9722 0.107\nEscape velocity (km/s) 5.03 11.19 0.450"
    verdict = checker.check(chunk, "What is the escape velocity of Mars?", "5.03 km/s, against 11.19 km/s for Earth.", ["Escape velocity (km/s) 5.03 11.19 0.450"])
    assert verdict.grounded, verdict.reasons


def test_a_quote_that_drops_a_negation_is_not_found(checker):
    # git-config(1): the quote's letters are close, its meaning the opposite.
    chunk = "core.looseCompression: An integer -1..9, indicating the compression level for objects that are not in a pack file."
    verdict = checker.check(chunk, "Which objects does core.looseCompression apply to?", "Objects stored in pack files.",
                            ["indicating the compression level for objects that are stored in a pack file"])
    assert "quote_not_found" in verdict.reasons


def test_a_changed_identifier_is_a_changed_fact(checker):
    # The Python tutorial: "python3" changed to "python2" in the answer and its quote.
    chunk = "To create a virtual environment, decide upon a directory and run the venv module as a script:\n\n    python3 -m venv tutorial-env"
    verdict = checker.check(chunk, "What command creates the tutorial environment?", "python2 -m venv tutorial-env", ["python2 -m venv tutorial-env"])
    assert "quote_not_found" in verdict.reasons and "novel_id:python2" in verdict.reasons
    right = checker.check(chunk, "What command creates the tutorial environment?", "python3 -m venv tutorial-env", ["python3 -m venv tutorial-env"])
    assert right.grounded, right.reasons


@pytest.mark.parametrize(
    "chunk, question, answer, quotes",
    [
        ("Release 2.4.1 pairs the client with the server. It shipped in May.", "When did release 2.4.1 ship?", "In May.", ["It shipped in May."]),
        ("Release 2.4.1 ships today.", "Which release ships today?", "3.0.1 million", []),
        ("½¼ and a half of the fleet.", "How much of the fleet?", "½¼ and a half", []),
    ],
)


def test_a_version_number_before_a_scale_word_is_not_a_crash(checker, chunk, question, answer, quotes):
    checker.check(chunk, question, answer, quotes)  # Decimal cannot read "2.4.1": it must not be asked to


def test_lookalike_names_and_identifiers_are_other_facts(checker):
    chips = "The laptop uses the Apple M2 chip, and backups are stored in Amazon S3 every night."
    assert "novel_name:M3" in checker.check(chips, "Which chip does the laptop use?", "The Apple M3 chip", ["uses the Apple M2 chip"]).reasons
    assert "novel_name:S2" in checker.check(chips, "Where are backups stored?", "In Amazon S2", []).reasons
    founder = "The company was founded in 1921 by Robert Hale in Leeds."
    assert "novel_name:Roberta" in checker.check(founder, "Who founded the company in 1921?", "Roberta Hale", []).reasons


def test_numbers_in_a_row_stay_numbers_of_their_own(checker):
    chunk = "The server listens on ports 80 443 and 8443 by default."
    verdict = checker.check(chunk, "Which ports does the server listen on by default?", "80 and 443", ["ports 80 443 and 8443"])
    assert verdict.grounded, verdict.reasons


def test_a_scale_word_does_not_hide_a_changed_number(checker):
    chunk = "Infringements shall be subject to administrative fines up to 20 000 000 EUR, whichever is higher."
    verdict = checker.check(chunk, "What is the highest administrative fine?", "Up to EUR 30 million.", ["fines up to 20 000 000 EUR"])
    assert "quote_not_supporting" in verdict.reasons and "novel_number:30000000" in verdict.reasons


def test_a_name_that_only_starts_like_one_in_the_text_is_novel(checker):
    verdict = checker.check(TUNGSTEN, "Who first isolated tungsten as a metal?", "Johnston, in 1783.", ["first isolated as a metal in 1783"])
    assert "novel_name:Johnston" in verdict.reasons


def test_fact_first_true_questions_pass(checker):
    for question, sentence, target in [
        ("When was the Cwm Llys viaduct built?", BUILT, "1886"),
        ("How many arches does the Cwm Llys viaduct have?", BUILT, "nine"),
        ("How many metres above the river is the deck of the Cwm Llys viaduct?", DECK, "28"),
    ]:
        verdict = fact_check(checker, question, sentence, target)
        assert verdict.grounded, (question, verdict.reasons)


def test_a_question_that_gives_its_answer_away_is_rejected(checker):
    assert "question_gives_answer" in fact_check(checker, "When was the Cwm Llys viaduct built in 1886?", BUILT, "1886").reasons
    assert "question_gives_answer" in fact_check(checker, "How many arches, nine, does the Cwm Llys viaduct have?", BUILT, "nine").reasons


def test_a_fact_first_question_with_words_the_fact_lacks_is_rejected(checker):
    verdict = fact_check(checker, "What is the telephone number of the Cwm Llys viaduct?", BUILT, "1886")
    assert "novel_question_term:telephone" in verdict.reasons


def test_a_fact_first_question_that_names_nothing_is_rejected(checker):
    assert "unnamed_subject" in fact_check(checker, "How many arches does it have?", BUILT, "nine").reasons


@pytest.mark.parametrize("question", ["When was the Cwm Llys viaduct built like this?", "When was the Cwm Llys viaduct built there?"])
def test_a_fact_first_question_that_points_at_its_text_is_rejected(checker, question):
    # read on a seventh held-out set (bench/realdocs7): "When did FTP download support become like this?"
    assert "unresolved_reference" in fact_check(checker, question, BUILT, "1886").reasons


def test_a_fact_first_question_about_another_clause_is_off_target(checker):
    # "nine" is in "... and it has nine arches"; this asks about the granite clause.
    verdict = fact_check(checker, "How many arches of local granite were built in the Cwm Llys viaduct?", BUILT, "nine")
    assert "off_target_question" in verdict.reasons


def test_a_fact_first_question_must_name_what_its_number_measures(checker):
    text = (
        "Dunmore station is next to the old quarry, where a marked walk of 3 kilometres leads past the slate tips "
        "to the quarry museum. Dogs are welcome on all trains for a fare of 2 pounds."
    )
    walk, dogs = text.split(". ")[0] + ".", text.split(". ")[1]
    title = "Visiting the Harrow Valley Railway"

    def verdict(question, sentence, target):
        return fact_check(checker, question, sentence, target, title=title, text=text)

    # A small model's questions about the railway, not about the walk or the fare.
    assert "off_target_question" in verdict("How many kilometres does the Harrow Valley Railway visit Dunmore station?", walk, "3").reasons
    assert "off_target_question" in verdict("How much does the Harrow Valley Railway give dogs on trains?", dogs, "2 pounds").reasons
    right = verdict("How many kilometres long is the marked walk from Dunmore station?", walk, "3")
    assert right.grounded, right.reasons
    fare = verdict("How much is the fare for dogs on the Harrow Valley Railway?", dogs, "2 pounds")
    assert fare.grounded, fare.reasons


def test_a_fact_first_question_must_name_its_clauses_subject_not_only_the_documents(checker):
    text = (
        "The Cob took 4 years to complete, but only a year later partial rebuilding was required. "
        "The Ffestiniog Railway, the oldest independent railway in the world, was incorporated by Act of Parliament in 1832."
    )
    cob, act = text.split(". ")[0] + ".", text.split(". ")[1]
    title = "The Ffestiniog Railway"

    def verdict(question, sentence, target):
        return fact_check(checker, question, sentence, target, title=title, text=text)

    # A small model puts the document's subject where the clause has another one.
    assert "off_target_question" in verdict("How many years does the Ffestiniog Railway take to complete?", cob, "4").reasons
    assert "off_target_question" in verdict("When was Act of Parliament incorporated?", act, "1832").reasons
    for question, sentence, target in [
        ("How many years did the Cob take to complete?", cob, "4"),
        ("When was the Ffestiniog Railway incorporated by Act of Parliament?", act, "1832"),
    ]:
        right = verdict(question, sentence, target)
        assert right.grounded, (question, right.reasons)


def test_a_fact_first_question_naming_the_documents_subject_is_not_on_target_for_another_subjects_clause():
    """The railway's opening is not the museum's; the railway's cars are not the station's parking (review of v3)."""
    from generation.grounding.checks.roundtrip import _asks_for_target
    from generation.text.tokens import tokens, vocabulary

    title = vocabulary(tokens("Millbrook Railway"))
    assert not _asks_for_target(tokens("When did the Millbrook Railway open?"), "1990", "The railway museum opened in 1990.", title)
    assert not _asks_for_target(tokens("How many cars does the Millbrook Railway have?"), "120", "Millbrook station has parking for 120 cars.", title)
    viaduct = vocabulary(tokens("The Cwm Llys viaduct: inspection of 2024"))
    assert _asks_for_target(tokens("When will the Cwm Llys viaduct be inspected again?"), "2027", "The viaduct will be inspected again in 2027.", viaduct)


def test_a_parenthesis_in_the_subject_is_an_other_name_the_question_need_not_repeat():
    from generation.grounding.checks.roundtrip import _asks_for_target
    from generation.text.tokens import tokens, vocabulary

    sentence = "The Vale of Rheidol Railway (Welsh: Rheilffordd Cwm Rheidol) opened in 1902 with a gauge of 603 mm."
    title = vocabulary(tokens("Vale of Rheidol Railway"))
    assert _asks_for_target(tokens("When did the Vale of Rheidol Railway open?"), "1902", sentence, title)
