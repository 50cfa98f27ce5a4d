"""Text analysis for relevance, the same on both sides of a match.

Text is case-folded, split into words (hyphenated and glued tokens also
kept whole: ``t-shirt`` gives ``t``, ``shirt`` and ``tshirt``), stemmed
(Snowball, English), mapped through the retail lexicon's synonyms
(:mod:`.lexicon`), and numbers with a unit read as quantities (``55inch`` =
``140 cm``, ``1.7 litre`` = ``1700 ml``). An item's words carry the weight
of the field they come from (:func:`item_analysis`: title and keywords
count fully, attribute values and the category's leaf less, text after
"for" in a title less still). The query side and the index: :mod:`.search`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Final

import snowballstemmer  # type: ignore[import-untyped]

from . import lexicon

if TYPE_CHECKING:
    from .catalog import CatalogItem

#: Field weights of an item's words.
TITLE: Final = 1.0
KEYWORD: Final = 1.0
ATTRIBUTE: Final = 0.8
CATEGORY_LEAF: Final = 0.8
#: Words after "for" in an item title: the item is *for* them, not one.
PURPOSE: Final = 0.6
DESCRIPTION: Final = 0.3
#: Two quantities are equal within this relative tolerance (55 inch = 140 cm).
TOLERANCE: Final = 0.03

_STEMMER: Final = snowballstemmer.stemmer("english")
#: A number as people write one: digits, a decimal point or comma and more digits.
NUMBER: Final = r"\d+(?:[.,]\d+)?"
_RAW: Final = re.compile(NUMBER + r"|[^\W_]+(?:[-'][^\W_]+)*")
PART: Final = re.compile(NUMBER + r"|[^\W\d_]+")
_BREAK: Final = re.compile(r"[,;:()\[\]|/+]|\s-\s")
INCH: Final = re.compile(r"(\d)\s*(?:\"|''|”)")


@cache
def stem(word: str) -> str:
    """One word as matched: irregular plurals folded, Snowball-stemmed."""
    word = lexicon.IRREGULAR.get(word, word)
    if word[0].isdigit():
        return word.replace(",", ".")
    return str(_STEMMER.stemWord(word))


def _raw_key(words: Sequence[str]) -> str:
    return stem("".join(words))


def _build_synonyms() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lexicon.SYNONYMS.strip().splitlines():
        entries = [e.strip() for e in line.split(",") if e.strip()]
        canonical = _raw_key(entries[0].split())
        for entry in entries:
            out.setdefault(_raw_key(entry.split()), canonical)
    return out


SYNONYMS: Final = _build_synonyms()
CANONICALS: Final = frozenset(SYNONYMS.values())
#: Words the lexicon knows as products (the canonical words of its groups).
_PRODUCT_WORDS: Final = CANONICALS


def canonical(term: str) -> str:
    """The lexicon's word for ``term`` (``couch`` -> ``sofa``)."""
    return SYNONYMS.get(term, term)


def _build_related() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in lexicon.RELATED.strip().splitlines():
        word, _, terms = line.partition(":")
        out[canonical(stem(word.strip()))] = tuple(
            canonical(_raw_key(t.split())) for t in terms.split(",") if t.strip()
        )
    return out


RELATED: Final = _build_related()
FILLER: Final = lexicon.FILLER


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit, in the dimension's base unit (mm, g, ml, GB...)."""

    dimension: str
    value: float

    def equals(self, other: Quantity) -> bool:
        return self.dimension == other.dimension and math.isclose(
            self.value, other.value, rel_tol=TOLERANCE
        )

    def shown(self) -> str:
        return f"{self.value:g} {_BASE_UNIT[self.dimension]}"


_BASE_UNIT: Final = {
    "data": "GB", "length": "mm", "mass": "g", "volume": "ml", "power": "W",
    "charge": "mAh", "energy": "Wh", "frequency": "Hz", "pixels": "MP",
}  # fmt: skip


def quantity(number: str, unit: str) -> Quantity | None:
    """``number`` ``unit`` as a quantity, or None if ``unit`` is not a unit."""
    known = lexicon.UNITS.get(unit)
    if known is None:
        return None
    return Quantity(known[0], float(number.replace(",", ".")) * known[1])


def parse_quantity(text: str) -> Quantity | None:
    """A whole text that is one quantity (``"256 GB"``, ``"42cm"``), else None."""
    parts = PART.findall(INCH.sub(r"\1 inch", text.casefold()))
    if len(parts) == 2 and parts[0][0].isdigit():
        return quantity(parts[0], parts[1])
    return None


