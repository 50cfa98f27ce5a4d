"""Short human text for a ranked or rejected offer (the CLI shows it)."""

from __future__ import annotations

from .formatting import format_date, format_money
from .ranking import RankedOffer, RejectedOffer
from .reputation import PRIOR_RATING, PRIOR_WEIGHT, WEIGHT_UNIT, describe_reputation


def explain(entry: RankedOffer | RejectedOffer) -> str:
    """One or two lines saying why an offer is where it is.

    Ranked::

        #1 Kiez Phones: Pixel 8 (128 GB) for 489.00 EUR, delivered by
        2026-11-25 12:00 UTC, vendor rating 4.62 stars from 37 verified
        deals, last 3 months. Score 83.4 of 100: price 33.1/40, speed
        17.2/20, reputation 18.5/20, terms 4.0/10, attributes 10.0/10.
        Reputation counted 21.4 of the 37 deals (older deals and deals
        bunched in a short time weigh less) against 10 at 3 stars for
        every vendor.

    The last sentence, how reputation counted, is there when reputation
    has a weight and the vendor has verified deals (or the customer's own
    record of it).

    An attribute the item does not state or states otherwise is named
    after the score: ``Attributes: does not state color; storage_gb is 64,
    you want 128-256.``

    Rejected::

        Rejected Acme: it costs 650.00 EUR for 1 unit is above your maximum
        of 600.00 EUR; does not accept your term cc:no-tracking (...).
    """
    o = entry.offer.message
    if isinstance(entry, RejectedOffer):
        reasons = "; ".join(v.message for v in entry.violations)
        return f"Rejected {o.vendor_name} ({o.item.title}): {reasons}."
    price = format_money(entry.price, o.currency)
    if entry.price != o.price:
        price += f" (name-your-price floor; list price {format_money(o.price, o.currency)})"
    parts = ", ".join(
        f"{name} {points:.1f}/{entry.out_of.as_dict()[name]:.0f}"
        for name, points in entry.breakdown.as_dict().items()
        if entry.out_of.as_dict()[name] > 0
    )
    text = (
        f"#{entry.rank} {o.vendor_name}: {o.item.title} for {price}, delivered by "
        f"{format_date(o.deliver_by)}, vendor rating {describe_reputation(entry.reputation)}. "
        f"Score {entry.score:.1f} of 100: {parts}."
    )
    if entry.out_of.reputation > 0:
        text += _how_reputation_counted(entry)
    if entry.attribute_notes and entry.out_of.attributes > 0:
        text += f" Attributes: {'; '.join(entry.attribute_notes)}."
    return text


def _how_reputation_counted(entry: RankedOffer) -> str:
    """`` Reputation counted 21.4 of the 37 deals (...) against 10 at 3
    stars for every vendor.``; empty for a vendor with no record at all."""
    s = entry.reputation
    if s.count == 0 and s.weight == 0:
        return ""
    deals = f"{s.count} deal{'s' if s.count != 1 else ''}"
    text = (
        f" Reputation counted {s.counted:.1f} of the {deals} (older deals and deals "
        "bunched in a short time weigh less)"
    )
    if s.own_weight:
        own = s.own_weight / WEIGHT_UNIT
        text += f", {own:.2f} for your own accepts it left unanswered or declined, at 0 stars,"
    return text + f" against {PRIOR_WEIGHT} at {PRIOR_RATING / 100:g} stars for every vendor."
