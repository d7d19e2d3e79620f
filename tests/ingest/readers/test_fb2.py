"""The FB2 reader (ingest/readers/fb2.py)."""

from ingest.readers import detect_kind
from tests.ingest.readers.support import failure, read

BOOK = """<?xml version="1.0" encoding="utf-8"?>
<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">
<description><title-info><author><first-name>Morwenna</first-name><last-name>Tregear</last-name></author>
<book-title>The Carrow Ferry</book-title><date value="2024-03-18">2024</date></title-info></description>
<body><title><p>The Carrow Ferry</p></title>
<section><title><p>Timetable</p></title><p>The ferry leaves the north quay at 12:15.<a l:href="#n1" type="note">[1]</a></p>
<section><title><p>Fares</p></title><table><tr><th>Ticket</th><th>Price</th></tr><tr><td>Adult</td><td>12 pounds</td></tr></table></section>
<poem><stanza><v>Over the bar the tide runs fast,</v><v>the last boat home is the last.</v></stanza></poem></section></body>
<body name="notes"><section id="n1"><title><p>1</p></title><p>Except in a westerly gale.</p></section></body>
</FictionBook>"""


def test_fb2_sections_tables_poems_and_notes():
    doc = read("ferry.fb2", BOOK.encode())
    assert doc.title == "The Carrow Ferry" and doc.author == "Morwenna Tregear" and doc.date == "2024-03-18"
    lines = doc.text.split("\n")
    assert lines[0] == "# The Carrow Ferry" and "## Timetable" in lines and "### Fares" in lines
    assert "| Ticket | Price |\n| --- | --- |\n| Adult | 12 pounds |" in doc.text
    assert "Over the bar the tide runs fast,\nthe last boat home is the last." in doc.text
    assert doc.text.endswith("Notes\n\n[1] Except in a westerly gale.")
    where = doc.text.index("12 pounds")
    assert doc.sections_for(where, where + 9) == ["The Carrow Ferry > Timetable > Fares"]


def test_fb2_is_typed_by_content_and_an_entity_bomb_is_a_reason():
    assert detect_kind("book.xml", BOOK.encode()) == "fb2"
    bomb = BOOK.replace('<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
                        + "".join(f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">' for i in range(8)) + "]>")
    bomb = bomb.replace("12:15.", "12:15. &a7;")
    error = failure("bomb.fb2", bomb.encode())  # a billion laughs: libxml2 refuses to amplify it
    assert error.kind == "corrupt" and "amplification" in error.message
    assert failure("broken.fb2", b"<FictionBook><body><p>unclosed").kind == "corrupt"
