"""Questions that code writes for sentences of a known shape, with no teacher: a definition ("Docker is an
open platform ..." -> "What is Docker?", "A topological order is ..." -> "What is a topological order?"),
a purpose ("X is used to ..." -> "What is X used for?"), a procedure ("To remove a package, run ..." -> "How
do you remove a package?", "You can stop it by ..."), a condition that names something ("If --format is
not given, ..." -> "What happens if --format is not given?"), what a command does ("atd deals with ..."
-> "What does atd deal with?"), and the dates, agents and
counts of plain sentences ("The church was built in 1475." -> "When was the church built?"; "... was
created by Ian Murdock" -> "Who created ...?"; "Debian includes 59100 packages" -> "How many packages does
Debian include?").

Precision first: a shape is taken only when the sentence's subject is a short noun phrase that names
something (a capitalised word, a term in code, or the document's subject), and the question is built from
the sentence's own words, so it cannot name what the sentence does not say. Everything else is left to
the teacher (fact-first) or asked of nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import (
    BASE_OF_PAST, COUNT_VERB_BASE, COUNT_VERB_DO, COUNT_WORDS, NOT_TERMS, PAST_ENDINGS, PAST_OF_PARTICIPLE, PROCEDURE_VERBS, STOPWORDS,
)

SUBJECT_MAX_WORDS = 7
# Content words a procedure's goal needs when it names nothing (see _placed).
MIN_GOAL_WORDS = 2
_NAMEISH = re.compile(r"[A-Z]|`|\d|[+#_/]|\w\.\w")
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_DATE = (
    r"(?:(?:[1-9]|[12]\d|3[01])\s(?:January|February|March|April|May|June|July|August|September|October|November|December),?\s(?:1[5-9]\d\d|20\d\d)"
    r"|(?:January|February|March|April|May|June|July|August|September|October|November|December)(?:\s(?:[1-9]|[12]\d|3[01]),?)?\s(?:1[5-9]\d\d|20\d\d)"
    r"|(?:1[5-9]\d\d|20\d\d))"
)
_NAME = r"[A-Z][\w’'.-]*[a-z][\w’'-]*(?:\s(?:(?:of|de|la|le|van|von|du|da)\s)?[A-Z][\w’'.-]*)*"
_DEFINITION = re.compile(r"(?P<be>is|are) (?P<article>an?|the) (?P<predicate>[^;]+?)\.$")
# "X is a trademark of Y", "X is a separate entity from Y", "X is one of the ...", "X is a bit slower, but ...":
# "X is the most widely deployed ...", "X is the primary format for ...": true sentences, but what they say is not
# what X is (read on the real documents of bench/realdocs).
_NOT_DEFINING = re.compile(
    r"^(?:(?:\w+ )?(?:number|part|result|member|copy|subset|example|variant|version|function|kind|lot|bit|couple|pair|one|few|half) of\b"
    r"|same\b|(?:\w+ )?(?:separate|different|distinct|similar|related|independent|good|bad|great)\b"
    r"|(?:registered )?trade ?mark\b|(?:most|least|primary|main|only|preferred|recommended|default|official|largest|smallest|best|first|second|third|last)\b)|\btrade ?marks?\b|,\s*(?:however|but|though)\b|\b(?:however|but|although|whereas)\b"
)
_PURPOSE = re.compile(r"(?P<be>is|are) used (?:to|for) (?P<what>[^;]+?)\.$")
_PASSIVE_DATE = re.compile(rf"(?P<be>was|were) (?:first |originally |later |[a-z]{{3,}}ly )?(?P<verb>[a-z]+)\b[^.;]{{0,50}}?\b(?:in|on) (?P<date>{_DATE})\b")
# "The viaduct will be inspected again in 2027.": a date in the future, asked "When will the viaduct be inspected again?".
_FUTURE_DATE = re.compile(
    rf"will be (?P<again>again )?(?P<verb>[a-z]+)(?P<again2> again)?\b(?:(?!\b(?:and|but|or|until|once|then)\b)[^.;]){{0,40}}?\b(?:in|on) (?P<date>{_DATE})\b"
)  # not past "and": "will be closed from March and reopened in June 2025" asks nothing of the closing
# "A return ticket ... costs 24 pounds for adults ...": what a thing costs, for whom when the sentence says.
_MONEY = rf"(?:[$£€]\s?{_NUMBER}(?: (?:million|billion))?|{_NUMBER}(?: (?:million|billion))? (?:pounds|dollars|euros|francs|crowns|yen))"
_COSTS = re.compile(rf"costs (?:about |around |roughly |nearly |over |up to )?(?P<money>{_MONEY})(?P<whom> for [a-z][a-z -]{{1,30}}?)?(?=,|;|\.| and\b| per\b)")
# "The first train leaves Millbrook at 10:15": when it happens, asked "When does the first train leave Millbrook?".
_AT_TIME = re.compile(r"(?P<verb>[a-z]+s) (?P<what>(?:[\w’'-]+ ){0,5}?)at (?P<time>(?:[01]?\d|2[0-3])[:.][0-5]\d(?:\s?[ap]\.?m\.?)?)(?!\d)")
# "In 2011 Visionbox created the first NORAD Tracks Santa apps in 2011", "The railway closed in 1951": what a named
# subject did, and when, asked "When did Visionbox create the first NORAD Tracks Santa apps?". The words between the
# verb and the date are the question's object: no comma, no clause of their own.
_ACTIVE_DATE = re.compile(rf"(?P<verb>[a-z]+) (?P<what>(?:(?!and |but |or |which |who |that )[\w’'.-]+ ){{0,8}}?)(?:in|on) (?P<date>{_DATE})\b")
_PASSIVE_AGENT = re.compile(rf"(?P<be>was|were) (?:first |originally |jointly )?(?P<verb>[a-z]+) by (?P<agent>{_NAME})")
_COUNTED = (
    rf"(?P<verb>has|have|had|includes|include|included|contains|contain|contained|comprises|comprised) "
    rf"(?:about |around |over |more than |nearly |some |almost |approximately )?(?P<number>{_NUMBER}|{'|'.join(COUNT_WORDS[1:])}) "
    r"(?!(?:hundred|thousand|million|billion|dozen|percent)\b)(?P<noun>(?:[a-z][a-z-]+ )?[a-z][a-z-]+s)\b(?! of\b)"
)
_COUNT = re.compile(_COUNTED)
# "The Cwm Llys viaduct was built in 1886 of local granite, and it has nine arches": the count of the
# sentence's subject in a clause of its own.
_AND_ITS_COUNT = re.compile(rf"[^;]*?, and (?:it|they) {_COUNTED}")
# One word that names a thing of its own: "cron", "atd", "git-clean"; what it is, or what it does with a
# verb of what software does ("at executes a command at a specified moment" -> "What does at do?").
_TERM = re.compile(r"[a-z][\w.-]{1,30}")
_DOES = re.compile(
    r"(?P<verb>execute|run|create|remove|delete|show|print|display|list|return|sort|store|send|read|write|manage|handle"
    r"|provide|convert|check|deal|schedule|start|stop|compute|generate|produce|update)s?(?P<particle> with)?\b(?!\s+(?:it|them|this)\b)[^;]{8,}\.$"
)
_CAN_PURPOSE = re.compile(r"can be used (?:to|for) (?P<what>[^;]+?)\.$")
# "A topological order", "An UPSERT clause": a common noun with its article, what a definition defines; not
# "An inscription on a stone" (one thing, with its place) nor "A second effort" (one of several, in context).
_INDEFINITE = re.compile(r"An? (?!(?:second|third|first|last|next|further|other|new|few|similar|related)\b)(?:[\w-]+ ){0,2}[\w-]+")
# "If any cycle is detected, CycleError will be raised.": a condition with a subject and a verb, and a
# consequence that says what will happen (not an instruction: "If you want ..., you have to ...").
_IF_THEN = re.compile(
    r"^If (?P<condition>(?!you\b|there (?:is|are) (?:one|none)\b)(?:the |a |an |any |no |some |more than )?[\w.`'-]+(?: [\w.`'-]+){0,3} "
    r"(?:is|are|was|were|has|have|does|do|fails?|exists?|contains?|reaches|matches|returns?)\b[^,;:]{0,80}), "
    r"(?P<then>(?!you\b|then\b)[^;]*\b(?:will|is|are)\b[^;]*)\.$"
)
_YOU_CAN = re.compile(
    r"^You can (?:(?P<goal>[a-z][^,;:]{3,80}?) by [a-z]+ing\b.*|[a-z][^,;:]{3,80}? (?:in order )?to (?P<goal2>[a-z][^,;:]{3,80}))\.$"
)
# A condition or a goal that points at what the question cannot name ("if it fails", "to change them").
_POINTS_AWAY = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|he|she|him|her|above|below|following|one(?! or\b))\b", re.I)
# What a condition must name for its question to stand alone: "If DeclareExtensionSecurity is called with
# secure = TRUE" can be asked; "If there is a problem" and "If an extension is secure" cannot.
_NAMES_IN_CONDITION = re.compile(r"(?<=\s)(?![KMGTP]i?B\b|[kKMG]?Hz\b)[A-Z]|`|[_=/]|\w\.\w|(?<![\w-])--?\w")  # an option, not "non-zero"
# A value (with its unit) names nothing: "If the input file is 100 MiB" and "If nargs is 0" are about a file and a field the
# question cannot place (read on bench/realdocs2); a condition must name what it is about.
# A function's signature: a name that reads as code ("ffi_prep_cif", "os.path.join", "getLogger") and its
# parenthesised parameters, each a type and a name.
_SIGNATURE = re.compile(r"(?P<owner>\b[A-Za-z_][\w.:]*(?:_|\.|::|[a-z][A-Z])[\w.:]*)\s?\((?P<params>[^()]*[\w*&]\s+[*&]*\w+\s*(?:,[^()]*)?)\)")
# A sentence that defines a bare lower-case word: "rtype is a pointer to ...", and how many of those make
# the chunk a list of fields.
_FIELD_DEFINITION = re.compile(r"(?:^|(?<=[.!?:]\s)|(?<=\n))\s*([a-z][a-z0-9_]*) (?:is|are) (?:an?|the|not|used|only|ignored|either)\b")
MIN_FIELDS = 3
# What a parameter or a field is ("rvalue is a pointer to ...", "avalues is a vector of ..."): a bare lower-case word
# so defined is something's field, which its question must name (read on bench/realdocs2: "What is rvalue?").
_PARAMETERISH = re.compile(r"(?:pointer|vector|array|list|buffer|handle|integer|string|number|flag|value|struct|structure|callback|index|count|size)s?\b")
# What a named thing does, in a verb whose object is the point of the sentence (not "uses" nor "includes": "Microsoft
# uses SQLite as ...", asked "What does Microsoft use?", asks for little); the subject is a noun phrase of up to
# SUBJECT_MAX_WORDS words with no clause in it.
_CAPABILITY_VERBS = (
    "provides|provide|offers|offer|supports|support|allows|allow|enables|enable|implements|implement|determines|determine"
    "|indicates|indicate|represents|represent|describes|describe|defines|define|specifies|specify|requires|require"
    "|simulates|simulate|measures|measure|computes|compute|consists of|consist of|depends on|depend on|relies on|rely on"
    "|focuses on|focus on|aims to|aim to|is designed (?:to|for)|are designed (?:to|for)|is based on|are based on"
    "|is intended (?:to|for)|are intended (?:to|for)|is optimized for|are optimized for"
)
_CAPABILITY = re.compile(
    rf"^(?P<subject>[A-Z`*\"'][^,;:()\[\]<>]{{0,70}}?|[a-z][\w.+-]*[A-Z0-9_.+][\w.+-]*) (?P<verb>{_CAPABILITY_VERBS})\b (?P<object>[^;]{{8,}})\.$"
)
AUXILIARIES_AND_PRONOUNS = frozenset(
    "is are was were be been can could will would should may might must do does did has have had it its they their this these "
    "that those which who we our you your also then now often usually".split()
)
# An object that points back at what the text said before ("is designed to permit this", "requires the second form").
_BACK_IN_OBJECT = re.compile(r"\b(?:it|its|this|these|they|them|their|above|below)\b|\bthe (?:first|second|former|latter|same|previous|other)\b", re.I)
_OPENING_ACRONYM = re.compile(r"^([^()]{2,60}) \([A-Z][A-Za-z0-9-]{1,10}\)(?= )")
_ACRONYM_AFTER = re.compile(r"(?P<subject>[^()]{2,60}) \((?P<acronym>[A-Z][A-Za-z0-9-]{1,10})")
# A label that heads a sentence in a fact sheet ("Background: Pitcairn Island was discovered in 1767 ...").
_LABEL = re.compile(r"^[A-Z][a-z]+(?: [a-z]+)?: (?=[A-Z])")
_TERM_ENTRY = re.compile(r"^(?P<term>[\w.<>-]{2,60})::\s+(?:This|The) (?:variable|option|setting|flag|value)\s+(?P<rest>.+)$")
_PROCEDURE = re.compile(r"^To (?P<goal>[a-z][^,;:]{3,80}), (?P<then>.+)$")
_RUN_TO = re.compile(r"^(?:Run|Use|Type|Enter|Execute|Call|Pass|Add|Set) (?:the )?(?P<what>`[^`]{1,60}`|\S{1,60})(?: (?:command|option|flag|function|method))? to (?P<goal>[a-z][^.;:]{3,80})\.$")


@dataclass(frozen=True)
class Written:
    """A question code wrote for a sentence: what kind of thing it asks for, and the span of the sentence that
    answers it (None for a definition, a purpose or a procedure: the sentence is the answer)."""

    question: str
    kind: str
    span: str | None


def written_questions(sentence: str, subject: str | None, title: str = "", text: str = "") -> list[Written]:
    """Questions for `sentence` (its words as the answer states them), whose subject is `subject` (the words
    before its verb, None when unknown); `title` is the document's, whose words name its subject, and
    `text` the chunk around the sentence, which tells a name from a word capitalised to open a sentence."""
    if (m := _TERM_ENTRY.match(sentence)) is not None:  # "tar.umask:: This variable can be used to restrict ..."
        sentence, subject = f"{m['term']} {m['rest']}", m["term"]
    if (m := _LABEL.match(sentence)) is not None and subject is not None and subject.startswith(m[0]):
        sentence, subject = sentence[m.end() :], subject[m.end() :]  # "Background: Pitcairn Island was discovered in 1767 ..."
    sentence, subject = _acronym_dropped(sentence, subject)
    general = _general(sentence, subject, title, text)
    if (does := _what_it_does(sentence, title, text)) is not None:
        general.append(does)
    if subject is None or not _names_something(subject, title, text):
        procedure = _procedure(sentence, title)
        return general + ([procedure] if procedure else [])
    rest = sentence[sentence.find(subject) + len(subject) :].lstrip(" ,")
    asked = _in_question(_named_by_title(subject, title))
    found: list[Written] = []
    if (m := _PURPOSE.match(rest)) is not None:
        found.append(Written(f"What {m['be']} {asked} used for?", "purpose", None))
    elif (m := _CAN_PURPOSE.match(rest)) is not None:
        found.append(Written(f"What can {asked} be used for?", "purpose", None))
    elif (m := _DEFINITION.match(rest)) is not None and not _NOT_DEFINING.search(m["predicate"]):
        found.append(Written(f"What {m['be']} {asked}?", "definition", None))
    if (m := _PASSIVE_AGENT.match(rest)) is not None and _participle(m["verb"]):
        found.append(Written(f"Who {_past(m['verb'])} {asked}?", "person", m["agent"]))
    if (m := _PASSIVE_DATE.match(rest)) is not None and _participle(m["verb"]):
        found.append(Written(f"When {m['be']} {asked} {m['verb']}?", "date", m["date"]))
    if (m := _ACTIVE_DATE.match(rest)) is not None and (base := _base_of_past(m["verb"])) is not None:
        found.append(Written(f"When did {asked} {base} {m['what'].strip()}?".replace(" ?", "?"), "date", m["date"]))
    if (m := _FUTURE_DATE.match(rest)) is not None and _participle(m["verb"]):
        found.append(Written(f"When will {asked} be {m['verb']}{' again' if m['again'] or m['again2'] else ''}?", "date", m["date"]))
    if (m := _COSTS.match(rest)) is not None:
        found.append(Written(f"How much does {asked} cost{m['whom'] or ''}?", "money", m["money"]))
    if (m := _AT_TIME.match(rest)) is not None and (base := _base_of(m["verb"])) is not None:
        found.append(Written(f"When does {asked} {base} {m['what'].strip()}?".replace(" ?", "?"), "time", m["time"]))
    if (m := _COUNT.match(rest) or _AND_ITS_COUNT.match(rest)) is not None:
        found.append(Written(f"How many {m['noun']} {COUNT_VERB_DO[m['verb']]} {asked} {COUNT_VERB_BASE[m['verb']]}?", "count", m["number"]))
    procedure = _procedure(sentence, title)
    asked_already = {w.question for w in found}
    return [w for w in general if w.question not in asked_already] + found + ([procedure] if procedure else [])


def _acronym_dropped(sentence: str, subject: str | None) -> tuple[str, str | None]:
    """"The Event Horizon telescope (EHT) is an array of ...": the subject without the acronym it introduces, which
    subject_span cuts at "(EHT" (asked "What is the Event Horizon telescope?")."""
    if subject is not None and (m := _ACRONYM_AFTER.fullmatch(subject)) is not None and sentence.startswith(f"{subject})"):
        return sentence.replace(f" ({m['acronym']})", "", 1), m["subject"]
    return sentence, subject


def _what_it_does(sentence: str, title: str, text: str) -> Written | None:
    """What a named thing provides, allows, supports, defines, is designed for, is based on (sentence as the
    answer): "The arrow package provides an R interface to the Arrow C++ library, ..." -> "What does the arrow
    package provide?". The subject is matched here, not by subject_span, whose verbs these are not."""
    m = _CAPABILITY.match(_OPENING_ACRONYM.sub(r"\1", sentence, 1))
    if m is None or _BACK_IN_OBJECT.search(m["object"]) or not _names_something(m["subject"], title, text):
        return None
    words = m["subject"].split()
    if any(w.lower() in AUXILIARIES_AND_PRONOUNS for w in words) or m["subject"].count("`") % 2 or "'" in m["subject"]:
        return None  # "It also provides", "The tool can then generate", "The file `NEWS' describes": no plain noun phrase
    if words[0] not in ("The", "A", "An") and any(w[:1].islower() and w not in ("and", "of") for w in words[1:]):
        return None  # "SQLite thus allows", "OpenSSH contains support", "Difference between lz4 and gzip lz4 supports"
    if not m["verb"].split()[0].endswith("s") and not (" and " in m["subject"] or re.search(r"[^s]s\W*$", m["subject"])):
        return None  # "*IPv6 support - added ...": a base form after a singular subject is a noun, not the verb
    named = _named_by_title(m["subject"], title)
    if len(words) == 2 and words[0] in ("The", "A", "An") and named == m["subject"] and not _TERMISH.search(words[1]):
        return None  # "The functions provide ...": which functions, only the title says (read on bench/realdocs)
    asked = _in_question(named)
    verb = m["verb"]
    if verb.startswith(("is ", "are ")):
        be, participle, preposition = verb.split()
        goal = " do" if preposition == "to" else ""
        return Written(f"What {be} {asked} {participle} {preposition}{goal}?", "function", None)
    if verb.endswith(" to"):  # "aims to"
        do = "does" if verb.split()[0].endswith("s") else "do"
        return Written(f"What {do} {asked} {_base_of(verb.split()[0]) if do == 'does' else verb.split()[0]} to do?", "function", None)
    plural = not verb.split()[0].endswith("s") or verb.split()[0].endswith("ss")
    base = verb if plural else " ".join([_base_of(verb.split()[0]) or "", *verb.split()[1:]]).strip()
    if not base or base.startswith(" "):
        return None
    whom = re.match(r"(?P<who>you|users|developers|people|researchers|scientists|administrators) to [a-z]", m["object"])
    tail = f" {whom['who']} to do" if whom and base == "allow" else ""
    return Written(f"What {'do' if plural else 'does'} {asked} {base}{tail}?", "function", None)


