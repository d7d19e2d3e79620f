"""Numbers as the checks compare them: one key for "1,000", "1000" and "1000.0", fractions, rounding.

Pure functions of their text; `tokens` gives a number token its key through `normalize_number`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from .lexicon import FRACTIONS

if TYPE_CHECKING:
    from .tokens import Token

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
_FRACTION = re.compile(rf"(\d?)([{''.join(FRACTIONS)}])")
DECIMAL = re.compile(r"[0-9]{1,30}(?:\.[0-9]{1,30})?")  # what Decimal reads: not "2.4.1", not "0.50.25"


def normalize_number(text: str) -> list[str]:
    """"1,000" = "1000", "4.50" = "4.5", "007" = "7"; "3,4" is two numbers."""
    if "," in text:
        if not _THOUSANDS.fullmatch(text):
            return [n for part in text.split(",") if part for n in normalize_number(part)]
        text = text.replace(",", "")
    if "." in text:
        if _DOT_THOUSANDS.fullmatch(text):
            text = text.replace(".", "")
        elif text.count(".") == 1:
            whole, frac = text.split(".")
            frac = frac.rstrip("0")
            return [(whole.lstrip("0") or "0") + (f".{frac}" if frac else "")]
        else:
            return [text]  # a version number, "1.2.3"
    return [text.lstrip("0") or "0"]


def fractions(text: str) -> str:
    return _FRACTION.sub(lambda m: (m.group(1) or "0") + FRACTIONS[m.group(2)], text)


def number_key(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rounded_present(token: Token, vocab: frozenset[str]) -> bool:
    """A number of the answer that is another number of the text rounded to the answer's precision
    ("1,321" of "1321.33", "3.9 million" of "3,870,000"): a teacher writes numbers as a reader says them."""
    if token.kind != "num" or not DECIMAL.fullmatch(token.key):
        return False
    value = Decimal(token.key)
    places = len(token.key.partition(".")[2])
    step = Decimal(1).scaleb(-places)
    zeros = len(token.key) - len(token.key.rstrip("0")) if "." not in token.key else 0  # "3900000": rounded to 100,000
    for key in vocab:
        if key[:1].isdigit() and key != token.key and DECIMAL.fullmatch(key):
            other = Decimal(key)
            if abs(other - value) < step / 2 + (Decimal(10) ** zeros / 2 if zeros >= 2 else 0) and other != 0:
                if abs(other - value) <= abs(value) * Decimal("0.05"):  # never more than 5 % off
                    return True
    return False
