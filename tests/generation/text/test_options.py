"""A manual's option list becomes facts whose questions code writes (generation/text/options.py)."""

from generation.text.facts import select_facts
from generation.text.options import command_of, options

# As `man -P cat` renders a page: tags on their own line, the description indented below them; a short tag with
# its description on the same line; a description the page breaks with a hyphen (U+2010) and quotes in it.
FUSER = """FUSER(1)                      User Commands                     FUSER(1)

NAME
       fuser - identify processes using files or sockets

OPTIONS
       -a, --all
              Show all files specified on the command line.  By default, only
              files that are accessed by at least one process are shown.

       -c     Same as -m option, used for POSIX compatibility.

       -k, --kill
              Kill processes accessing the file.  Unless changed with -SIGNAL,
              SIGKILL is sent.  Patterns such as "C:\\Temp\\*" are taken as they are written.

       -l, --list-signals
              List all known signal names.

       -n SPACE, --namespace=SPACE
              Select a different name space.  The name spaces file (file names,
              the default), udp (local UDP ports), and tcp (local TCP ports) are
              supported.

       -v, --verbose
              Verbose mode.  Processes are shown in a ps-like style; this de‐
              scription is cut by the end of the chunk"""

GIT_ARCHIVE = """--format=<fmt>::
 Format of the resulting archive. Possible values are `tar` and `zip`.

-l::
--list::
 Show all available formats.

--exec=<git-upload-archive>::
 Used with --remote to specify the path to the 'git-upload-archive' on the remote side.

Other text follows here.
"""


def test_each_option_is_asked_by_its_tags_and_answered_by_its_description():
    found = {o.tags: o.description for o in options(FUSER)}
    assert found[("-a", "--all")] == "Show all files specified on the command line. By default, only files that are accessed by at least one process are shown."
    assert found[("-c",)] == "Same as -m option, used for POSIX compatibility."
    assert found[("-n", "--namespace")].startswith("Select a different name space.")
    assert 'Patterns such as "C:\\Temp\\*" are taken as they are written.' in found[("-k", "--kill")]
    assert ("-v", "--verbose") not in found  # it runs to the chunk's end: its rest may be in the next chunk
    asciidoc = {o.tags: o.description for o in options(GIT_ARCHIVE)}
    assert asciidoc[("-l", "--list")] == "Show all available formats."
    assert ("--exec",) in asciidoc  # not "-upload-archive", which is its argument


def test_the_command_comes_from_the_title_or_the_name_section_and_without_one_nothing_is_asked():
    assert command_of("fuser", "") == "fuser" and command_of("a document", FUSER) == "fuser"
    assert command_of("Caching", "-a, --all\n      Show all files here and there.\n") is None
    questions = [f.question for f in select_facts(FUSER, "fuser") if f.kind == "option"]
    assert "What does the --all (-a) option of fuser do?" in questions and "What does the -c option of fuser do?" in questions
    assert "What does the --namespace (-n) option of fuser do?" in questions
    assert not [f for f in select_facts(FUSER.split("\n", 4)[-1].replace("fuser", "it"), "Options") if f.kind == "option"]


def test_an_option_fact_is_quoted_as_the_page_writes_it_and_its_sentences_are_not_asked_again():
    facts = select_facts(FUSER, "fuser")
    flat = " ".join(FUSER.split())
    for fact in facts:
        if fact.kind == "option":
            assert fact.sentence in flat and fact.said == fact.sentence
    # "Kill processes accessing the file." is the -k option's answer, not a sentence a teacher is asked about
    assert not [f for f in facts if f.kind != "option" and "Kill processes" in f.sentence]


def test_a_run_publishes_the_option_pairs_of_a_man_page_with_no_teacher_call(tmp_path):
    """The embedded teacher is not needed for them: every option pair is written by code and grounded."""
    import json

    from generation.config import load_corpus
    from generation.pipeline.run import Run
    from generation.teachers.fake import FakeTeacher

    (tmp_path / "fuser.1.txt").write_text(FUSER + "\n\n       -w     Kill only processes which have write access.\n\nSEE ALSO\n       kill(1)\n")
    (tmp_path / "corpus.toml").write_text('[generation]\nstrategy = "fact_first"\n')
    outcome = Run(load_corpus(tmp_path), teacher=FakeTeacher(default=lambda m: "What does it do?")).run()
    pairs = [json.loads(line) for line in (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()]
    asked = {p["question"]: p["answer"] for p in pairs}
    assert outcome.exit_code == 0
    assert asked["What does the --kill (-k) option of fuser do?"].startswith("Kill processes accessing the file. Unless changed with -SIGNAL, SIGKILL is sent.")
    assert asked["What does the --list-signals (-l) option of fuser do?"] == "List all known signal names."
    assert asked["What does the -w option of fuser do?"] == "Kill only processes which have write access."


def test_the_entries_of_a_man_page_that_documents_no_command_are_no_options():
    # term(7) lists the suffixes of terminal names ("vt100-am"): "the -am option of term" would be wrong.
    chunk = (
        "NAME\n       term - conventions for naming terminal types\n\n"
        "       -am    Enable auto-margin (right-margin wraparound).\n"
        "       -m     Mono mode - suppress color support.\n"
        "       -rv    Terminal in reverse video mode (black on white).\n"
    )
    assert options(chunk) and command_of("term(7)", chunk) is None
    assert command_of("manpath(5)", "") is None and command_of("fuser", "") == "fuser"
    from generation.text.facts import select_facts

    assert not [f for f in select_facts(chunk, "term(7)", None) if "option" in f.question]