def _general(sentence: str, subject: str | None, title: str = "", text: str = "") -> list[Written]:
    """Shapes whose subject need not be a name: "A topological order is a linear ordering ..." (what a
    common noun is), "If any cycle is detected, CycleError will be raised." (what happens if), "You can
    input patterns to exclude files ..." and "You can stop it by ..." (how you can)."""
    found: list[Written] = []
    term, _, rest = sentence.partition(" ")
    if _TERM.fullmatch(term) and term.lower() not in STOPWORDS and term.lower() not in NOT_TERMS:
        m = _DEFINITION.match(rest)
        owner = _parameter_of(term, text)
        where = f"In {owner}, what" if owner else "What"
        fieldlike = owner is None and term.lower() not in title.lower() and (_one_of_fields(term, text) or (m is not None and _PARAMETERISH.match(m["predicate"])))
        if owner == "" or fieldlike:
            pass  # a parameter of several functions of the chunk, or a field of a list: whose, the question could not say
        elif m is not None and m["be"] == "is" and not _NOT_DEFINING.search(m["predicate"]):
            found.append(Written(f"{where} is {term}?", "definition", None))  # "cron is the daemon responsible for ..."
        elif (m := _DOES.match(rest)) is not None and f" {m['verb'].capitalize()}" not in rest:  # not a reference card's row
            found.append(Written(f"{where} does {term} {m['verb']}{m['particle'] or ''}?", "function", None))
    if subject is not None and _INDEFINITE.fullmatch(subject):
        rest = sentence[len(subject) :].lstrip()
        m = _DEFINITION.match(rest)
        plain = not any(w.lower() in STOPWORDS for w in subject.split()[1:])
        if m is not None and m["be"] == "is" and m["article"] != "the" and plain and not _NOT_DEFINING.search(m["predicate"]):
            found.append(Written(f"What is {subject[0].lower()}{subject[1:]}?", "definition", None))
    if (m := _IF_THEN.match(sentence)) is not None and not _POINTS_AWAY.search(m["condition"]) and _NAMES_IN_CONDITION.search(m["condition"]):
        found.append(Written(f"What happens if {m['condition']}?", "condition", None))
    if (m := _YOU_CAN.match(sentence)) is not None:
        goal = m["goal"] or m["goal2"]
        if not _POINTS_AWAY.search(goal if m["goal"] else m.group(0)) and _placed(goal, title):
            found.append(Written(f"How can you {goal}?", "procedure", None))
    return found