@dataclass(slots=True)
class Analysis:
    """Terms (with their field weight) and quantities of some text."""

    terms: dict[str, float] = field(default_factory=dict)
    quantities: list[Quantity] = field(default_factory=list)

    def add(self, term: str, weight: float) -> None:
        if term and self.terms.get(term, 0.0) < weight:
            self.terms[term] = weight


def segments(text: str) -> list[list[str]]:
    """Raw words of ``text``, in segments split at punctuation."""
    text = INCH.sub(r"\1 inch ", text.casefold())
    return [_RAW.findall(seg) for seg in _BREAK.split(text)]


def analyse(text: str, weight: float, into: Analysis, *, purpose_weight: float = PURPOSE) -> None:
    """Add the words and quantities of ``text`` (an item field) to ``into``."""
    for raw in segments(text):
        w = weight
        previous: str | None = None
        before: str | None = None
        for n, word in enumerate(raw):
            if word == "for":
                w = weight * purpose_weight
            if word in FILLER:
                before = previous = None
                continue
            parts = PART.findall(word)
            unit_next = n + 1 < len(raw) and raw[n + 1] in lexicon.UNITS
            if len(parts) == 2 and parts[0][0].isdigit() and (q := quantity(*parts)):
                into.quantities.append(q)
                into.add(parts[0], w)
            elif len(parts) == 1 and word[0].isdigit() and unit_next:
                q = quantity(word, raw[n + 1])
                if q is not None:
                    into.quantities.append(q)
            if word in lexicon.UNITS and n > 0 and raw[n - 1][0].isdigit():
                before = previous = None
                continue
            for part in parts:
                if part not in FILLER:
                    into.add(canonical(stem(part)), w)
            whole = "".join(parts)
            if len(parts) > 1:
                into.add(canonical(stem(whole)), w)
            if previous is not None:
                into.add(canonical(stem(previous + whole)), w)
                if before is not None:
                    into.add(canonical(stem(before + previous + whole)), w)
            before, previous = previous, whole


def item_analysis(item: CatalogItem) -> Analysis:
    """Everything an intent may match on an item, with field weights."""
    a = Analysis()
    analyse(item.title, TITLE, a)
    _demote_modifiers(item.title, a)
    for keyword in (*item.keywords, *item.aliases):
        analyse(keyword, KEYWORD, a)
    if len(item.category) > 1:
        # The leaf names what the item is, as one word ("sofas" -> sofa,
        # "power-banks" -> powerbank); no segment is split into words and
        # inner segments add none ("home/garden" must not make "garden"
        # match every item under it).
        a.add(canonical(stem(item.category[-1].replace("-", ""))), CATEGORY_LEAF)
    for name, value in item.attributes.items():
        if value is True:
            # waterproof = true, dual_sim = true: the item *is* that.
            analyse(attribute_base(name).replace("_", " "), ATTRIBUTE, a)
        elif type(value) is str:
            analyse(value, ATTRIBUTE, a)
        elif type(value) is int:
            a.add(str(value), ATTRIBUTE)
            unit = attribute_unit(name)
            if unit is not None and (q := quantity(str(value), unit)):
                a.quantities.append(q)
    if item.description:
        analyse(item.description, DESCRIPTION, a)
    return a


#: Weight of a product word that modifies another in a title ("bike" in "bike helmet").
MODIFIER: Final = 0.6


def _demote_modifiers(title: str, a: Analysis) -> None:
    """In "Bike helmet with MIPS" the item is a helmet: when the last word
    before "with"/"for" (the head) is a product word of the lexicon, the
    other lexicon product words before it weigh :data:`MODIFIER`."""
    raw = segments(title)[0]
    for stop in ("with", "for"):
        if stop in raw:
            raw = raw[: raw.index(stop)]
    words = [w for w in raw if w not in FILLER and not w[0].isdigit()]
    if len(words) < 2:
        return
    head = canonical(stem("".join(PART.findall(words[-1]))))
    if head not in _PRODUCT_WORDS:
        return
    for word in words[:-1]:
        term = canonical(stem("".join(PART.findall(word))))
        if term in _PRODUCT_WORDS and term != head and a.terms.get(term, 0.0) > MODIFIER:
            a.terms[term] = MODIFIER


def attribute_unit(name: str) -> str | None:
    """The unit an attribute's name gives its numbers (``storage_gb`` -> ``gb``)."""
    _, sep, suffix = name.rpartition("_")
    return lexicon.UNIT_SUFFIXES.get(suffix) if sep else None


def attribute_base(name: str) -> str:
    """An attribute's name without its unit suffix (``frame_cm`` -> ``frame``)."""
    return name.rpartition("_")[0] if attribute_unit(name) else name
