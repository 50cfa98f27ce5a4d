"""Matching an intent's wanted attributes against an item's attributes.

Shared by the customer's soft score and the vendor's relevance rule so both
sides read attributes the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from intentcast.protocol.fields import AttributeValue

from .search import (
    Quantity,
    attribute_base,
    attribute_unit,
    canonical,
    parse_quantity,
    quantity,
    stem,
)


def attribute_matches(wanted: AttributeValue, have: AttributeValue) -> bool:
    """Does an item's value satisfy a wanted value?

    Text matches text case-insensitively (``"Black"`` = ``"black"``); an
    integer matches an equal integer or falls within a wanted ``(lo, hi)``
    range, inclusive; a boolean matches only the same boolean. Values of
    different kinds never match (``True`` is not ``1``).
    """
    if type(wanted) is tuple:
        return type(have) is int and wanted[0] <= have <= wanted[1]
    if type(wanted) is not type(have):
        return False
    if type(wanted) is str:
        return wanted.strip().casefold() == have.strip().casefold()  # type: ignore[union-attr]
    return wanted == have


def count_attribute_matches(
    wanted: Mapping[str, AttributeValue], have: Mapping[str, AttributeValue]
) -> tuple[int, int]:
    """``(matches, conflicts)``: wanted attributes the item satisfies, and
    wanted attributes the item has with another value. Attributes the item
    does not state count as neither."""
    matches = conflicts = 0
    for name, value in wanted.items():
        if name in have:
            if attribute_matches(value, have[name]):
                matches += 1
            else:
                conflicts += 1
    return matches, conflicts


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