def _parameter_of(term: str, text: str) -> str | None:
    """The function whose signature in `text` lists `term` as a parameter ("ffi_prep_cif (ffi_cif *cif, ...,
    ffi_type *rtype)" for "rtype"): a parameter is defined only inside its function, so its question names it.
    None where `term` is no parameter, "" where it is one of several functions'."""
    owners = {m["owner"] for m in _SIGNATURE.finditer(text) if re.search(rf"[\s*&]{re.escape(term)}\s*(?:\[\d*\]\s*)?[,)]", m["params"] + ")")}
    if not owners:
        return None
    return owners.pop() if len(owners) == 1 else ""


def _one_of_fields(term: str, text: str) -> bool:
    """`term` is one of several lower-case words the chunk defines one after another ("nargs is the number
    of arguments ...", "rtype is a pointer ...", "argtypes is a vector ..."): the parameters or fields of
    something the chunk names elsewhere, or not at all (an extractor may drop a signature's line)."""
    defined = {m[1] for m in _FIELD_DEFINITION.finditer(text)}
    return term in defined and len(defined) >= MIN_FIELDS


def _procedure(sentence: str, title: str = "") -> Written | None:
    """"How do you ...?" of "To X, run ..." and "Use X to ...", where the goal names something (a name, a
    term, a word of the title): "How do you avoid surprises?" asks about nothing a reader could place."""
    written = _procedure_shape(sentence)
    return written if written is not None and _placed(written.question[len("How do you ") : -1], title) else None


