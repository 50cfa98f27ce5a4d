"""Short human text for a ranked or rejected offer (the CLI shows it)."""

from __future__ import annotations

from .formatting import format_date, format_money
from .ranking import RankedOffer, RejectedOffer


def explain(entry: RankedOffer | RejectedOffer) -> str:
    """One or two lines saying why an offer is where it is.

    Ranked::

        #1 Kiez Phones: Pixel 8 (128 GB) for 489.00 EUR, delivered by
        2026-11-25 12:00 UTC, vendor rating 4.62 stars. Score 83.4 of 100:
        price 33.1/40, speed 17.2/20, reputation 18.5/20, terms 4.0/10,
        attributes 10.0/10.

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
        f"{format_date(o.deliver_by)}, vendor rating {entry.rating / 100:.2f} stars. "
        f"Score {entry.score:.1f} of 100: {parts}."
    )
    if entry.attribute_notes and entry.out_of.attributes > 0:
        text += f" Attributes: {'; '.join(entry.attribute_notes)}."
    return text
