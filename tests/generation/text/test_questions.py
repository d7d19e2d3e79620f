"""Questions code writes for sentences of a known shape: the shapes read on real documents
(bench/realdocs), and the sentences of those shapes that must get no question."""

import pytest

from generation.text.facts import select_facts, subject_span
from generation.text.questions import written_questions


def asked(sentence: str, title: str = "") -> list[str]:
    bounds = subject_span(sentence)
    return [w.question for w in written_questions(sentence, sentence[bounds[0] : bounds[1]] if bounds else None, title)]


@pytest.mark.parametrize(
    "sentence, question",
    [
        ("Debian GNU/Linux is a particular distribution of the Linux operating system.", "What is Debian GNU/Linux?"),
        ("A topological order is a linear ordering of the vertices in a graph.", "What is a topological order?"),
        ("The `git clean` command is used to remove untracked files from the working tree.", "What is the `git clean` command used for?"),
        ("tar.umask:: This variable can be used to restrict the permission bits of tar archive entries.", "What can tar.umask be used for?"),
        (
            "If DeclareExtensionSecurity is called with secure = TRUE, the extension is available to untrusted clients.",
            "What happens if DeclareExtensionSecurity is called with secure = TRUE?",
        ),
        ("You can input space-separated patterns to exclude files and directories from deletion.", "How can you exclude files and directories from deletion?"),
        ("You can stop a running container by typing “docker stop” and its name.", "How can you stop a running container?"),
        ("To remove a package, run apt-get remove with its name.", "How do you remove a package?"),
        ("The Debian Project was created by Ian Murdock in 1993.", "Who created the Debian Project?"),
        ("Debian includes more than 59100 software packages.", "How many software packages does Debian include?"),
        ("cron is the daemon responsible for executing scheduled and recurring commands.", "What is cron?"),
        ("atd deals with commands to be executed a single time, at a specific moment in the future.", "What does atd deal with?"),
    ],
)
def test_a_sentence_of_a_known_shape_gets_its_question_from_code(sentence, question):
    assert question in asked(sentence, title="The Debian GNU/Linux FAQ")  # "Debian" opens a sentence: the title says it is a name


@pytest.mark.parametrize(
    "sentence",
    [
        "X Window System is a trademark of The Open Group.",  # true, but not what X Window System is
        "The Debian Project is a separate entity from the FSF, however we communicate regularly.",
        "A command-line tool to test WebDAV is cadaver.",  # the definition runs the other way
        "If you want to access the web-server by its IP, you have to type that in.",  # an instruction, "its"
        "If true, enable the format for use by remote clients.",  # no subject in the condition
        "You can change them later to suit the server.",  # "them": what, the question could not say
        "An inscription on a stone is a memorial to one Dunoatus.",  # one thing, not a kind of thing
        "A second effort is the port to a BSD kernel.",  # one of several, in context
        "If there is one, its ID is returned.",
        "If there is a problem, the installer will stop and show a message.",  # names nothing: asked of any program
        "If an extension is secure, this function is called to register it.",
        "First is the trunk, which is where all development happens.",  # "First" is capitalised to open the sentence
        "everything is a file, in Unix.",
        "apt-file list package-name List contents of a package.",  # a reference card's row, not a sentence
        "If you do add any parameters, be sure to type the boot method (the default is install) first.",
        "It is a clause added to INSERT that makes it an UPDATE.",  # a pronoun names nothing
        # read in the second held-out set (bench/realdocs2):
        "Generating a key for the DSA algorithm is a two-step process.",  # an activity, not a thing
        "The number 2048 is the size of the key, in bits.",  # what 2048 is of, the context says
        "LABEL=<label> or UUID=<uuid> is the recommended method.",  # markup, and one of two
        "To avoid surprises, use of an Experimental feature may need a command-line flag.",  # "use of": no instruction
        "You can say * to choose everything.",  # a goal nobody could place
        # read in the fifth held-out set (bench/realdocs5):
        "If width is non-zero, cat pages will always be formatted for a terminal of the given width.",  # "-zero" is no option
    ],
)
def test_a_sentence_whose_shape_would_mislead_gets_no_question_from_code(sentence):
    assert asked(sentence) == []


@pytest.mark.parametrize(
    "sentence, title, question",
    [
        (
            "The arrow package provides an R interface to the Arrow C++ library, including support for Parquet files.",
            "Apache Arrow R Package On CRAN", "What does the arrow package provide?",
        ),
        ("Apache Arrow aims to allow fast and seamless data interchange between runtimes.", "", "What does Apache Arrow aim to do?"),
        ("Cluster Validity Indices (CVI) provide a metric of the over- or under-partitioning of a clustering.", "", "What do Cluster Validity Indices provide?"),
        ("RRAS allows administrators to configure routing between networks.", "", "What does RRAS allow administrators to do?"),
        ("LZMA Utils are based on LZMA SDK, written by Igor Pavlov.", "", "What are LZMA Utils based on?"),
        ("The RETURNING clause is designed to provide the application with the values of columns.", "", "What is the RETURNING clause designed to do?"),
        ("The Event Horizon Telescope (EHT) is an array of eight ground-based radio telescopes.", "", "What is the Event Horizon Telescope?"),
        ("FIRST_UID and LAST_UID specify an inclusive range of UIDs for non-system users.", "", "What do FIRST_UID and LAST_UID specify?"),
    ],
)
def test_code_asks_what_a_named_thing_provides_allows_or_is_designed_for(sentence, title, question):
    assert question in asked(sentence, title)