_POINTS_BACK_GOAL = re.compile(r"\bthe (?:default|same|above|previous|current|former|latter|other)\b", re.I)


def _placed(goal: str, title: str) -> bool:
    """A goal a reader can place without its document: it names something, or says enough ("remove a
    package", not "choose everything"), and not one that points back at what the text said before it ("change the
    default behavior", "use the same key")."""
    if _POINTS_BACK_GOAL.search(goal):
        return False
    content = {w.lower() for w in re.findall(r"\w+", goal)} - STOPWORDS - NOT_TERMS
    title_words = {w.lower() for w in re.findall(r"\w+", title)} - STOPWORDS
    return bool(_NAMES_IN_CONDITION.search(f" {goal}")) or bool(content & title_words) or len(content) >= MIN_GOAL_WORDS


def _procedure_shape(sentence: str) -> Written | None:
    if (m := _PROCEDURE.match(sentence)) is not None:
        then = m["then"].lstrip("`'\"")
        first, _, after = then.lower().partition(" ")
        if (first in PROCEDURE_VERBS and not after.startswith("of ")) or re.match(r"you (?:can|must|should|need to)\b", then):
            return Written(f"How do you {m['goal'].rstrip()}?", "procedure", None)
    if (m := _RUN_TO.match(sentence)) is not None:
        return Written(f"How do you {m['goal'].rstrip()}?", "procedure", None)
    return None


