"""Why an intent may get no offers, from what the customer's node already
knows about vendors; and defaults most of them accept.

Pure: the node hands in what it knows (the vendors whose offers it has
opened, with the category of the intent each answered), and nothing here
asks any vendor anything: a hint costs the customer no privacy.

A hint names a choice of the intent (a payment mode, a customer term, the
region, the category) that fewer known vendors accept than the others, and
how many accept the alternative: "payment: 1 of 3 vendors your node knows
takes prepay; 3 take pay-on-delivery".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from intentcast.protocol import Offer
from intentcast.protocol import Terms as ProtocolTerms

from .constraints import ships_to_region


@dataclass(frozen=True, slots=True)
class KnownVendor:
    """What the customer's node learned of one vendor from its offers."""

    key: bytes
    name: str
    payment_modes: frozenset[str]
    customer_terms: frozenset[str]
    ships_to: frozenset[str]
    #: Category paths (``services/repair``) of the intents it answered.
    categories: frozenset[str]


def known_vendors(offers: Iterable[tuple[Offer, Sequence[str]]]) -> list[KnownVendor]:
    """One :class:`KnownVendor` per vendor key, from ``(offer, category of
    the intent it answered)`` pairs: the union of what its offers said."""
    seen: dict[bytes, dict[str, set[str]]] = {}
    names: dict[bytes, str] = {}
    for offer, category in offers:
        sets = seen.setdefault(
            offer.vendor_key, {"pay": set(), "cc": set(), "ships": set(), "cat": set()}
        )
        names[offer.vendor_key] = offer.vendor_name
        sets["pay"].update(offer.payment_modes)
        sets["cc"].update(offer.customer_terms)
        sets["ships"].update(offer.ships_to)
        sets["cat"].add("/".join(category))
    return [
        KnownVendor(
            key=key,
            name=names[key],
            payment_modes=frozenset(s["pay"]),
            customer_terms=frozenset(s["cc"]),
            ships_to=frozenset(s["ships"]),
            categories=frozenset(s["cat"]),
        )
        for key, s in sorted(seen.items())
    ]


def default_payment_modes(vendors: Sequence[KnownVendor]) -> tuple[str, ...] | None:
    """The payment mode most known vendors take (every mode tied for most),
    for an intent that names none; None when no vendor is known (then the
    protocol's default stands)."""
    counts: dict[str, int] = {}
    for v in vendors:
        for mode in v.payment_modes:
            counts[mode] = counts.get(mode, 0) + 1
    if not counts:
        return None
    best = max(counts.values())
    return tuple(sorted(m for m, n in counts.items() if n == best))


#: The draft fields a hint may be about.
HintField: TypeAlias = Literal["payment_modes", "customer_terms", "region", "category"]


@dataclass(frozen=True, slots=True)
class Hint:
    """One choice of an intent fewer known vendors accept than another. The
    local API answers it as it is (``hints`` of ``GET /v1/intents/{key}/offers``)."""

    #: The draft field it is about.
    field: HintField
    #: The intent's value (a mode, a term, the region, the category).
    value: str
    #: How many of the ``known`` vendors accept it.
    accepted_by: int
    known: int
    #: A value more known vendors accept, if there is one, and how many.
    instead: str | None
    instead_accepted_by: int
    message: str


def _vendors(n: int) -> str:
    return f"{n} vendor" if n == 1 else f"{n} vendors"


def why_no_offers(
    terms: ProtocolTerms, category: Sequence[str], vendors: Sequence[KnownVendor]
) -> list[Hint]:
    """The intent's choices that fewer known vendors accept than others,
    rarest first (empty when no vendor is known or every one fits)."""
    known = len(vendors)
    if not known:
        return []
    hints: list[Hint] = []
    of = f"of the {_vendors(known)} your node knows"

    mine = set(terms.payment_modes)
    takes = sum(1 for v in vendors if v.payment_modes & mine)
    others = {m: sum(1 for v in vendors if m in v.payment_modes) for m in _modes(vendors) - mine}
    if others:
        alt, alt_n = max(sorted(others.items()), key=lambda kv: kv[1])
        if alt_n > takes:
            shown = " or ".join(sorted(mine))
            hints.append(
                Hint(
                    "payment_modes",
                    shown,
                    takes,
                    known,
                    alt,
                    alt_n,
                    f"payment: {takes} {of} take {shown}; {alt_n} take {alt}",
                )
            )
    for term in terms.customer_terms:
        n = sum(1 for v in vendors if term in v.customer_terms)
        if n < known:
            hints.append(
                Hint(
                    "customer_terms",
                    term,
                    n,
                    known,
                    None,
                    known,
                    f"term {term}: {n} {of} have agreed to it",
                )
            )
    n = sum(1 for v in vendors if ships_to_region(v.ships_to, terms.region))
    if n < known:
        hints.append(
            Hint(
                "region",
                terms.region,
                n,
                known,
                None,
                known,
                f"region {terms.region}: {n} {of} ship there",
            )
        )
    path = "/".join(category)
    n = sum(1 for v in vendors if any(_related(path, c) for c in v.categories))
    if n < known:
        hints.append(
            Hint(
                "category",
                path,
                n,
                known,
                None,
                known,
                f"category {path}: {n} {of} have answered intents in it",
            )
        )
    hints.sort(key=lambda h: (h.accepted_by / h.known, h.field))
    return hints


def _modes(vendors: Sequence[KnownVendor]) -> set[str]:
    return {m for v in vendors for m in v.payment_modes}


def _related(a: str, b: str) -> bool:
    """Whether one category path is the other or below it."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


__all__ = ["Hint", "KnownVendor", "default_payment_modes", "known_vendors", "why_no_offers"]
