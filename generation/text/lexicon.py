"""Every word list and number word of the text layer and the checks: data only, no logic.

Grounding checks, fact selection and the tokenizer take their words from here, as trafilatura keeps all
its XPaths in one file: a list is changed in one place, and a reader sees in one place what the code
treats as a stopword, a unit, a question word or a pronoun. The patterns that are the mechanics of a
module (what a token is, where a sentence ends) stay in that module; the words they are built from are
here.

Each list says what reads it. Lists of English words: groundqa's checks and fact-first questions are
English (facts.is_english keeps other languages out of fact-first).
"""

from __future__ import annotations

# -- numbers ----------------------------------------------------------------------------------------

# Cardinal number words in counting order (the order matters to regular expressions built from them:
# "seven" is tried before "seventeen", and the lookahead after it backtracks).
CARDINALS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
TENS = frozenset(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))
# Words the tokenizer reads as numbers: "nine" is 9. Not "one", which is as often a pronoun ("the one
# that ...", "no one") as a count.
NUMBER_WORDS = {word: str(value) for word, value in CARDINALS.items() if word != "one"} | {"dozen": "12"}
# Words fact selection takes as a count before a noun ("nine stone arches"): every cardinal but zero,
# and "hundred", "dozen".
COUNT_WORDS = tuple(word for word in CARDINALS if word != "zero") + ("hundred", "dozen")
# "two hundred" = 200, "3.9 million" = 3900000 (and, as its parts, "3.9" and "million"), "one and a half"
# = 1.5, "1½" = 1.5, "four pairs" = 8: a teacher writes numbers as the text does not.
SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "pairs": 2, "dozen": 12}
QUANTITY_WORDS = frozenset({*SCALES, "half"})
SCALE_WORDS = ("thousand", "million", "billion", "trillion")  # fact selection: "4.5 million"
FRACTIONS = {"½": ".5", "¼": ".25", "¾": ".75"}
CURRENCY_NAMES = ("pounds", "pence", "dollars", "cents", "euros", "yen", "francs")

# -- words of the pair checks -------------------------------------------------------------------------

# Question words that are not a "novel term" when the chunk lacks them: they frame the question
# ("How long ...", "What is the name of ...", "When did ... happen?").
QUESTION_FRAME = frozenset(
    """name names named called call kind type sort number numbers percentage percent time times date
    year years day days week weeks month months decade decades century centuries cost costs long far old big large small tall deep high wide often many much
    happen happened mean means meaning purpose role reason located location place take takes took
    describe explain list give state happen lie lies situated stand stands total get go""".split()
)

# Units: a question that measures in units the chunk never uses ("How many feet ..." about a text
# in metres) asks something the chunk cannot answer.
UNITS = frozenset(
    """metre metres meter meters kilometre kilometres kilometer kilometers km centimetre centimetres
    millimetre millimetres mile miles foot feet inch inches yard yards acre acres hectare hectares
    gram grams kilogram kilograms kg tonne tonnes ton tons pound pounds ounce ounces litre litres liter
    liters gallon gallons dollar dollars euro euros pence cents yen second seconds minute minutes hour
    hours degree degrees volt volts watt watts
    byte bytes kilobyte kilobytes megabyte megabytes gigabyte gigabytes""".split()
)

# Unit names and their symbols are one word: "14 kilometres" states what "14 km" does.
UNIT_SYMBOLS = {
    name: symbol
    for symbol, names in {
        "km": "kilometre kilometres kilometer kilometers", "mm": "millimetre millimetres millimeter millimeters",
        "cm": "centimetre centimetres centimeter centimeters", "m": "metre metres meter meters",
        "mi": "mile miles", "ft": "foot feet", "kg": "kilogram kilograms", "g": "gram grams",
        "mb": "megabyte megabytes", "gb": "gigabyte gigabytes", "kb": "kilobyte kilobytes",
    }.items()
    for name in names.split()
}

STOPWORDS = frozenset(
    """a about above after again against all also although am among an and another any are around as at
    be because been before being below between both but by can could did do does doing done down during
    each either else even ever every few for from further had has have having he her here hers herself
    him himself his how however i if in into is it its itself just least less many may me might more
    most much must my myself neither no nor not now of off on once one only onto or other our ours
    ourselves out over own per same shall she should since so some still such than that the their
    theirs them themselves then there these they this those though through thus to too toward towards
    under until up upon us very via was we were what whatever when where whereas whether which while
    who whom whose why will with within without would yes yet you your yours yourself
    mr mrs ms dr
    respectively approximately roughly nearly almost typically usually generally instead therefore thus hence
    allowed permitted possible able ones""".split()
)