def _names_something(subject: str, title: str, text: str = "") -> bool:
    """A short noun phrase with a name or a term in it ("The RETURNING clause", "Debian", "`git clean`"), or
    the document's own subject; not a pronoun, not "The results", and not a word that is capitalised only
    because it opens the sentence ("First is the trunk ...", "Modeling reactive flows is ...")."""
    words = subject.split()
    if not words or len(words) > SUBJECT_MAX_WORDS or any(c in subject for c in ",;:()[]<>{}") or " or " in subject:
        return False  # a list, markup, or one of two things ("LABEL=<label> or UUID=<uuid>")
    if _VALUE_SUBJECT.match(subject) or _ABSTRACT_SUBJECT.match(subject):
        return False  # "The number 2048 is the size of the key": what the value is of, the context says
    if words[0].endswith("ing") and words[0][:1].isupper() and words[0].lower() not in {w.lower() for w in re.findall(r"\w+", title)}:
        return False  # an activity ("Generating a key for the DSA algorithm is a two-step process"), not a thing
    if words[0].lower() in STOPWORDS and words[0].lower() not in ("the", "a", "an"):
        return False  # "It", "This", "Each of ..."
    if any(w.lower() in _CLAUSE_WORDS for w in words[1:]):
        return False  # "Imagine that 100 years from now there (is a team ...)": a clause, not a noun phrase
    if any(_NAMEISH.search(w) for w in words[1:]) or (words[0].lower() not in ("the", "a", "an") and _is_name(words[0], title, text)):
        return True
    title_words = {w.lower() for w in re.findall(r"\w+", title)}
    content = [w.lower() for w in words if w.lower() not in STOPWORDS]
    return bool(content) and set(content) <= title_words


