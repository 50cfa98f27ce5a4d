"""Matching an intent's wanted attributes against an item's attributes.

One rule, shared by the customer's soft score (:mod:`.ranking`) and the
vendor's relevance rule (:mod:`.relevance`), so both sides read attributes
the same way: values coerced by type (:func:`coerce`), names matched with
or without a unit suffix (:func:`find_attribute`), and three outcomes per
wanted attribute (:func:`check_attribute`): it matches, the item does not
state it (unknown: half credit), or it conflicts (none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from intentcast.protocol.fields import AttributeValue

from .analysis import (
    Quantity,
    attribute_base,
    attribute_unit,
    canonical,
    parse_quantity,
    quantity,
    stem,
)


def describe_value(value: AttributeValue) -> str:
    """An attribute value as a user would write it: ``128``, ``64-256``, ``yes``."""
    if type(value) is tuple:
        return f"{value[0]}-{value[1]}"
    if type(value) is bool:
        return "yes" if value else "no"
    return str(value)


# --- the vendor's relevance rule: values coerced by type ------------------

_YES = frozenset({"yes", "y", "true", "ja", "oui", "si", "1"})
_NO = frozenset({"no", "n", "false", "nein", "non", "0"})


@dataclass(frozen=True, slots=True)
class Coerced:
    """An attribute value read by its type: ``kind`` is ``range``,
    ``boolean``, ``quantity``, ``number`` or ``text``."""

    kind: str
    value: object
    #: The plain number, for a quantity or number (compared when only one
    #: side has a unit).
    number: float | None = None
    shown: str = ""


def coerce(name: str, value: AttributeValue) -> Coerced:
    """``value`` of attribute ``name`` by type: a unit from the value or the
    name's suffix (``storage_gb``) makes a quantity, ``"yes"``/``"no"`` a
    boolean, ``"42"`` a number."""
    unit = attribute_unit(name)
    if type(value) is tuple:
        return Coerced("range", value, shown=describe_value(value))
    if type(value) is bool:
        return Coerced("boolean", value, shown=describe_value(value))
    if type(value) is int:
        q = quantity(str(value), unit) if unit else None
        if q is not None:
            return Coerced("quantity", q, float(value), shown=str(value))
        return Coerced("number", float(value), float(value), shown=str(value))
    text = str(value).strip().casefold()
    if text in _YES and not text.isdigit():
        return Coerced("boolean", True, shown="yes")
    if text in _NO and not text.isdigit():
        return Coerced("boolean", False, shown="no")
    q = parse_quantity(text)
    if q is not None:
        return Coerced("quantity", q, float(text.split()[0]) if " " in text else None,
                       shown=str(value).strip())  # fmt: skip
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return Coerced("text", text, shown=str(value).strip())
    q = quantity(text, unit) if unit else None
    if q is not None:
        return Coerced("quantity", q, number, shown=f"{text} {unit}")
    return Coerced("number", number, number, shown=text)


def _range_holds(wanted: tuple[int, int], wanted_name: str, have: Coerced) -> bool:
    lo, hi = wanted
    if have.kind == "quantity":
        assert isinstance(have.value, Quantity)
        unit = attribute_unit(wanted_name)
        q_lo = quantity(str(lo), unit) if unit else None
        q_hi = quantity(str(hi), unit) if unit else None
        if q_lo is not None and q_hi is not None:
            return q_lo.value * 0.999 <= have.value.value <= q_hi.value * 1.001
        return have.number is not None and lo <= have.number <= hi
    return have.kind == "number" and isinstance(have.value, float) and lo <= have.value <= hi


def coerced_matches(
    wanted_name: str, wanted: AttributeValue, have_name: str, have: AttributeValue
) -> tuple[bool, Coerced, Coerced]:
    """Does an item's ``have`` satisfy ``wanted``, each read by its type?
    Returns the verdict and both coerced values (for the explanation)."""  # fmt: skip
    w, h = coerce(wanted_name, wanted), coerce(have_name, have)
    if w.kind == "range":
        assert type(wanted) is tuple
        return _range_holds(wanted, wanted_name, h), w, h
    if w.kind == "quantity" and h.kind == "quantity":
        assert isinstance(w.value, Quantity) and isinstance(h.value, Quantity)
        if w.value.dimension == h.value.dimension:
            return w.value.equals(h.value), w, h
        return False, w, h
    if {w.kind, h.kind} <= {"quantity", "number"}:
        return w.number is not None and w.number == h.number, w, h
    if w.kind != h.kind:
        return False, w, h
    if w.kind == "text":
        assert isinstance(w.value, str) and isinstance(h.value, str)
        if w.value == h.value:
            return True, w, h
        words_w = {canonical(stem(x)) for x in w.value.split()}
        words_h = {canonical(stem(x)) for x in h.value.split()}
        return words_w == words_h, w, h
    return w.value == h.value, w, h


def find_attribute(name: str, have: Mapping[str, AttributeValue]) -> str | None:
    """The item's attribute an intent's ``name`` refers to: the same name,
    else one with the same name without its unit suffix (``frame`` and
    ``frame_cm``), else None."""
    if name in have:
        return name
    base = attribute_base(name)
    for key in have:
        if attribute_base(key) == base:
            return key
    return None


#: The credit an attribute the item does not state earns (a match earns 1,
#: a conflict 0): unknown is not a match, and not a conflict either.
UNKNOWN_CREDIT: Final = 0.5


@dataclass(frozen=True, slots=True)
class AttributeCheck:
    """One wanted attribute against an item: ``state`` is ``match``,
    ``unknown`` (the item does not state it) or ``conflict``."""

    name: str
    state: str
    #: The item's attribute the name refers to (None when unknown).
    key: str | None = None
    #: The item's value and the wanted one as written, kinds added where
    #: the written forms alone would read the same.
    have: str = ""
    want: str = ""

    @property
    def credit(self) -> float:
        return 1.0 if self.state == "match" else UNKNOWN_CREDIT if self.state == "unknown" else 0.0

    def describe(self, wanter: str = "you want") -> str:
        """``does not state color`` or ``storage_gb is 128, you want 256``."""
        if self.state == "unknown":
            return f"does not state {self.name}"
        if self.state == "match":
            return f"{self.key} is {self.have}"
        return f"{self.key} is {self.have}, {wanter} {self.want}"


def check_attribute(
    name: str, wanted: AttributeValue, have: Mapping[str, AttributeValue]
) -> AttributeCheck:
    """Does an item with attributes ``have`` satisfy the wanted ``name =
    wanted``? Values are read by type on both sides (:func:`coerce`)."""
    key = find_attribute(name, have)
    if key is None:
        return AttributeCheck(name, "unknown")
    ok, w, h = coerced_matches(name, wanted, key, have[key])
    if ok:
        return AttributeCheck(name, "match", key, h.shown, w.shown)
    want, shown = w.shown, h.shown
    if want == shown:  # never "X is yes, you want yes"
        want, shown = f"{want} ({w.kind})", f"{shown} ({h.kind})"
    return AttributeCheck(name, "conflict", key, shown, want)


class AttributeScorer:
    """An intent's wanted attributes against many items (the customer's
    ranking: one per offer), by :func:`check_attribute`, each distinct value
    an item states checked once."""

    __slots__ = ("by_value", "other", "wanted")

    def __init__(self, wanted: Mapping[str, AttributeValue]) -> None:
        self.wanted = tuple(wanted.items())
        #: Per wanted name: the item's value under that same name -> (its
        #: type, credit, note). The type is kept because True == 1 as keys.
        self.by_value: dict[str, dict[AttributeValue, tuple[type, float, str]]] = {
            name: {} for name in wanted
        }
        #: Items that state the name otherwise (frame_cm for frame) or not at all.
        self.other: dict[tuple[object, ...], tuple[float, str]] = {}

    def verdict(
        self, name: str, value: AttributeValue, have: Mapping[str, AttributeValue]
    ) -> tuple[float, str]:
        """``(credit, note)`` of one wanted attribute: 1 for a match, half
        for one the item does not state, 0 for a conflict; the note names
        the last two ("" for a match)."""
        stated = have.get(name)
        if stated is not None:
            seen = self.by_value[name]
            known = seen.get(stated)
            if known is None or known[0] is not type(stated):
                credit, note = _verdict(name, value, name, stated)
                known = seen[stated] = (type(stated), credit, note)
            return known[1], known[2]
        key = find_attribute(name, have)
        ck = (name, key, None) if key is None else (name, key, type(have[key]), have[key])
        found = self.other.get(ck)
        if found is None:
            found = self.other[ck] = _verdict(name, value, key, None if key is None else have[key])
        return found

    def value(self, have: Mapping[str, AttributeValue]) -> float:
        """The attributes criterion's value (0..1): the mean credit."""
        wanted = self.wanted
        if not wanted:
            return 1.0
        got = 0.0
        by_value = self.by_value
        for name, value in wanted:
            stated = have.get(name)
            if stated is not None:  # the common case, inlined: it runs per offer
                known = by_value[name].get(stated)
                if known is not None and known[0] is type(stated):
                    got += known[1]
                    continue
            got += self.verdict(name, value, have)[0]
        return got / len(wanted)

    def notes(self, have: Mapping[str, AttributeValue]) -> tuple[str, ...]:
        """The unknown and conflicting attributes, in a few words each (read
        only when a ranked offer is built: no per-offer tuples in the loop)."""
        notes = (self.verdict(name, value, have)[1] for name, value in self.wanted)
        return tuple(note for note in notes if note)


def _verdict(
    name: str, value: AttributeValue, key: str | None, stated: AttributeValue | None
) -> tuple[float, str]:
    """(credit, note) of one wanted attribute against one stated value."""
    check = check_attribute(name, value, {} if key is None or stated is None else {key: stated})
    return check.credit, "" if check.state == "match" else check.describe()
