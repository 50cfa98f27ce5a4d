"""The customer's hard constraints on an offer, each named and explained.

An offer that breaks any of them is never ranked. :func:`find_violations`
names every broken constraint in plain language; the ranking uses it to
explain each rejection, and the vendor side uses it to make sure it never
sends an offer the customer would reject.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from intentcast.protocol import Intent, Offer, Signed
from intentcast.protocol.vocab import KNOWN_CUSTOMER_TERMS, WORLDWIDE

from .formatting import format_date, format_money, join_list
from .reputation import (
    NO_RATINGS,
    PRIOR_RATING,
    RatingSummary,
    describe_reputation,
    meets_minimum,
)

NAME_YOUR_PRICE = "name-your-price"


class Constraint(enum.StrEnum):
    """The hard constraints of an intent's terms, one name each."""

    #: The offer answers this intent, at its current revision.
    INTENT = "intent"
    CURRENCY = "currency"
    #: Total price within the customer's maximum for the whole quantity.
    PRICE = "price"
    QUANTITY = "quantity"
    DELIVERY = "delivery"
    REGION = "region"
    #: Every customer term the intent requires is accepted (one violation per term).
    CUSTOMER_TERM = "customer-term"
    PAYMENT = "payment"
    RATING = "rating"
    #: The offer has not expired.
    VALIDITY = "validity"


@dataclass(frozen=True, kw_only=True, slots=True)
class Violation:
    """One broken hard constraint, with a sentence a customer understands
    (it reads after the offer's name: "Acme: <message>")."""

    constraint: Constraint
    message: str


def ships_to_region(ships_to: Iterable[str], region: str) -> bool:
    """Does a ships-to list cover the customer's region?

    ``*`` covers everything. A country code covers that country. A geohash
    prefix covers every region inside it: ``u33`` covers ``u33db``, but
    ``u33db`` does not cover ``u33`` (the customer may live outside it).
    Countries and geohashes are not converted into each other: a vendor
    shipping to ``DE`` does not cover a customer who gave ``u33db``.
    Countries are upper case and geohashes lower case, so a plain prefix
    test is exact for every valid region.
    """
    return any(entry == WORLDWIDE or region.startswith(entry) for entry in ships_to)


def effective_price(offer: Offer, customer_modes: Iterable[str]) -> int:
    """The least the customer can pay for the offer: its floor when both
    sides take name-your-price (the vendor is bound to accept any price at
    or above it), otherwise its price."""
    if (
        offer.price_floor is not None
        and NAME_YOUR_PRICE in offer.payment_modes
        and NAME_YOUR_PRICE in customer_modes
    ):
        return offer.price_floor
    return offer.price


def accept_terms(
    offer: Offer, customer_modes: Iterable[str], mode: str | None, price: int | None
) -> tuple[str, int]:
    """The payment mode and price an accept of ``offer`` carries, from what
    the customer chose (None: not chosen). Unchosen, they are the ones the
    ranking showed: the floor under name-your-price when both sides take it
    (:func:`effective_price`), else the offer's price in the first mode both
    sides take. A price named without a mode is a named price, when the
    offer takes name-your-price."""
    modes = tuple(customer_modes)
    shown = effective_price(offer, modes)
    if mode is None:
        nyp = NAME_YOUR_PRICE in offer.payment_modes and NAME_YOUR_PRICE in modes
        if nyp and (price is not None or shown != offer.price):
            mode = NAME_YOUR_PRICE
        else:
            mode = next((m for m in offer.payment_modes if m in modes), offer.payment_modes[0])
    if price is None:
        price = shown if mode == NAME_YOUR_PRICE else offer.price
    return mode, price


def describe_term(term: str) -> str:
    """``cc:no-tracking (no tracking of the customer beyond ...)``."""
    meaning = KNOWN_CUSTOMER_TERMS.get(term)
    return f"{term} ({meaning})" if meaning else term


def find_violations(
    intent: Signed[Intent],
    offer: Signed[Offer],
    *,
    now: int,
    rating: RatingSummary = NO_RATINGS,
    earlier_revisions: Iterable[Signed[Intent]] = (),
) -> tuple[Violation, ...]:
    """Every hard constraint of ``intent`` (its current revision) that
    ``offer`` breaks, in a fixed order; empty if the offer is acceptable.

    ``rating`` is what the customer knows of the offer's vendor.
    ``earlier_revisions`` (optional) lets the message say "answers an
    earlier revision" instead of "answers another intent".
    """
    i, o, t = intent.message, offer.message, intent.message.terms
    out: list[Violation] = []

    def broke(constraint: Constraint, message: str) -> None:
        out.append(Violation(constraint=constraint, message=message))

    if o.intent_id != intent.id:
        earlier = next(
            (r for r in earlier_revisions if r.id == o.intent_id and r.signer == intent.signer),
            None,
        )
        if earlier is not None:
            broke(
                Constraint.INTENT,
                f"answers revision {earlier.message.revision} of your intent, which you have "
                f"since amended (now revision {i.revision}); the vendor has not agreed to your "
                "current terms",
            )
        else:
            broke(Constraint.INTENT, f"answers another intent ({o.intent_id.hex()[:12]}…)")
    if o.valid_until <= now:
        broke(Constraint.VALIDITY, f"expired at {format_date(o.valid_until)}")
    if o.quantity != i.quantity:
        broke(Constraint.QUANTITY, f"is for {_units(o.quantity)}; you asked for {i.quantity}")
    if o.currency != t.currency:
        broke(Constraint.CURRENCY, f"is priced in {o.currency}; you pay in {t.currency}")
    else:
        price = effective_price(o, t.payment_modes)
        if price > t.max_price:
            what = "its name-your-price floor is" if price != o.price else "costs"
            broke(
                Constraint.PRICE,
                f"{what} {format_money(price, o.currency)} for {_units(o.quantity)}, above "
                f"your maximum of {format_money(t.max_price, t.currency)}",
            )
    if t.deliver_by is not None and o.deliver_by > t.deliver_by:
        broke(
            Constraint.DELIVERY,
            f"delivers by {format_date(o.deliver_by)}; you need it by {format_date(t.deliver_by)}",
        )
    if not ships_to_region(o.ships_to, t.region):
        broke(
            Constraint.REGION,
            f"does not ship to your region {t.region} (ships to {join_list(o.ships_to)})",
        )
    for term in t.customer_terms:
        if term not in o.customer_terms:
            broke(Constraint.CUSTOMER_TERM, f"does not accept your term {describe_term(term)}")
    if not set(o.payment_modes).intersection(t.payment_modes):
        broke(
            Constraint.PAYMENT,
            f"takes only {join_list(o.payment_modes)}; you pay by "
            f"{join_list(t.payment_modes).replace(' and ', ' or ')}",
        )
    if t.min_rating and not meets_minimum(rating, t.min_rating):
        broke(
            Constraint.RATING,
            f"vendor rating {describe_rating(rating)} is below your minimum of "
            f"{t.min_rating / 100:.2f} stars",
        )
    return tuple(out)


def describe_rating(rating: RatingSummary) -> str:
    """The figure and why it is what it is: ``3.18 stars from 1 verified
    deal (rated 5.00 on average; few, old or bunched deals count towards
    3 stars)``."""
    prior = f"{PRIOR_RATING / 100:g} stars"
    if rating.count == 0 and not rating.own_weight:
        return f"{describe_reputation(rating)} (new vendors start at {prior})"
    mean = f"rated {rating.total / rating.count / 100:.2f} on average; " if rating.count else ""
    return f"{describe_reputation(rating)} ({mean}few, old or bunched deals count towards {prior})"


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"