# "The use of manifest typing in SQLite is a deliberate design decision": what is said of a use, a goal or a
# result is a claim, and "What is the use of manifest typing?" asks for something else (bench/realdocs test half).
_ABSTRACT_SUBJECT = re.compile(r"(?:the|a|an) (?:use|purpose|goal|aim|idea|point|result|fact|reason|advantage|benefit|problem|way) of\b", re.I)
_VALUE_SUBJECT = re.compile(r"(?:the|this|that) (?:number|value|figure|string|word|name|letter)s? \S", re.I)
_CLAUSE_WORDS = frozenset("that there which who whom whose if when where while because although unless".split())
_TERMISH = re.compile(r"[A-Za-z][a-z]*[A-Z]|\d|[`_/+#]|\w\.\w")  # "SQLite", "X11R7.7", "GNU/Linux", "tar.umask"


def _is_name(word: str, title: str, text: str) -> bool:
    """A sentence's first word names something: it is a term by its form, or a word of the title, or the
    text writes it capitalised inside a sentence and never in lower case (what a truecaser asks)."""
    if _TERMISH.search(word):
        return True
    bare = word.strip("\"'“”‘’`")
    if not bare[:1].isupper():
        return False
    if bare.lower() in {w.lower() for w in re.findall(r"\w+", title)}:
        return True
    if re.search(rf"\b{re.escape(bare.lower())}\b", text):
        return False  # "first", "modeling": the text writes it as a word
    return re.search(rf"(?<=[a-z,;] ){re.escape(bare)}\b", text) is not None