# Common words that open an answer with a capital letter without being names.
SENTENCE_STARTERS = frozenset(
    """according actually almost approximately around based certainly currently due eventually exactly
    finally first firstly following generally initially later likely mainly mostly nearly none
    originally overall partly perhaps possibly primarily probably roughly second secondly several
    since today total typically unfortunately usually
    add call change check click copy create delete edit enable disable enter execute install open pass
    press put read remove run select set specify start stop type use write""".split()
)

MONTHS = tuple("January February March April May June July August September October November December".split())
DAYS = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
MONTHS_AND_DAYS = frozenset(w.lower() for w in MONTHS + DAYS)

# Irregular verbs: base -> (past, past participle). IRREGULAR maps each form back to its base, so that
# "took over" in an answer matches "take over" in a question; code-written questions take the past from
# a participle ("The church was built by ..." -> "Who built the church?").
IRREGULAR_FORMS = {
    "become": ("became", "become"), "begin": ("began", "begun"), "bring": ("brought", "brought"), "build": ("built", "built"),
    "buy": ("bought", "bought"), "choose": ("chose", "chosen"), "come": ("came", "come"), "draw": ("drew", "drawn"),
    "fall": ("fell", "fallen"), "find": ("found", "found"), "give": ("gave", "given"), "go": ("went", "gone"),
    "grow": ("grew", "grown"), "hold": ("held", "held"), "keep": ("kept", "kept"), "know": ("knew", "known"),
    "lead": ("led", "led"), "leave": ("left", "left"), "lose": ("lost", "lost"), "make": ("made", "made"),
    "meet": ("met", "met"), "pay": ("paid", "paid"), "rise": ("rose", "risen"), "run": ("ran", "run"),
    "see": ("saw", "seen"), "sell": ("sold", "sold"), "send": ("sent", "sent"), "spend": ("spent", "spent"),
    "stand": ("stood", "stood"), "strike": ("struck", "struck"), "take": ("took", "taken"), "teach": ("taught", "taught"),
    "tell": ("told", "told"), "think": ("thought", "thought"), "win": ("won", "won"), "write": ("wrote", "written"),
    "draw up": ("drew up", "drawn up"), "set": ("set", "set"), "put": ("put", "put"), "shut": ("shut", "shut"),
    "bear": ("bore", "born"), "sing": ("sang", "sung"), "speak": ("spoke", "spoken"), "break": ("broke", "broken"),
    "drive": ("drove", "driven"), "ride": ("rode", "ridden"), "forget": ("forgot", "forgotten"), "lay": ("laid", "laid"),
}
# Bases whose forms are not read back for matching: "found" is also "to found", "born" is its own word.
_NOT_MATCHED = frozenset(("find", "bear", "draw up", "set", "put", "shut", "sing", "speak", "break", "drive", "ride", "forget", "lay"))
IRREGULAR = {form: base for base, forms in IRREGULAR_FORMS.items() if base not in _NOT_MATCHED for form in forms if form != base}
PAST_OF_PARTICIPLE = {participle: past for past, participle in IRREGULAR_FORMS.values()}
BASE_OF_PAST = {forms[0]: base for base, forms in IRREGULAR_FORMS.items() if forms[0] != base and base not in ("find", "lay")}
# A regular past tense's base by its ending (sorted longest first); an ending that leaves the base in doubt
# ("developed"/"hoped", "visited"/"invited", "defined"/"joined", "added"/"padded", "appeared"/"declared",
# "cancelled"/"called", "toured"/"measured") has none, or None, and so no question.
PAST_ENDINGS: tuple[tuple[str, str | None], ...] = tuple(sorted((
    ("created", "create"), ("eated", None), ("oated", "oat"), ("ated", "ate"), ("uted", None), ("eted", None), ("oted", None), ("ized", "ize"),
    ("ised", "ise"), ("ured", None), ("ared", None), ("ired", None), ("ored", None), ("eased", "ease"), ("osed", "ose"),
    ("aused", "ause"), ("uded", "ude"), ("ided", None), ("bled", "ble"), ("ved", "ve"), ("ced", "ce"), ("nged", "nge"),
    ("rged", "rge"), ("amed", "ame"), ("umed", "ume"), ("ied", "y"), ("cted", "ct"), ("sted", None), ("nted", "nt"),
    ("rted", "rt"), ("lted", "lt"), ("ered", None), ("ened", "en"), ("ained", "ain"), ("ailed", "ail"), ("oined", "oin"),
    ("orded", "ord"), ("ounded", "ound"), ("ended", "end"), ("anded", "and"), ("ssed", "ss"), ("shed", "sh"), ("ched", "ch"),
    ("lled", None), ("rked", "rk"), ("cked", "ck"), ("ewed", "ew"), ("owed", "ow"), ("ayed", "ay"), ("eyed", "ey"),
    ("oyed", "oy"), ("rmed", "rm"), ("wned", "wn"), ("rned", "rn"), ("eled", "el"), ("pped", "p"), ("nned", "n"),
    ("tted", "t"), ("gged", "g"), ("rred", "r"), ("ealed", "eal"), ("ached", None), ("gned", "gn"), ("tled", "tle"),
    ("dled", "dle"), ("kled", "kle"), ("gled", "gle"),
), key=lambda e: -len(e[0])))

