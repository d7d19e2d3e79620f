"""The plain-text and Markdown readers (ingest/readers/text.py)."""

import codecs

import pytest

from ingest.records import sha256_hex
from tests.ingest.readers.support import failure, read


# --- plain text and Markdown ------------------------------------------------------------------

TEXT = "Café “Zur Post” – open at 7 €\r\nsecond line\r\n\r\n\r\n\r\nnext paragraph\n"
EXPECTED = "Café “Zur Post” – open at 7 €\nsecond line\n\nnext paragraph"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with a byte-order mark
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),  # no byte-order mark
        TEXT.encode("utf-16-be"),
        TEXT.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-be-bom", "utf-16-le-no-bom", "utf-16-be-no-bom", "cp1252"],
)
def test_text_encodings_give_the_same_document(data):
    doc = read("notes.txt", data)
    assert doc.text == EXPECTED
    assert doc.text_sha256 == sha256_hex(EXPECTED)  # re-saving in another encoding changes nothing


def test_text_that_is_not_cp1252_falls_back_to_latin1():
    assert read("old.txt", b"caf\xe9 \x81 na\xefve").text == "café naïve"  # 0x81: no cp1252 character; a C1 control


def test_broken_utf16_is_an_encoding_error():
    error = failure("broken.txt", codecs.BOM_UTF16_LE + "text".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    assert error.kind == "encoding" and "UTF-16" in error.message


def test_text_failures():
    assert failure("blank.txt", b" \n\t\r\n ").kind == "empty"
    assert failure("nothing.txt", b"", kind="text").kind == "empty"
    assert failure("data.txt", b"\x00\x01\x02\x03binary" * 50, kind="text").kind == "binary"


def test_markdown_keeps_its_markup_and_takes_the_first_heading_as_title():
    md = "Intro\n\n```sh\n# install it\npip install x\n```\n\n## Not the title\n\n# The  Real Title #\n\n- one\n- two\n"
    doc = read("guide.md", md.encode())
    assert doc.title == "The Real Title"
    assert "- one\n- two" in doc.text and "## Not the title" in doc.text
    assert read("plain.txt", md.encode()).title == "Intro"  # plain text has no markup: a short first line is its title


def test_a_title_is_never_a_file_name_of_codes_nor_a_sentence():
    # A title is what questions name a document's subject by: "IMG_0413" or a first sentence never is one.
    assert read("IMG_0413.txt", b"The pump was serviced in May. It runs again.\n").title is None
    assert read("scans/2023-annual-report-final.txt", b"The pump was serviced in May.\n").title == "Annual report"
    assert read("notes.txt", "Réseau de chaleur — guide d'exploitation\n\nLe réseau dessert 40 bâtiments.\n".encode()).title == "Réseau de chaleur — guide d'exploitation"
    assert read("Untitled.txt", b"Microsoft Word - report.docx\n\nThe report is short.\n").title is None


def test_a_rendered_man_page_is_titled_by_its_command():
    # "FUSER(1)   User Commands   FUSER(1)" is a header, not a subject: questions say "the -k option of fuser".
    page = "FUSER(1)                      User Commands                     FUSER(1)\n\nNAME\n       fuser - identify processes using files or sockets\n"
    assert read("fuser.1.txt", page.encode()).title == "fuser"
    assert read("git-archive.txt", b"git-archive(1)\n==============\n\nNAME\n----\ngit-archive - Create an archive\n").title == "git-archive"
    # A page of conventions or of a file format documents no command: its section stays in its title.
    term = "TERM(7)                Miscellaneous Information Manual               TERM(7)\n\nNAME\n       term - conventions for naming terminal types\n"
    assert read("term.7.txt", term.encode()).title == "term(7)"


def test_a_man_pages_typeset_line_end_hyphens_are_joined_and_an_authors_hyphens_kept():
    # `man -P cat` breaks words with U+2010 at a line end: "pro‐\n cesses" is the word "processes" in an answer
    page = (
        "FUSER(1)                      User Commands                     FUSER(1)\n\n"
        "       -c, --count\n              Suppress normal output; instead print a count of matching pro\u2010\n"
        "              cesses.  The well-known name\u2010\n              spaces of a well\u2010\n              known kind.\n"
        "       Use --\n       verbose for more.\n"
    )
    text = read("pgrep.1.txt", page.encode()).text
    assert "matching processes." in text and "name spaces" not in text and "namespaces" in text
    assert "well\u2010known kind" in text  # the document writes "well-known" on one line: a compound, its hyphen kept
    assert "Use --\n" in text  # an ASCII hyphen at a line end is the author's


def test_a_markdown_files_front_matter_gives_its_title_and_is_no_text():
    # A static site's post: "layout: post" is no title, and the metadata is no prose to ask about.
    post = (
        '---\nlayout: post\ntitle: "A Native Go Library for Apache Arrow"\ndate: "2018-03-22 00:00:00 -0400"\n'
        "author: pmc\n---\n\nSince launching in early 2016, Apache Arrow has been growing fast.\n"
    )
    found = read("2018-03-22-go-library.md", post.encode())
    assert found.title == "A Native Go Library for Apache Arrow"
    assert found.text.startswith("Since launching") and "layout" not in found.text and "2018-03-22" not in found.text
    hugo = "+++\ntitle = 'NOAA&#8217;s Release Mako App'\n+++\n# Mako\n\nThe app was released in 2013.\n"
    assert read("mako.md", hugo.encode()).title == "NOAA’s Release Mako App"
    # a thematic break later in the text is no front matter
    assert read("notes.md", b"# Notes\n\nText.\n\n---\n\nMore text.\n").title == "Notes"


def test_a_markdown_file_that_opens_with_a_rule_has_no_front_matter():
    text = read("tool.md", b"---\n\nIntro paragraph about the tool.\n\n---\n\n# Usage\n\nRun it.\n").text
    assert "Intro paragraph about the tool." in text
    assert read("post.md", b'---\ntitle: ""\nlayout: post\n---\n\nThe post.\n').title != '""'