# Words a Title Case heading capitalises that name nothing ("How To Inspect Your Bridge").
_TITLE_CASE_WORDS = ("The", "A", "An", "How", "Why", "What", "When", "Where", "Who", "To", "Your", "Our", "My", "Every", "Each", "All", "New", "On", "In", "Of", "For", "And", "With", "About")


def _named_by_title(subject: str, title: str) -> str:
    """"The viaduct", in a document titled "The Cwm Llys viaduct: inspection of 2024", is the Cwm Llys viaduct: a
    question that stands alone names it so ("When will the Cwm Llys viaduct be inspected again?"). Only a subject
    of one noun after "the", and only where the title opens with names right before that noun, or has them after "the"
    ("A short history of the Harrow Valley Railway"); not the words a Title Case heading capitalises."""
    m = re.fullmatch(r"[Tt]he ([a-z][a-z-]+)", subject)
    if m is None:
        return subject
    named = re.search(rf"(?:^|\b[Tt]he\s)((?:(?!(?:{'|'.join(_TITLE_CASE_WORDS)})\s)[A-Z][\w’'-]*\s+){{1,4}})((?i:{re.escape(m[1])}))\b", title)
    if named is None:
        return subject
    return f"{subject.split()[0]} {named[1]}{named[2]}"


def _in_question(subject: str) -> str:
    """The subject as it stands inside a question: "The church" -> "the church"."""
    first, _, rest = subject.partition(" ")
    if first in ("The", "A", "An"):
        return f"{first.lower()} {rest}"
    return subject


