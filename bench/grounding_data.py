"""The grounding checker's labelled set, written by the project itself: a seeded generator of fictional
company, town and museum histories (invented names, numbers and dates), cut into chunks of ~1,500
characters, with true question-answer pairs and false ones of known kinds.

Kinds (`LabelledPair.kind`):
  true               a question of the chunk, its answer (a span or a sentence) and the right quote(s);
                     a quarter come without quotes, some quotes re-typed (case, spacing, punctuation,
                     hyphens, ellipsis), as a teacher copies them
  other_chunk        the answer (and its quote) of the same kind of question in another document
  same_document      the answer of the same kind of question in another chunk of the same document:
                     same names, different facts
  changed_number     a true answer with one number changed (quote kept)
  changed_name       a true answer with one name changed (quote kept)
  swapped_value      a true answer with one number or name swapped for another of the same kind that
                     the chunk has elsewhere (a date for another date, a person for another person)
  fabricated_quote   a quote that is not in the chunk: a real sentence with one fact changed, or a
                     sentence of the same kind the chunk does not contain; the answer follows it
  unsupporting_quote a true answer whose quote is a real sentence of the chunk that says something else
  bad_form           not a real question-answer pair (`detail` says how)

`python bench/grounding_data.py` prints a sample.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

TRUE = "true"
FALSE_KINDS = (
    "other_chunk",
    "same_document",
    "changed_number",
    "changed_name",
    "swapped_value",
    "fabricated_quote",
    "unsupporting_quote",
    "bad_form",
)
KINDS = (TRUE, *FALSE_KINDS)


@dataclass(frozen=True)
class LabelledPair:
    kind: str
    chunk: str
    question: str
    answer: str
    quotes: list[str]
    chunk_id: str
    detail: str = ""  # span/sentence answer for true pairs; the sub-kind for false ones


# --- Names ---------------------------------------------------------------------------------------

FIRST_NAMES = """Harald Edda Tomas Ilse Jorin Marta Osric Linnea Anselm Britta Cornel Dagny Emeric Frida Gustav
Hedda Ivo Jutta Kasimir Lorna Matthis Nela Otto Petra Quirin Runa Sander Tilde Ulrich Vera Wendel Ysolde
Aldo Berit Caspar Dorthe Eskil Greta Hagen Ines Joran Kaja Lennart Mira Niels Oda Pelle Rikke Sten Thyra""".split()
NAME_HEADS = """Brenn Vell Oder Kass Mor Tal Wend Hal Grav Lind Ost Riv Sel Thorn Ulm Varr Ask Birk Dal Eck Fenn
Gald Hess Iver Jorr Kell Lorr Mard Nor Pell Quill Rask Stav Tebb Wick Aub Carr Drev Elm Fald Gorr Harl
Isk Jast Kolb Lisk Marr Nesk Orv Prell Runn Sorr Trev Ull Vask Wenn Yarr Zell""".split()
SURNAME_TAILS = "er mark holt stein wood ing ell ard wick ley sen ford mere vik dahl berg".split()
PLACE_TAILS = "by moor ford stead haven burg wick dale port field thorpe minster".split()
COIN_TAILS = "a ane ora ith ena ova is or anthe ira".split()
INDUSTRIES = """Instruments Shipping Mills Brewing Textiles Ironworks Glassworks Printing Ceramics Optics
Timber Tanneries""".split()
FIELDS = ["Natural History", "Local History", "Applied Arts", "Maritime History", "Antiquities"]
TRADES = "clockmaker glazier cooper tanner printer locksmith miller joiner saddler".split()
WINGS = "east west north south".split()
THINGS = ["barometer", "sewing machine", "lamp", "stove", "bicycle", "typewriter", "chronometer"]
MATERIALS = "bronze silver amber oak ivory glass pewter".split()
BUILDINGS = ["granary", "customs house", "school", "warehouse", "chapel", "bank"]
MONTHS = "January February March April May June July August September October November December".split()


class Names:
    """Invented names, each used once per document (so that a changed name is really new)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _fresh(self, make) -> str:
        for _ in range(1000):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of invented names")

    def surname(self) -> str:
        return self._fresh(lambda: self.rng.choice(NAME_HEADS) + self.rng.choice(SURNAME_TAILS))

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.surname()}"

    def place(self) -> str:
        return self._fresh(lambda: self.rng.choice(NAME_HEADS) + self.rng.choice(PLACE_TAILS))

    def coin(self) -> str:
        return self._fresh(lambda: self.rng.choice(NAME_HEADS) + self.rng.choice(COIN_TAILS))

    def company(self) -> str:
        return f"{self.surname()} {self.rng.choice(INDUSTRIES)}"


# --- Slots: the kind of value a template slot takes, from its name ({year2}, {person1}, ...) ----------

NUMBER_KINDS = ("year", "nsmall", "ncount", "nbig", "pct", "money", "day")
NAME_KINDS = ("person", "place", "company", "coin")


def slot_kind(slot: str) -> str:
    return slot.rstrip("0123456789")


def _money(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.randint(11, 95) / 10:.1f} million crowns"
    return f"{rng.randint(12, 950) * 100:,} crowns"