# Comparatives and superlatives of the adjectives questions measure with: "Which river is longer ...?"
# of "the second longest after the Volga".
COMPARATIVES = {
    form: adjective
    for adjective in """long large high big old deep tall wide small short great fast slow low heavy light near
    far early late young new strong weak hot cold warm rich poor busy""".split()
    for stem in [adjective[:-1] if adjective.endswith("e") else adjective[:-1] + "i" if adjective.endswith("y") else
                 adjective + adjective[-1] if adjective in ("big", "hot", "wet", "fat", "thin") else adjective]
    for form in (stem + "er", stem + "est")
}

# Verbs that documentation and a teacher use for one another ("executing the installer" / "Run the
# installer"): one word where the quotes must hold the answer's words (quote_not_supporting). Only
# plain synonyms, never a verb and its opposite.
SYNONYMS = {
    "run": "execute", "start": "launch", "call": "invoke", "use": "utilise utilize employ", "show": "display",
    "need": "require", "change": "modify alter", "get": "obtain", "let": "permit", "help": "assist",
    "end": "terminate", "buy": "purchase", "begin": "commence", "enough": "sufficient",
}

# What is left of a name and its adjective past their common letters (stemmed: "Chinese" is "chines"):
# one side a demonym's suffix, the other a name's ending; "Robert" / "Roberta", "Julian" / "Julia" and
# "Indian" / "Indiana" are other names.
DEMONYM_SUFFIXES = frozenset("es ese ian tian an ean ish ic i".split())

NAME_ENDINGS = frozenset(["", "a", "e", "y", "s"])

NEGATIONS = frozenset("not no never nor without cannot none neither".split())

MEASURE_WORDS = frozenset(
    """total number sum maximum minimum average height length depth width distance cost price rate speed weight
    area age population amount capacity size value budget span""".split()
)

# The subject of a fact's clause, which a fact-first question must name (_names_the_subject): the words
# before its verb. Without a tagger the verb is an auxiliary, a word in CLAUSE_VERBS, or a word in -ed after the
# first; leading adverbials ("At its busiest, in 1903, ...", "Today", "Eventually,") are not the subject.
CLAUSE_VERBS = frozenset(
    """took made ran became began saw gave went came built led left grew rose fell won lost held kept stood lay
    carries carried runs takes leaves returns costs lies stands serves remains contains includes moved opened
    closed""".split()
)

# A clause whose subject is one of these names no subject of its own (roundtrip: _clause_subject).
SUBJECT_PRONOUNS = frozenset("it its they their them he his she her we our this these those there that which who".split())

WH_WORDS = frozenset("what who whom whose which when where why how".split())

AUXILIARIES = frozenset("is are was were am do does did can could will would should shall has have had may might must".split())

IMPERATIVES = frozenset(
    "name list describe explain give state identify summarize summarise define compare outline tell".split()
)

LEADING_PREPOSITIONS = frozenset("in on at for by to from with during after before of under since until within".split())

DANGLING = frozenset("the a an and or but its their my your our whose".split())

# Words without which the patterns above cannot match: a cheap test before the regular expressions.
TEXT_WORDS = frozenset(
    """text passage excerpt paragraph paragraphs chunk snippet extract context article document section
    author source above below earlier""".split()
)

# Pronouns that point at a person or thing outside a question ("When did he die?": form, unresolved_reference).
PERSONAL_PRONOUNS = frozenset("he she they it him her them his their".split())

UNKNOWN_WORDS = frozenset("not doesn didn don can cannot no unknown n none".split())

YES_NO = frozenset({"yes", "no"})

# -- words of fact selection (generation/text/facts.py) ----------------------------------------------

