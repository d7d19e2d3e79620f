"""The options a command's documentation describes, as facts whose question code writes: "What does the
--all (-a) option of fuser do?", answered by the option's description as the page writes it.

Manuals and references are most of a technical knowledge base, and most of a manual is its option list:
lines that are not sentences, so fact selection (generation/text/facts.py) finds nothing there, and a small
teacher shown one asks about nothing ("How do you change the default behavior?"). The list's shape says
what each entry is about, so code can ask for it:

    -a, --all                      (a rendered man page: the tags on a line, the description indented below)
           Show all files specified on the command line.
    -c Same as -m option, used for POSIX compatibility.     (a short tag: the description on its line)
    --format=<fmt>::               (AsciiDoc: tags ending "::", one a line)
     Format of the resulting archive.
    * `--dry-run`: Show what would be done.                  (a Markdown list)

The command is the document's title when that is one word written as a command ("fuser", "git-archive"),
else the one a man page's NAME section names in the chunk; with neither, an option is not asked about: "What
does the -c option do?" names nothing a reader could place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sentences import sentences

# One tag: "-a", "--all", "-n SPACE", "--signal=SIG", "-o <file>", "--prefix=<prefix>/", "-SIGNAL", in backquotes or not.
_TAG = r"`{0,2}--?[A-Za-z0-9][\w.-]*(?:(?:=|\s)(?:<[^<>\s]+>/?|[A-Z][A-Z_]+\b|\[[^\]\s]+\])|=[\w.<>/-]+|\[=?[^\]\s]+\])?`{0,2}"
_TAGS = re.compile(rf"(?P<tags>{_TAG}(?:(?:,\s*|\s*\|\s*|\s+)(?!--?\s){_TAG})*)")
_TAG_LINE = re.compile(rf"^(?P<indent>[ \t]*)(?:[*+-]\s+)?{_TAGS.pattern}\s*(?:::)?\s*$")
_SAME_LINE = re.compile(rf"^(?P<indent>[ \t]*)(?:[*+-]\s+)?{_TAGS.pattern}(?:\s*(?:::|:|—|–|\s-)\s*|\s+)(?P<desc>[A-Z][a-z][^\n]*)$")
_ONE_TAG = re.compile(r"(?<![\w<=-])--?[A-Za-z0-9][\w.-]*")  # not inside an argument ("--exec=<git-upload-archive>")
# A man page's first line ("FUSER(1)  User Commands  FUSER(1)") and NAME section ("fuser - identify ...").
_MAN_NAME = re.compile(r"(?m)^NAME\s*\n(?:-+\s*\n)?[ \t]*(?P<name>[A-Za-z_][\w.+-]*)(?:,\s*[\w.+-]+)*\s+[-—–\\]+\s")
_COMMAND = re.compile(r"[a-z][a-z0-9_.+]*(?:-[a-z0-9_.+]+)*")
# The title the readers give a man page of a section that documents no command (ingest.readers.base).
_NOT_A_COMMAND = re.compile(r"[\w.+-]+\((?:[02-57]|9)\w*\)")
MAX_DESCRIPTION_CHARS = 320  # facts.MAX_FACT_CHARS: the description is the published answer
MIN_DESCRIPTION_WORDS = 3  # "Report progress to stderr." is an answer; "Silently ignored" is not


@dataclass(frozen=True, slots=True)
class Option:
    """One entry of an option list: its tags and its description's exact range in the chunk."""

    tags: tuple[str, ...]  # "-a", "--all"
    start: int
    end: int
    description: str  # whitespace folded

    def question(self, command: str) -> str:
        long = [t for t in self.tags if t.startswith("--")]
        short = [t for t in self.tags if not t.startswith("--")]
        named = f"{long[0]} ({short[0]})" if long and short else (long or short)[0]
        return f"What does the {named} option of {command} do?"


def command_of(title: str, text: str) -> str | None:
    """The command a chunk documents: its title when that is one command-like word, else the name its man
    page's NAME section gives; none for a man page of a section that documents no command."""
    if _NOT_A_COMMAND.fullmatch(title.strip()):
        return None  # "term(7)", "manpath(5)": a man page of conventions or a file format, whose entries are no options
    name = title.strip().split("(", 1)[0].strip()
    if _COMMAND.fullmatch(name):
        return name
    m = _MAN_NAME.search(text)
    return m["name"] if m and _COMMAND.fullmatch(m["name"]) else None


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def options(text: str) -> list[Option]:
    """The option entries of `text` whose description is at least one sentence of MIN_DESCRIPTION_WORDS words."""
    found: list[Option] = []
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    i = 0
    while i < len(lines):
        line = lines[i]
        tags: list[str] = []
        if (m := _SAME_LINE.match(line)) is not None and not _TAG_LINE.match(line):
            tags = _ONE_TAG.findall(m["tags"])
            start, end, indent = offsets[i] + m.start("desc"), offsets[i] + len(line), _indent(line)
            j = i + 1
        elif (m := _TAG_LINE.match(line)) is not None:
            indent, j = _indent(line), i + 1
            tags = _ONE_TAG.findall(m["tags"])
            while j < len(lines) and (more := _TAG_LINE.match(lines[j])) is not None and _indent(lines[j]) == indent:
                tags += _ONE_TAG.findall(more["tags"])  # AsciiDoc: "-l::" then "--list::"
                j += 1
            if j >= len(lines) or not lines[j].strip() or (_indent(lines[j]) <= indent and not line.rstrip().endswith("::")):
                i = j
                continue
            start, end = offsets[j] + _indent(lines[j]), offsets[j] + len(lines[j])
            j += 1
        else:
            i += 1
            continue
        while j < len(lines) and lines[j].strip() and _indent(lines[j]) > indent and not _TAG_LINE.match(lines[j]) and not _SAME_LINE.match(lines[j]):
            end = offsets[j] + len(lines[j])
            j += 1
        description = _sentences_within(" ".join(text[start:end].split()))
        cut = not text[end:].strip()  # runs to the chunk's end: the rest of it may be in the next chunk
        if description and len(description.split()) >= MIN_DESCRIPTION_WORDS and tags and not cut:
            found.append(Option(tuple(dict.fromkeys(tags)), start, end, description))
        i = j
    return found


def _sentences_within(description: str) -> str:
    """The description's first sentences that fit MAX_DESCRIPTION_CHARS, as the page writes them ("" when its
    first does not fit, or when it introduces a list below it)."""
    kept = ""
    for part in (description[start:end] for start, end in sentences(description)):
        if len(kept) + len(part) + 1 > MAX_DESCRIPTION_CHARS:
            break
        kept = f"{kept} {part}".strip()
    if not kept or kept.endswith(":"):
        return ""  # a description that introduces a list or a table below it: not an answer on its own
    return kept