def _base_of_past(verb: str) -> str | None:
    """The base form of a past tense ("created" -> "create", "ran" -> "run"), or None where its ending leaves it in
    doubt ("developed": develop or develope?) or it is no past tense."""
    if verb in BASE_OF_PAST:
        return BASE_OF_PAST[verb]
    if not verb.endswith("ed") or len(verb) < 5:
        return None
    for ending, base in PAST_ENDINGS:
        if verb.endswith(ending):
            return None if base is None else verb[: -len(ending)] + base
    return None


_NOT_VERBS = frozenset("is has was does this its us as perhaps thus towards besides whereas unless less news series".split())


def _base_of(verb: str) -> str | None:
    """The base form of a present-tense verb in -s ("leaves" -> "leave", "carries" -> "carry", "passes" -> "pass"),
    or None for one that is not a verb of an event ("is", "has", "was", "this")."""
    if verb in _NOT_VERBS or len(verb) < 4 or verb.endswith(("ss", "us", "is", "ways", "times", "wards", "days")):
        return None  # "always opens", "sometimes leaves", "afterwards", "nowadays": an adverb before the verb
    if verb.endswith("uses") and verb[-5:-4] not in "aeiou":
        return verb[:-2]  # "focuses"
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]


def _participle(verb: str) -> bool:
    return verb.endswith("ed") or verb in PAST_OF_PARTICIPLE


def _past(participle: str) -> str:
    return PAST_OF_PARTICIPLE.get(participle, participle)