# Words that open a sentence, a list or a time span, not a name.
NOT_NAMES = frozenset(
    """The A An This That These Those It Its They Their He She His Her We Our You Your I In On At From
    To By For With After Before During Today""".split()
) | frozenset(MONTHS) | frozenset(DAYS)
# Words after a number that say it counts nothing: "one of the", "No. 4", a page reference.
NOT_COUNTED = frozenset(
    """of to and or per percent a an the had has have was were is are be been will would may might can could
    must should did do does in on at by for from with than that which who""".split()
)
# Words before a name that make it a person ("the engineer Margaret Owain") or a place ("to the canal at
# Millbrook").
PERSON_CUES = (
    "by engineer architect founder designer director author builder owner manager chairman president "
    "inventor artist Mr Mrs Ms Dr Sir Lady Lord Professor"
).split()
# A name with one of these words is an organisation, not a person ("by the Free Software Foundation").
ORGANISATION_WORDS = frozenset(
    """Ministry University College School Department Agency Corporation Company Council Committee Foundation Institute
    Society Association Commission Inc Ltd Group Project Office Service Bureau Board Centre Center Laboratory Bank Trust""".split()
)
NAME_PARTICLES = "of de la le van von du da".split()  # "Duke of Wellington", "Ludwig van Beethoven"
# A fact sentence does not open with these: it leans on the sentence before.
LEANING_OPENERS = frozenset(("However", "But", "Also", "And", "Or", "So"))
# Fact-first asks English questions (its question words are English), so it takes facts from English
# sentences only: those of a chunk where at least facts.ENGLISH_MIN_SHARE of the words are ENGLISH_WORDS,
# or that hold one of ENGLISH_MARKERS (words no French or German sentence has) in a chunk of mixed or
# technical text. Measured on real text: French and German railway history pages 0.011-0.033 of their
# words are ENGLISH_WORDS, English prose 0.28-0.37, the READMEs of the packages installed here 0.18 at the
# median (150-word windows; URLs and badges go lower, hence the markers). A Russian or Chinese sentence has
# no such words at all.
ENGLISH_WORDS = frozenset(
    "the of and to in a an is was were are be been for on with by as at from it its that this which has have had".split()
)
ENGLISH_MARKERS = frozenset("the of and is were are to with by for from has have had its which that this".split())
# Conjunctions that open a clause with a subject of its own ("..., and the railway closed in 1951").
CLAUSE_CONJUNCTIONS = frozenset("and but or while whereas".split())
# After "and", words that open a subject ("and the railway closed", "and around 60,000 passengers ride");
# another word ("and stands 28 metres above the river", "and to take eleven weeks") shares the subject
# of the clause before.
SUBJECT_OPENERS = frozenset(
    """the a an it its they their he his she her we our you your i this that these those there
    around about some over nearly almost more most many few all each every no several""".split()
)

# -- sentence ends (generation/text/sentences.py) --------------------------------------------------------

# Abbreviations a period follows without ending the sentence: titles before a name, and the usual short
# forms ("Dr. Smith", "Acme Inc. said", "see Fig. 3"); a single capital (an initial: "Frederick W. Mote")
# and dotted abbreviations ("U.S.", "e.g.") are recognised by their shape.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr inc ltd co corp no nos vs fig figs vol pp ca approx gen gov sen rep rev mt ft
    jan feb aug sept oct nov dec est dept univ""".split()
)

# generation/text/questions.py: words that open a sentence but name no term ("everything is a file"), the
# verbs that open the step of a procedure ("To remove a package, run ..."), and the verbs of a count
# ("Debian includes 59100 packages" -> "How many packages does Debian include?"): their "do" and base form.
NOT_TERMS = frozenset("everything something nothing anything everyone someone nobody anyone one none all each both either neither".split())
PROCEDURE_VERBS = frozenset(
    """run use add type set create open edit install click enter select specify pass call include remove delete change go
    navigate choose configure append copy put make write start stop restart enable disable press check save download
    upload mount unmount log sign""".split()
)
COUNT_VERB_DO = {"has": "does", "have": "do", "had": "did", "includes": "does", "include": "do", "included": "did", "contains": "does",
                 "contain": "do", "contained": "did", "comprises": "does", "comprised": "did"}
COUNT_VERB_BASE = {"has": "have", "have": "have", "had": "have", "includes": "include", "include": "include", "included": "include",
                   "contains": "contain", "contain": "contain", "contained": "contain", "comprises": "comprise", "comprised": "comprise"}