@pytest.mark.parametrize(
    "sentence",
    [
        "SQLite thus allows the user to store any value of any datatype into any column.",  # an adverb in the subject
        "OpenSSH contains support for VPN tunneling using the tun(4) network tunnel pseudo-device.",  # "support" is a noun
        "MZ acknowledges support from the Simons Foundation.",
        "The PostgreSQL client wrapper is designed to permit this.",  # "this": what, the text before says
        "PostgreSQL requires the second form, but SQLite accepts either.",
        "The file `PROBLEMS' describes various problems that have been encountered in compiling groff.",  # a quote cut in two
        "*IPv6 support - added PPPv6, L2TP, DHCPv6, and RADIUS technologies.",
        "It also provides many lower-level bindings to the C++ library.",
        "The functions provide a thin wrapper over the system calls.",  # which functions, only the title says
    ],
)
def test_no_question_of_what_a_thing_does_where_the_subject_or_the_object_is_unclear(sentence):
    assert not [q for q in asked(sentence) if q.startswith(("What does", "What do", "What is", "What are"))]


@pytest.mark.parametrize(
    "sentence, subject, question",
    [
        # a fact sheet's label before the sentence (bench/realdocs3, the Pitcairn Islands factbook page)
        ("Background: Pitcairn Island was discovered in 1767 by the British.", "Background: Pitcairn Island", "When was Pitcairn Island discovered?"),
        # an adverb between "was" and the participle
        ("The Tukaani distribution was finally abandoned in 2007.", "The Tukaani distribution", "When was the Tukaani distribution abandoned?"),
    ],
)
def test_a_date_is_asked_past_a_label_or_an_adverb(sentence, subject, question):
    assert question in [w.question for w in written_questions(sentence, subject)]


@pytest.mark.parametrize(
    "sentence, subject",
    [
        # read on bench/realdocs7 (18F's "The encasement strategy"): the words before "is" are a clause
        ("Imagine that 100 years from now there is a team of 5 highly skilled specialists.", "Imagine that 100 years from now there"),
        ("The release that shipped in 2019 is a rewrite of the original tool.", "The release that shipped in 2019"),
    ],
)
def test_no_question_names_a_clause_as_its_subject(sentence, subject):
    assert written_questions(sentence, subject) == []


def test_a_sentence_that_points_at_a_figure_or_the_text_above_is_not_a_fact():
    text = (
        "The viaduct was built in 1886 of local granite by the county. "
        "An example is shown in Fig. 1 below, where the arches were rebuilt in 1903. "
        "In the INSERT statement above, SQLite computes the values for all three columns."
    )
    assert {f.sentence for f in select_facts(text, "", None)} == {"The viaduct was built in 1886 of local granite by the county."}


def test_a_count_of_a_set_a_year_in_a_name_and_a_since_date_are_not_asked():
    text = (
        "The Borough of Bodmin was one of the 178 municipal boroughs reformed under the Municipal Corporations Act 1835. "
        "The RETURNING syntax has been supported by SQLite since version 3.35.0 (2021-03-12)."
    )
    assert select_facts(text, "", None) == ()


def test_a_heading_underlined_with_dashes_is_not_the_subject_of_the_sentence_after_it():
    text = "Introduction\n------------\nThe Git development community is a widely distributed, diverse group of individuals.\n"
    facts = select_facts(text, "", None)
    assert [f.question for f in facts] == ["What is the Git development community?"]


def test_a_word_capitalised_to_open_a_sentence_is_not_a_name_but_a_name_the_text_writes_is():
    text = (
        "Castro is a compressible hydrodynamics code for astrophysics. We run Castro on GPUs. "
        "Modeling reactive flows is a core capability of Castro. Many codes rely on modeling of flows."
    )
    questions = [f.question for f in select_facts(text, "", None) if f.question]
    assert "What is Castro?" in questions and not any("Modeling" in q for q in questions)


def test_the_parameters_of_a_function_are_asked_inside_it_or_not_at_all():
    signature = "ffi_status ffi_prep_cif (ffi_cif *cif, unsigned int nargs, ffi_type *rtype, ffi_type **argtypes)\n"
    sentence = "rtype is a pointer to an ffi_type structure that describes the return type of the function."
    assert [w.question for w in written_questions(sentence, "rtype", "", signature + sentence)] == ["In ffi_prep_cif, what is rtype?"]
    # the signature's line lost by the extractor: a run of lower-case words defined one after another is a
    # list of fields of something the question could not name
    fields = (
        "abi is the ABI to use. nargs is the number of arguments that the call accepts.\n"
        "rtype is a pointer to an ffi_type structure that describes the return type of the function.\n"
        "argtypes is a vector of ffi_type pointers.\n"
    )
    assert not any(f.question for f in select_facts(fields, "", None))
    assert [w.question for w in written_questions("cron is the daemon responsible for executing scheduled commands.", "cron")] == ["What is cron?"]