def make_value(kind: str, rng: random.Random, names: Names, base_year: int) -> str:
    if kind == "year":
        return str(rng.randint(base_year, base_year + 120))
    if kind == "nsmall":
        return str(rng.randint(3, 60))
    if kind == "ncount":
        return str(rng.randint(61, 990))
    if kind == "nbig":
        return f"{rng.randint(12, 980) * 100 + rng.choice([0, 0, 50]):,}"
    if kind == "pct":
        return str(rng.randint(5, 95))
    if kind == "money":
        return _money(rng)
    if kind == "day":
        return str(rng.randint(1, 28))
    if kind == "month":
        return rng.choice(MONTHS)
    if kind == "person":
        return names.person()
    if kind == "place":
        return names.place()
    if kind == "company":
        return names.company()
    if kind == "coin":
        return names.coin()
    pools = {"trade": TRADES, "wing": WINGS, "thing": THINGS, "material": MATERIALS, "building": BUILDINGS}
    return rng.choice(pools[kind])


def changed_value(kind: str, value: str, rng: random.Random, names: Names, base_year: int) -> str:
    """A different value of the same kind: what a teacher that got one fact wrong would write."""
    if kind == "person":
        first, last = value.split(" ", 1)
        return f"{first} {names.surname()}" if rng.random() < 0.6 else names.person()
    if kind in NAME_KINDS:
        return make_value(kind, rng, names, base_year)
    for _ in range(100):
        if kind == "year":
            new = str(int(value) + rng.choice([-1, 1]) * rng.randint(1, 30))
        elif kind in ("nsmall", "day", "pct"):
            new = str(max(1, int(value) + rng.choice([-1, 1]) * rng.randint(1, max(2, int(value) // 2))))
        elif kind in ("ncount", "nbig"):
            number = int(value.replace(",", ""))
            new = f"{max(2, round(number * rng.choice([0.5, 0.6, 0.75, 1.25, 1.5, 2.0]), -1 if number < 1000 else -2)):,}"
        elif kind == "money":
            new = _money(rng)
        else:
            raise ValueError(f"no changed value for {kind}")
        if new != value:
            return new
    raise RuntimeError(f"could not change {value!r}")


# --- Templates: a sentence of a chunk and the questions it answers (question, span, sentence answer) --

Template = tuple[str, list[tuple[str, str, str]]]

COMPANY: list[Template] = [
    ("{company} was founded in {year1} by {founder} in {town}.", [
        ("In which year was {company} founded?", "{year1}", "{company} was founded in {year1}."),
        ("Who founded {company}?", "{founder}", "{company} was founded by {founder}."),
    ]),
    ("Before that, {founder} had worked for {nsmall1} years as a {trade} in {place1}.", [
        ("For how many years had {founder} worked as a {trade} before founding {company}?", "{nsmall1} years", "{founder} had worked as a {trade} for {nsmall1} years."),
        ("Where had {founder} worked as a {trade}?", "{place1}", "{founder} had worked as a {trade} in {place1}."),
    ]),
    ("The first workshop, on {coin1} Street, had {nsmall2} workers and {nsmall3} lathes.", [
        ("How many workers did the first workshop of {company} have?", "{nsmall2}", "The first workshop of {company} had {nsmall2} workers."),
        ("On which street was the first workshop of {company}?", "{coin1} Street", "The first workshop was on {coin1} Street."),
    ]),
    ("In {year2} the company opened a second factory in {place2} at a cost of {money1}.", [
        ("In which year did {company} open its second factory?", "{year2}", "{company} opened its second factory in {year2}."),
        ("How much did the second factory of {company} cost?", "{money1}", "The second factory in {place2} cost {money1}."),
    ]),
    ("By {year3}, {company} employed {ncount1} people and exported {pct1} percent of its output.", [
        ("How many people did {company} employ by {year3}?", "{ncount1}", "By {year3}, {company} employed {ncount1} people."),
        ("What share of its output did {company} export by {year3}?", "{pct1} percent", "{company} exported {pct1} percent of its output."),
    ]),
    ("In {year4} {founder} handed the management of the firm to {person1}.", [
        ("To whom did {founder} hand the management of {company}?", "{person1}", "{founder} handed the management to {person1}."),
        ("When did {person1} take over the management of {company}?", "In {year4}", "{person1} took over the management in {year4}."),
    ]),
    ("On {month1} {day1}, {year5}, a fire destroyed the {wing} wing of the {town} works.", [
        ("When did a fire destroy the {wing} wing of the {town} works?", "On {month1} {day1}, {year5}", "The fire destroyed the {wing} wing on {month1} {day1}, {year5}."),
    ]),
    ("The firm's best-known product, the {coin2} {thing}, sold {nbig1} units in its first year.", [
        ("What was the best-known product of {company}?", "The {coin2} {thing}", "The best-known product of {company} was the {coin2} {thing}."),
        ("How many units did the {coin2} {thing} sell in its first year?", "{nbig1} units", "The {coin2} {thing} sold {nbig1} units in its first year."),
    ]),
    ("A strike in {year6} lasted {nsmall4} days and ended with a wage rise of {pct2} percent.", [
        ("How many days did the strike of {year6} at {company} last?", "{nsmall4} days", "The strike of {year6} lasted {nsmall4} days."),
        ("What wage rise ended the strike of {year6} at {company}?", "A rise of {pct2} percent", "The strike ended with a wage rise of {pct2} percent."),
    ]),
    ("In {year7} {company} merged with {company1}, and the new group took the name {company2}.", [
        ("With which firm did {company} merge in {year7}?", "{company1}", "{company} merged with {company1} in {year7}."),
        ("What name did the group formed by {company} and {company1} take?", "{company2}", "The new group took the name {company2}."),
    ]),
    ("The head office moved to {place3} in {year8}, into a {nsmall5}-storey building designed by {person2}.", [
        ("Who designed the head office of {company} in {place3}?", "{person2}", "The head office in {place3} was designed by {person2}."),
        ("How many storeys did the head office building of {company} in {place3} have?", "{nsmall5}", "The building had {nsmall5} storeys."),
    ]),
    ("Revenue reached {money2} in {year9}, the highest figure before the war.", [
        ("What revenue did {company} reach in {year9}?", "{money2}", "In {year9} the revenue of {company} reached {money2}."),
    ]),
    ("{person3} served as chief engineer from {year10} to {year11} and patented {nsmall6} designs.", [
        ("Who was chief engineer of {company} from {year10} to {year11}?", "{person3}", "{person3} was chief engineer from {year10} to {year11}."),
        ("How many designs did {person3} patent as chief engineer of {company}?", "{nsmall6}", "{person3} patented {nsmall6} designs."),
    ]),
    ("The {place4} plant was closed in {year12} after {nsmall7} years of production.", [
        ("When was the {place4} plant of {company} closed?", "In {year12}", "{company} closed its {place4} plant in {year12}."),
        ("How many years had the {place4} plant of {company} been in production when it closed?", "{nsmall7} years", "The {place4} plant had been in production for {nsmall7} years."),
    ]),
    ("In {year13} the firm bought the rival {company3} for {money3}.", [
        ("Which rival firm did {company} buy in {year13}?", "{company3}", "{company} bought {company3} in {year13}."),
        ("How much did {company} pay for {company3}?", "{money3}", "{company} paid {money3} for {company3}."),
    ]),
    ("In {year14} {company} opened a new plant in {place5}. It cost {money4} and employed {ncount4} workers.", [
        ("How much did the new plant of {company} in {place5} cost?", "{money4}", "The {place5} plant cost {money4}."),
        ("How many workers did the {place5} plant of {company} employ?", "{ncount4}", "The {place5} plant employed {ncount4} workers."),
    ]),
    ("{company} exhibited its machines at the {coin4} Exhibition of {year15}. The display won {nsmall8} medals.", [
        ("How many medals did the display of {company} at the {coin4} Exhibition win?", "{nsmall8}", "It won {nsmall8} medals."),
    ]),
]

TOWN: list[Template] = [
    ("{town} received its town charter in {year1} from {person1}, Count of {place1}.", [
        ("When did {town} receive its town charter?", "In {year1}", "{town} received its charter in {year1}."),
        ("From whom did {town} receive its town charter?", "{person1}, Count of {place1}", "{town} received its charter from {person1}, Count of {place1}."),
    ]),
    ("The town lies on the {river} River, {nsmall1} kilometres south of {city}.", [
        ("On which river does {town} lie?", "The {river} River", "{town} lies on the {river} River."),
        ("How far is {town} from {city}?", "{nsmall1} kilometres", "{town} is {nsmall1} kilometres south of {city}."),
    ]),
    ("In {year2} the town had {nbig1} inhabitants; by {year3} the number had grown to {nbig2}.", [
        ("How many inhabitants did {town} have in {year2}?", "{nbig1}", "In {year2} {town} had {nbig1} inhabitants."),
        ("How many inhabitants did {town} have by {year3}?", "{nbig2}", "By {year3} the population of {town} had grown to {nbig2}."),
    ]),
    ("The stone bridge over the {river}, built by {person2} in {year4}, has {nsmall2} arches.", [
        ("Who built the stone bridge over the {river} at {town}?", "{person2}", "The stone bridge was built by {person2} in {year4}."),
        ("How many arches does the stone bridge over the {river} at {town} have?", "{nsmall2}", "The stone bridge has {nsmall2} arches."),
    ]),
    ("{person3} was elected mayor in {year5} and held the office for {nsmall3} years.", [
        ("Who was elected mayor of {town} in {year5}?", "{person3}", "{person3} was elected mayor of {town} in {year5}."),
        ("For how many years was {person3} mayor of {town}?", "{nsmall3} years", "{person3} held the office for {nsmall3} years."),
    ]),
    ("A flood on {month1} {day1}, {year6} damaged {ncount1} houses near the harbour.", [
        ("How many houses did the flood of {year6} damage in {town}?", "{ncount1}", "The flood of {year6} damaged {ncount1} houses near the harbour."),
        ("On what date did the flood damage houses near the harbour of {town}?", "{month1} {day1}, {year6}", "The flood struck on {month1} {day1}, {year6}."),
    ]),
    ("The town library, opened in {year7}, holds {nbig3} volumes and {ncount2} maps.", [
        ("How many volumes does the library of {town} hold?", "{nbig3}", "The library of {town} holds {nbig3} volumes."),
        ("When did the town library of {town} open?", "In {year7}", "The town library opened in {year7}."),
    ]),
    ("The railway reached {town} in {year8}, linking it with {place2}.", [
        ("When did the railway reach {town}?", "In {year8}", "The railway reached {town} in {year8}."),
        ("Which town did the railway link {town} with?", "{place2}", "The railway linked {town} with {place2}."),
    ]),
    ("Each {month2} the town holds the {coin1} Fair, which draws about {nbig4} visitors.", [
        ("In which month is the {coin1} Fair held in {town}?", "{month2}", "The {coin1} Fair is held each {month2}."),
        ("How many visitors does the {coin1} Fair in {town} draw?", "About {nbig4}", "The {coin1} Fair draws about {nbig4} visitors."),
    ]),
    ("The church of St {coin2}, begun in {year9}, was completed {nsmall4} years later.", [
        ("When was the church of St {coin2} in {town} begun?", "In {year9}", "The church of St {coin2} was begun in {year9}."),
        ("How many years did the building of the church of St {coin2} take?", "{nsmall4} years", "The church of St {coin2} took {nsmall4} years to complete."),
    ]),
    ("{person4} opened the {town} Grammar School in {year10} with {nsmall5} pupils.", [
        ("Who opened the {town} Grammar School?", "{person4}", "The {town} Grammar School was opened by {person4}."),
        ("How many pupils did the {town} Grammar School have when it opened?", "{nsmall5}", "It opened with {nsmall5} pupils."),
    ]),
    ("The harbour was deepened to {nsmall6} metres in {year11} at a cost of {money1}.", [
        ("To what depth was the harbour of {town} deepened in {year11}?", "{nsmall6} metres", "The harbour was deepened to {nsmall6} metres."),
        ("What did the deepening of the harbour of {town} cost?", "{money1}", "The deepening of the harbour cost {money1}."),
    ]),
    ("The town council has {nsmall7} seats, and the {coin3} League has held a majority since {year12}.", [
        ("How many seats does the town council of {town} have?", "{nsmall7}", "The town council of {town} has {nsmall7} seats."),
        ("Which party has held a majority on the town council of {town} since {year12}?", "The {coin3} League", "The {coin3} League has held a majority since {year12}."),
    ]),
    ("In {year13} a cholera outbreak killed {ncount3} residents, and {person5} built the first water works.", [
        ("How many residents of {town} did the cholera outbreak of {year13} kill?", "{ncount3}", "The cholera outbreak killed {ncount3} residents."),
        ("Who built the first water works of {town}?", "{person5}", "{person5} built the first water works of {town}."),
    ]),
    ("In {year14} the town built a new hospital by the {river}. It had {nsmall8} beds and cost {money2}.", [
        ("How many beds did the new hospital of {town} have?", "{nsmall8}", "The new hospital of {town} had {nsmall8} beds."),
        ("What did the new hospital of {town} by the {river} cost?", "{money2}", "The hospital cost {money2}."),
    ]),
    ("{person6} drew the first survey map of {town} in {year15}. The map shows {ncount4} houses.", [
        ("How many houses does the first survey map of {town} show?", "{ncount4}", "The first survey map shows {ncount4} houses."),
    ]),
]

MUSEUM: list[Template] = [
    ("The {museum} opened in {year1} in a former {building} on {coin1} Street.", [
        ("When did the {museum} open?", "In {year1}", "The {museum} opened in {year1}."),
        ("What building did the {museum} first occupy?", "A former {building} on {coin1} Street", "It opened in a former {building} on {coin1} Street."),
    ]),
    ("Its first director, {director}, bought {ncount1} objects in his first {nsmall1} years.", [
        ("How many objects did {director} buy for the {museum} in his first {nsmall1} years?", "{ncount1}", "{director} bought {ncount1} objects."),
    ]),
    ("The collection now holds {nbig1} objects, of which about {pct1} percent are on display.", [
        ("How many objects does the collection of the {museum} hold?", "{nbig1}", "The collection holds {nbig1} objects."),
        ("What share of the collection of the {museum} is on display?", "About {pct1} percent", "About {pct1} percent of the objects are on display."),
    ]),
    ("In {year2} the museum acquired the {coin2} {thing}, a {material} piece found near {place1}.", [
        ("Where was the {coin2} {thing} found?", "Near {place1}", "The {coin2} {thing} was found near {place1}."),
        ("When did the {museum} acquire the {coin2} {thing}?", "In {year2}", "The {museum} acquired it in {year2}."),
    ]),
    ("A new wing designed by {person1} opened in {year3} and added {ncount2} square metres of gallery space.", [
        ("Who designed the new wing of the {museum} that opened in {year3}?", "{person1}", "The new wing was designed by {person1}."),
        ("How much gallery space did the new wing of the {museum} add?", "{ncount2} square metres", "The new wing added {ncount2} square metres of gallery space."),
    ]),
    ("{person2} left the museum {money1} in {year4} to fund a research library.", [
        ("How much did {person2} leave the {museum}?", "{money1}", "{person2} left the museum {money1}."),
        ("Who left the {museum} money in {year4} to fund a research library?", "{person2}", "{person2} left money to fund a research library."),
    ]),
    ("The museum received {nbig2} visitors in {year5}, a record at the time.", [
        ("How many visitors did the {museum} receive in {year5}?", "{nbig2}", "The {museum} received {nbig2} visitors in {year5}."),
    ]),
    ("The {coin3} exhibition, curated by {person3}, ran for {nsmall2} weeks in {year6}.", [
        ("Who curated the {coin3} exhibition at the {museum}?", "{person3}", "The {coin3} exhibition was curated by {person3}."),
        ("How many weeks did the {coin3} exhibition run?", "{nsmall2} weeks", "The {coin3} exhibition ran for {nsmall2} weeks."),
    ]),
    ("Admission has been free since {year7}, when the council voted {nsmall3} to {nsmall4} to abolish fees.", [
        ("Since when has admission to the {museum} been free?", "Since {year7}", "Admission has been free since {year7}."),
        ("How did the council vote on abolishing fees at the {museum}?", "{nsmall3} to {nsmall4}", "The council voted {nsmall3} to {nsmall4} to abolish fees."),
    ]),
    ("During the war the collection was stored in {ncount3} crates in the cellars of {coin4} Castle.", [
        ("Where was the collection of the {museum} stored during the war?", "In the cellars of {coin4} Castle", "It was stored in the cellars of {coin4} Castle."),
        ("In how many crates was the collection of the {museum} stored during the war?", "{ncount3}", "The collection was stored in {ncount3} crates."),
    ]),
    ("In {year8} a thief took {nsmall5} silver coins from the {coin5} room; {nsmall6} were never recovered.", [
        ("How many silver coins were stolen from the {museum} in {year8}?", "{nsmall5}", "A thief took {nsmall5} silver coins in {year8}."),
    ]),
    ("The museum's workshop, led by {person4}, restored the {coin6} altarpiece between {year9} and {year10}.", [
        ("Who led the workshop that restored the {coin6} altarpiece?", "{person4}", "The workshop was led by {person4}."),
        ("When was the {coin6} altarpiece restored?", "Between {year9} and {year10}", "The {coin6} altarpiece was restored between {year9} and {year10}."),
    ]),
    ("Annual running costs are about {money2}, of which the city pays {pct2} percent.", [
        ("What are the annual running costs of the {museum}?", "About {money2}", "The annual running costs are about {money2}."),
        ("What share of the running costs of the {museum} does the city pay?", "{pct2} percent", "The city pays {pct2} percent of the running costs."),
    ]),
    ("{person5} catalogued the {material} collection in {year11}, listing {nbig3} items.", [
        ("Who catalogued the {material} collection of the {museum}?", "{person5}", "{person5} catalogued the {material} collection in {year11}."),
        ("How many items did the catalogue of the {material} collection list?", "{nbig3}", "The catalogue listed {nbig3} items."),
    ]),
    ("In {year12} {person6} gave the museum a collection of old lamps. The gift numbered {ncount4} pieces and was valued at {money3}.", [
        ("How many pieces were in the gift of {person6} to the {museum}?", "{ncount4}", "The gift numbered {ncount4} pieces."),
        ("What was the lamp collection that {person6} gave the {museum} valued at?", "{money3}", "The gift was valued at {money3}."),
    ]),
]

FILLERS = [
    "Records from these years are incomplete, and some dates are disputed.",
    "Local newspapers reported on these events at length.",
    "Much of this account rests on letters kept in the town archive.",
    "Several of the original buildings still stand today.",
    "The period is described in detail in a well-known history of the region.",
    "Historians have since questioned parts of this story.",
    "A plaque marking the site was unveiled in {year1}.",
    "Some {ncount1} photographs from the period survive.",
    "The papers of the {coin1} family, held in {place1}, give further details.",
    "Visitors can still see the old weighbridge near the river.",
    "In {year1} a local society began collecting the surviving documents.",
    "{person1} later wrote that the decision had been taken in haste.",
    "A copy of the original agreement is kept in {place1}.",
    "Winters in the region were hard, and work often stopped for weeks.",
    "The events of {year1} were long remembered in {place1}.",
    "An exhibition about this period drew {ncount1} visitors in {year2}.",
    "Maps from the time show a cluster of small workshops along the main road.",
    "Not every account of these years agrees on the order of events.",
    "The old ledgers, bound in brown leather, fill {nsmall1} shelves of the archive.",
    "{person1} described the place in a letter as cold, crowded and full of promise.",
    "Prices rose sharply in the years that followed, and wages lagged behind.",
    "A storm in {year1} tore the roofs from several buildings along the waterfront.",
    "The road to {place1} was paved only much later.",
    "Some of the earliest photographs of the area were taken by {person1}.",
    "These changes were not welcomed by everyone at the time.",
    "A small memorial garden now occupies part of the former site.",
]

PRONOUN_QUESTIONS = [
    "When was it founded?",
    "Who built it?",
    "What did he do next?",
    "Where did they go after the war?",
    "How many people did it employ?",
    "When did she become mayor?",
    "Why did they close the plant?",
    "What did it cost?",
]

DOC_TYPES = {"company": COMPANY, "town": TOWN, "museum": MUSEUM}
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass
class QA:
    template: int  # (template index, question index) identify the kind of question across chunks
    index: int
    question: str
    span: str
    sentence_answer: str
    sentence: str  # the chunk's sentence that answers it
    slots: dict[str, str]  # the slots the answer uses -> their values


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    doc_type: str
    text: str
    sentences: list[str]
    qas: list[QA] = field(default_factory=list)
    templates: set[int] = field(default_factory=set)
    values: list[tuple[str, str]] = field(default_factory=list)  # (slot kind, value) of every filled slot


@dataclass
class Doc:
    doc_id: str
    doc_type: str
    names: Names
    base_year: int
    fixed: dict[str, str]

    def fill(self, template: str, rng: random.Random, values: dict[str, str]) -> str:
        for slot in _SLOT.findall(template):
            if slot not in values:
                values[slot] = self.fixed.get(slot) or make_value(slot_kind(slot), rng, self.names, self.base_year)
        return _SLOT.sub(lambda m: values[m.group(1)], template)


def _new_doc(doc_id: str, doc_type: str, rng: random.Random) -> Doc:
    names = Names(rng)
    town = names.place()
    fixed = {"town": town, "founder": names.person(), "company": names.company(), "river": names.coin(), "city": names.place()}
    fixed["museum"] = f"{town} Museum of {rng.choice(FIELDS)}"
    fixed["director"] = names.person()
    for pool in ("trade", "wing", "thing", "material", "building"):
        fixed[pool] = make_value(pool, rng, names, 0)
    return Doc(doc_id, doc_type, names, rng.randint(1780, 1880), fixed)


def _make_chunk(doc: Doc, index: int, rng: random.Random) -> Chunk:
    templates = DOC_TYPES[doc.doc_type]
    chosen = sorted(rng.sample(range(len(templates)), k=min(len(templates), rng.randint(11, 14))))
    rng.shuffle(chosen)
    chunk = Chunk(f"{doc.doc_id}-c{index}", doc.doc_id, doc.doc_type, "", [], templates=set(chosen))
    items: list[tuple[str, int | None, dict[str, str]]] = []
    for t in chosen:
        values: dict[str, str] = {}
        items.append((doc.fill(templates[t][0], rng, values), t, values))
    for filler in rng.sample(FILLERS, k=rng.randint(11, 16)):
        items.insert(rng.randint(0, len(items)), (doc.fill(filler, rng, {}), None, {}))
    for sentence, t, values in items:
        chunk.sentences.append(sentence)
        chunk.values.extend((slot_kind(k), v) for k, v in values.items() if v not in doc.fixed.values())
        if t is None:
            continue
        for qi, (question, span, answer) in enumerate(templates[t][1]):
            used = {s: values.get(s) or doc.fixed[s] for s in _SLOT.findall(span + " " + answer)}
            fill = lambda text: _SLOT.sub(lambda m: used.get(m.group(1)) or values.get(m.group(1)) or doc.fixed[m.group(1)], text)
            chunk.qas.append(QA(t, qi, fill(question), fill(span), fill(answer), sentence, {s: v for s, v in used.items() if s in _SLOT.findall(span)}))
    title = {"company": doc.fixed["company"], "town": doc.fixed["town"], "museum": doc.fixed["museum"]}[doc.doc_type]
    paragraphs, sentences = [], list(chunk.sentences)
    while sentences:
        take = rng.randint(3, 5)
        paragraphs.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    heading = f"History of {title}" + ("" if index == 0 else f" (part {index + 1})")
    chunk.text = heading + "\n\n" + "\n\n".join(paragraphs) + "\n"
    return chunk


# --- Quotes as a teacher writes them ------------------------------------------------------------

def _retype(quote: str, rng: random.Random, keep: str = "") -> tuple[str, str]:
    """The quote re-typed the way teachers do: other case, spacing, punctuation or hyphens; or cut with
    an ellipsis (that leaves `keep`, the answer, in place)."""
    way = rng.choice(["lower", "spaces", "punctuation", "hyphens", "apostrophes", "ellipsis", "wrapped", "typo"])
    if way == "lower":
        return quote.lower(), way
    if way == "spaces":
        return re.sub(r" ", lambda m: rng.choice([" ", "  ", "\n", " "]), quote), way
    if way == "punctuation":
        return re.sub(r"[,;:']|\.(?!\d)", "", quote), way  # a decimal point stays: it is part of the number
    if way == "hyphens":
        quote = quote.replace("-", rng.choice([" ", "", " - "]))
        words = quote.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 8 and w.isalpha()]
        if long_words:  # a line-break hyphen, as copied from a PDF
            i = rng.choice(long_words)
            cut = rng.randint(3, len(words[i]) - 3)
            words[i] = words[i][:cut] + "- " + words[i][cut:]
        return " ".join(words), way
    if way == "apostrophes":
        return quote.replace("'", "’").replace('"', "“"), way
    if way == "ellipsis":
        words = quote.split(" ")
        for _ in range(10):
            if len(words) < 9:
                break
            cut = rng.randint(3, len(words) - 5)
            shortened = " ".join(words[:cut]) + " ... " + " ".join(words[cut + 2 :])
            if not keep or _find(keep, shortened) >= 0:
                return shortened, way
        return quote, "exact"
    if way == "typo":  # one letter dropped or two swapped, in a common word (names and numbers stay right)
        words = quote.split(" ")
        common = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w.islower()]
        if not common:
            return quote, "exact"
        i = rng.choice(common)
        w, at = words[i], rng.randint(1, len(words[i]) - 2)
        words[i] = w[:at] + w[at + 1 :] if rng.random() < 0.5 else w[:at] + w[at + 1] + w[at] + w[at + 2 :]
        return " ".join(words), way
    return f'"{quote}"', way


def _quote_for(qa: QA, answer_style: str, rng: random.Random) -> str:
    """The sentence that answers, or (for a span answer) a window of it around the span."""
    sentence = qa.sentence
    at = _find(qa.span, sentence)
    if answer_style == "span" and rng.random() < 0.5 and at >= 0:
        spaces_before = [m.start() for m in re.finditer(" ", sentence[:at])]
        spaces_after = [at + len(qa.span) + m.start() for m in re.finditer(" ", sentence[at + len(qa.span) :])]
        keep_before, keep_after = rng.randint(2, 5), rng.randint(1, 4)
        start = spaces_before[-keep_before] + 1 if len(spaces_before) >= keep_before else 0
        end = spaces_after[keep_after] if len(spaces_after) > keep_after else len(sentence)
        return sentence[start:end].strip(" ,;")
    return sentence


def _find(span: str, text: str) -> int:
    """Where `span` is in `text` as whole words ("34" is not in "1934"), or -1."""
    match = re.search(rf"(?<![\w,.]){re.escape(span)}(?![\w]|[.,]\d)", text)
    return match.start() if match else -1


def _answer(qa: QA, style: str) -> str:
    return qa.span if style == "span" else qa.sentence_answer


# Words a teacher puts in place of the chunk's own when it rewords an answer.
SYNONYMS = {
    "firm": "company", "company": "firm", "founded": "established", "people": "workers", "bought": "purchased",
    "opened": "started", "built": "constructed", "destroyed": "burned down", "town": "municipality",
    "held": "organized", "received": "welcomed", "designed": "planned", "closed": "shut down", "led": "headed",
    "objects": "items", "cost": "required", "struck": "happened", "voted": "decided", "took": "stole",
    "lasted": "went on for", "reached": "arrived in", "served": "worked",
}


def _reword(answer: str, rng: random.Random) -> str:
    """A sentence answer in other words: one or two words swapped for synonyms."""
    words = answer.split(" ")
    swappable = [i for i, w in enumerate(words) if w in SYNONYMS]
    for i in rng.sample(swappable, k=min(len(swappable), rng.randint(1, 2))):
        words[i] = SYNONYMS[words[i]]
    return " ".join(words)


def _replace_value(text: str, old: str, new: str) -> str:
    pattern = rf"(?<![\w,.]){re.escape(old)}(?![\w]|[.,]\d)"
    return re.sub(pattern, lambda m: new, text, count=1)


# --- The labelled set -----------------------------------------------------------------------------

PER_CHUNK = {
    "other_chunk": 3,
    "same_document": 2,
    "changed_number": 3,
    "changed_name": 3,
    "swapped_value": 3,
    "fabricated_quote": 3,
    "unsupporting_quote": 2,
    "bad_form": 3,
}
NO_QUOTE_SHARE = 0.25  # of true pairs (and of false pairs whose kind does not need a quote)
RETYPED_SHARE = 0.35  # of true quotes
REWORDED_SHARE = 0.4  # of true sentence answers
TWO_FACT_PAIRS = 1  # per chunk


def labelled_set(seed: int = 0, documents: int = 60) -> list[LabelledPair]:
    """Pairs, grouped by chunk in chunk order (as the pipeline checks them). Deterministic in `seed`."""
    rng = random.Random(seed)
    doc_types = list(DOC_TYPES)
    docs = [_new_doc(f"d{i:03d}", doc_types[i % len(doc_types)], rng) for i in range(documents)]
    chunks_of: dict[str, list[Chunk]] = {d.doc_id: [_make_chunk(d, j, rng) for j in range(3)] for d in docs}
    all_chunks = [c for d in docs for c in chunks_of[d.doc_id]]
    doc_of = {d.doc_id: d for d in docs}
    pairs: list[LabelledPair] = []

    def quotes_for(qa: QA, style: str) -> list[str]:
        quote = _quote_for(qa, style, rng)
        if rng.random() < RETYPED_SHARE:
            quote, _ = _retype(quote, rng, keep=qa.span)
        return [quote]

    for chunk in all_chunks:
        doc = doc_of[chunk.doc_id]
        out: list[LabelledPair] = []

        def add(kind: str, question: str, answer: str, quotes: list[str], detail: str) -> None:
            out.append(LabelledPair(kind, chunk.text, question, answer, quotes, chunk.chunk_id, detail))

        # True pairs: every question of the chunk, answered by a span or a sentence (some reworded).
        for qa in chunk.qas:
            style = rng.choice(["span", "sentence"])
            quotes = [] if rng.random() < NO_QUOTE_SHARE else quotes_for(qa, style)
            if quotes and rng.random() < 0.15:  # a second, real quote for context
                quotes.append(rng.choice([s for s in chunk.sentences if s != qa.sentence]))
            answer = _answer(qa, style)
            if style == "sentence" and rng.random() < REWORDED_SHARE:
                answer, style = _reword(answer, rng), "reworded"
            add(TRUE, qa.question, answer, quotes, style)
        # ... and a question about two facts of neighbouring sentences, answered from both.
        for _ in range(TWO_FACT_PAIRS):
            by_sentence = {qa.sentence: qa for qa in chunk.qas}
            order = [s for s in chunk.sentences if s in by_sentence]
            i = rng.randrange(len(order) - 1)
            first, second = by_sentence[order[i]], by_sentence[order[i + 1]]
            question = first.question.rstrip("?") + ", and " + second.question[0].lower() + second.question[1:]
            style = rng.choice(["span", "sentence"])
            answer = f"{_answer(first, style)}; {_answer(second, style)}" if style == "span" else f"{first.sentence_answer} {second.sentence_answer}"
            quotes = [] if rng.random() < NO_QUOTE_SHARE else [first.sentence, second.sentence]
            add(TRUE, question, answer, quotes, "two_facts")

        def maybe_no_quote(quotes: list[str]) -> list[str]:
            return [] if rng.random() < NO_QUOTE_SHARE else quotes

        # Answers of the same kind of question elsewhere: another document, or another chunk of this one.
        for kind, pool in (
            ("other_chunk", [c for c in all_chunks if c.doc_id != chunk.doc_id]),
            ("same_document", [c for c in chunks_of[chunk.doc_id] if c is not chunk]),
        ):
            made = 0
            for _ in range(50):
                if made == PER_CHUNK[kind]:
                    break
                qa = rng.choice(chunk.qas)
                same_type = [c for c in pool if c.doc_type == chunk.doc_type]
                if kind == "other_chunk" and same_type and rng.random() < 0.5:
                    other = rng.choice(same_type)
                else:
                    other = rng.choice(pool)
                same_question = [o for o in other.qas if (o.template, o.index) == (qa.template, qa.index)]
                if kind == "same_document" and not same_question:
                    continue
                oqa = same_question[0] if same_question else rng.choice(other.qas)
                if oqa.span == qa.span or (kind == "same_document" and oqa.span in chunk.text):
                    continue  # the other answer would be right here too
                style = rng.choice(["span", "sentence"])
                add(kind, qa.question, _answer(oqa, style), maybe_no_quote(quotes_for(oqa, style)), style)
                made += 1

        # One number or one name changed in a true answer; the quote still the true one.
        for kind, kinds in (("changed_number", NUMBER_KINDS), ("changed_name", NAME_KINDS)):
            candidates = [qa for qa in chunk.qas if any(slot_kind(s) in kinds for s in qa.slots)]
            for qa in rng.sample(candidates, k=min(PER_CHUNK[kind], len(candidates))):
                slot = rng.choice(sorted(s for s in qa.slots if slot_kind(s) in kinds))
                old = qa.slots[slot]
                new = changed_value(slot_kind(slot), old, rng, doc.names, doc.base_year)
                if slot_kind(slot) == "person" and old.split(" ")[0] == new.split(" ")[0]:
                    old, new = old.split(" ", 1)[1], new.split(" ", 1)[1]  # only the surname changed
                style = rng.choice(["span", "sentence"])
                answer = _replace_value(_answer(qa, style), old, new)
                add(kind, qa.question, answer, maybe_no_quote(quotes_for(qa, style)), f"{style}:{slot_kind(slot)}")

        # A number or name swapped for another of the same kind from elsewhere in the chunk.
        candidates = [qa for qa in chunk.qas if any(slot_kind(s) in NUMBER_KINDS + NAME_KINDS for s in qa.slots)]
        made = 0
        for qa in rng.sample(candidates, k=len(candidates)):
            if made == PER_CHUNK["swapped_value"]:
                break
            slot = rng.choice(sorted(s for s in qa.slots if slot_kind(s) in NUMBER_KINDS + NAME_KINDS))
            old = qa.slots[slot]
            others = sorted({v for k, v in chunk.values if k == slot_kind(slot) and v != old and _find(v, qa.sentence) < 0})
            if not others:
                continue
            style = rng.choice(["span", "sentence"])
            answer = _replace_value(_answer(qa, style), old, rng.choice(others))
            add("swapped_value", qa.question, answer, maybe_no_quote(quotes_for(qa, style)), f"{style}:{slot_kind(slot)}")
            made += 1

        # Fabricated quotes: a real sentence with one fact changed, or a sentence this chunk does not have.
        templates = DOC_TYPES[chunk.doc_type]
        for _ in range(PER_CHUNK["fabricated_quote"]):
            missing = [t for t in range(len(templates)) if t not in chunk.templates]
            style = rng.choice(["span", "sentence"])
            if missing and rng.random() < 0.5:
                t = rng.choice(missing)
                values: dict[str, str] = {}
                sentence = doc.fill(templates[t][0], rng, values)
                question, span, answer = (doc.fill(x, rng, values) for x in rng.choice(templates[t][1]))
                add("fabricated_quote", question, span if style == "span" else answer, [sentence], "absent_sentence")
                continue
            qa = rng.choice([qa for qa in chunk.qas if qa.slots])
            slot = rng.choice(sorted(qa.slots))
            old = qa.slots[slot]
            new = changed_value(slot_kind(slot), old, rng, doc.names, doc.base_year) if slot_kind(slot) in NUMBER_KINDS + NAME_KINDS else None
            if new is None:
                continue
            quote = _replace_value(qa.sentence, old, new)
            answer = _replace_value(_answer(qa, style), old, new)
            add("fabricated_quote", qa.question, answer, [quote], f"changed_{slot_kind(slot)}")

        # A real quote that says something else.
        for qa in rng.sample(chunk.qas, k=min(PER_CHUNK["unsupporting_quote"], len(chunk.qas))):
            style = rng.choice(["span", "sentence"])
            others = [s for s in chunk.sentences if _find(qa.span, s) < 0 and s != qa.sentence]
            add("unsupporting_quote", qa.question, _answer(qa, style), [rng.choice(others)], style)

        # Not a real pair.
        for _ in range(PER_CHUNK["bad_form"]):
            qa = rng.choice(chunk.qas)
            style = rng.choice(["span", "sentence"])
            answer, quotes = _answer(qa, style), maybe_no_quote(quotes_for(qa, style))
            detail = rng.choice(
                ["statement", "copied", "refers_to_text", "truncated", "empty_answer", "repeats_question", "unknown_answer", "pronoun"]
            )
            question = qa.question
            if detail == "statement":
                question = qa.sentence_answer
            elif detail == "copied":
                question = qa.sentence.rstrip(".") + rng.choice(["?", ""])
            elif detail == "refers_to_text":
                question = rng.choice(
                    [
                        "According to the text, " + question[0].lower() + question[1:],
                        "What does the passage say about " + rng.choice(list(qa.slots.values()) or [doc.fixed["town"]]) + "?",
                        question.rstrip("?") + ", as mentioned above?",
                    ]
                )
            elif detail == "truncated":
                words = question.rstrip("?").split(" ")
                cut = rng.randint(3, max(3, len(words) - 1))
                question = " ".join(words[:cut]) + rng.choice(["", "...", " the", ","])
            elif detail == "empty_answer":
                answer = rng.choice(["", " ", "."])
            elif detail == "repeats_question":
                answer = question
            elif detail == "unknown_answer":
                answer = rng.choice(["The text does not say.", "Not mentioned.", "I don't know.", "The passage does not mention it."])
            elif detail == "pronoun":
                name = {"company": doc.fixed["company"], "town": doc.fixed["town"], "museum": "the " + doc.fixed["museum"]}[chunk.doc_type]
                subject = re.search(rf"\b(did|does|was|is|has) {re.escape(name)}\b", question)
                if subject:
                    question = question.replace(subject.group(), f"{subject.group(1)} it")
                else:
                    question = rng.choice(PRONOUN_QUESTIONS)
            add("bad_form", question, answer, quotes, detail)
        pairs.extend(out)
    return pairs


if __name__ == "__main__":
    sample = labelled_set(seed=0, documents=3)
    print(sample[0].chunk)
    shown: set[str] = set()
    for pair in sample:
        if pair.kind not in shown or pair.kind == TRUE and len(shown) < 2:
            shown.add(pair.kind)
            print(f"[{pair.kind}/{pair.detail}] Q: {pair.question}\n    A: {pair.answer}\n    quotes: {pair.quotes}")
    print(f"{len(labelled_set())} pairs in the default set")
