"""Matching an intent's wanted attributes against an item's attributes.

Shared by the customer's soft score and the vendor's relevance rule so both
sides read attributes the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from intentcast.protocol.fields import AttributeValue


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