def test_a_sentence_that_points_back_at_this_or_these_is_not_a_fact():
    text = "The loader reads nargs from the header. If nargs is 0, this argument is ignored. Both tables were printed in 1998."
    assert [f.sentence for f in select_facts(text, "", None)] == ["Both tables were printed in 1998."]


def test_the_count_of_a_named_subject_in_a_clause_of_its_own_gets_its_question_from_code():
    text = "The Cwm Llys viaduct was built in 1886 of local granite, and it has nine arches, each with a span of 11 metres."
    questions = {f.question: f.span for f in select_facts(text, "The Cwm Llys viaduct", None) if f.question}
    assert questions["How many arches does the Cwm Llys viaduct have?"] == "nine"


def test_a_man_pages_section_heading_is_not_part_of_the_sentence_under_it():
    text = (
        "NAME\n       lz4 - lz4, unlz4 - Compress or decompress .lz4 files\n\n"
        "DESCRIPTION\n       lz4 is an extremely fast lossless compression algorithm, based on the LZ77 family.\n"
    )
    assert [f.question for f in select_facts(text, "", None) if f.question] == ["What is lz4?"]


def test_code_asks_when_a_thing_will_be_done_what_it_costs_and_when_it_happens_naming_it_by_the_title():
    from generation.text.questions import written_questions

    def asked(sentence, subject, title):
        return [(w.question, w.span) for w in written_questions(sentence, subject, title, sentence)]

    # "the viaduct" is the Cwm Llys viaduct of the title, so the question can stand alone
    assert asked("The viaduct will be inspected again in 2027.", "The viaduct", "The Cwm Llys viaduct: inspection of 2024") == [
        ("When will the Cwm Llys viaduct be inspected again?", "2027")]
    assert asked("A return ticket from Millbrook to Dunmore costs 24 pounds for adults and 12 pounds for children.",
                 "A return ticket from Millbrook to Dunmore", "Visiting") == [
        ("How much does a return ticket from Millbrook to Dunmore cost for adults?", "24 pounds")]
    assert asked("The Askby ferry leaves the north pier at 9:40 every morning.", "The Askby ferry", "Lake Ostra") == [
        ("When does the Askby ferry leave the north pier?", "9:40")]
    # a subject the title does not name stays as it is, and gets no question of these shapes
    assert asked("The viaduct will be inspected again in 2027.", "The viaduct", "Annual report") == []


def test_no_definition_from_a_claim_a_field_or_a_value():
    from generation.text.questions import written_questions

    assert written_questions("SQLite is the most widely deployed database in the world.", "SQLite", "About SQLite") == []
    assert written_questions("The use of manifest typing in SQLite is a deliberate design decision.", "The use of manifest typing in SQLite", "SQLite") == []
    text = "ffi_call calls a function.\nrvalue is a pointer to a chunk of memory that will hold the result of the function call."
    assert written_questions("rvalue is a pointer to a chunk of memory that will hold the result of the function call.", "rvalue", "libffi", text) == []
    assert written_questions("If the input file is 100 MiB, xz can use five threads.", None, "XZ Utils") == []
    assert [w.question for w in written_questions("cron is the daemon responsible for running scheduled commands.", "cron", "Cron", "")] == ["What is cron?"]


def test_code_asks_when_a_named_subject_did_something_only_where_the_verb_is_certain():
    from generation.text.questions import written_questions

    def asked(sentence, subject, title=""):
        return [w.question for w in written_questions(sentence, subject, title, sentence)]

    assert asked("Ian Murdock founded the Debian Project in 1993.", "Ian Murdock") == ["When did Ian Murdock found the Debian Project?"]
    assert asked("The railway closed completely in 1951.", "The railway", "A short history of the Harrow Valley Railway") == [
        "When did the Harrow Valley Railway close completely?"]
    assert asked("Jane Okafor began the survey in 2019.", "Jane Okafor") == ["When did Jane Okafor begin the survey?"]
    assert asked("Jane Okafor developed the survey in 2019.", "Jane Okafor") == []  # develop or develope: in doubt, not asked
    assert asked("If the input file is 100 MiB, xz -6 can use five threads.", None) == []


def test_code_writes_no_question_where_a_verb_a_title_or_a_date_would_be_guessed():
    """Cases an independent review found: each would have been an ungrammatical or off-target question."""
    from generation.text.questions import written_questions

    def asked(sentence, subject, title=""):
        return [w.question for w in written_questions(sentence, subject, title, sentence)]

    assert asked("The Beatles appeared on television in 1964.", "The Beatles") == []  # appear or appeare?
    assert asked("The government cancelled the project in 2011.", "The government", "Government") == []
    assert asked("The museum always opens at 9:30.", "The museum", "Millbrook museum") == []  # "always" is no verb
    assert asked("The bridge was built in 1890.", "The bridge", "How To Inspect Your Bridge") == ["When was the bridge built?"]
    assert asked("The road will be closed from March and reopened in June 2025.", "The road", "Millbrook road") == []
