"""JSON views of intents, offers, rankings and deals."""

from __future__ import annotations

import dataclasses
from typing import Any

from intentcast.matching import RankedOffer, RejectedOffer, explain
from intentcast.matching.formatting import format_money
from intentcast.matching.hints import Hint
from intentcast.matching.reputation import UNANSWERED_AFTER
from intentcast.protocol import (
    Offer,
    Signed,
)
from intentcast.protocol import Terms as ProtocolTerms
from intentcast.protocol.rating import DIMENSIONS
from intentcast.store import Deal, OwnIntent, OwnRating

from .context import ApiContext


def terms_json(t: ProtocolTerms) -> dict[str, Any]:
    """JSON form of an intent's terms (money in minor units, and as text)."""
    return {
        "max_price": t.max_price,
        "max_price_text": format_money(t.max_price, t.currency),
        "currency": t.currency,
        "region": t.region,
        "deliver_by": t.deliver_by,
        "customer_terms": list(t.customer_terms),
        "payment_modes": list(t.payment_modes),
        "min_stars": t.min_rating / 100,
    }


def intent_json(ctx: ApiContext, own: OwnIntent, offers: int | None = None) -> dict[str, Any]:
    """JSON form of an own intent, with how many offers it has (``offers``
    when the caller counted them already)."""
    s, i = own.intent, own.intent.message
    if offers is None:
        offers = len(ctx.node.store.offers.received(s.signer))
    return {
        "key": s.signer.hex(),
        "id": s.id.hex(),
        "state": own.state.value,
        "revision": i.revision,
        "title": i.title,
        "category": "/".join(i.category),
        "description": i.description,
        "attributes": dict(i.attributes),
        "quantity": i.quantity,
        "terms": terms_json(i.terms),
        "preferences": i.preferences.as_dict(),
        "created": i.created,
        "expires": i.expires,
        "offers": offers,
    }


def offer_json(offer: Signed[Offer]) -> dict[str, Any]:
    """JSON form of an opened offer."""
    o = offer.message
    return {
        "id": offer.id.hex(),
        "intent_id": o.intent_id.hex(),
        "vendor": o.vendor_name,
        "vendor_key": o.vendor_key.hex(),
        "item": {
            "title": o.item.title,
            "sku": o.item.sku,
            "description": o.item.description,
            "attributes": dict(o.item.attributes),
        },
        "quantity": o.quantity,
        "price": o.price,
        "price_text": format_money(o.price, o.currency),
        "price_floor": o.price_floor,
        "price_floor_text": None
        if o.price_floor is None
        else format_money(o.price_floor, o.currency),
        "currency": o.currency,
        "deliver_by": o.deliver_by,
        "ships_to": list(o.ships_to),
        "customer_terms": list(o.customer_terms),
        "payment_modes": list(o.payment_modes),
        "valid_until": o.valid_until,
    }


def ranked_json(r: RankedOffer, vendor_rating: str = "") -> dict[str, Any]:
    """JSON form of a ranked offer: rank, score, breakdown and explanation;
    ``vendor_rating``: the vendor's standing from verified ratings
    ("4.6 stars from 37 verified deals, last 3 months")."""
    return {
        "vendor_rating": vendor_rating,
        "rank": r.rank,
        "score": round(r.score, 2),
        "breakdown": {k: round(v, 2) for k, v in r.breakdown.as_dict().items()},
        "out_of": {k: round(v, 2) for k, v in r.out_of.as_dict().items()},
        "price": r.price,
        "rating_stars": round(r.rating / 100, 2),
        "explanation": explain(r),
        # The score and its parts as the explanation prints them (one
        # decimal, rounded once), so a table and the "Why" lines agree.
        "shown": {
            "score": f"{r.score:.1f}",
            **{k: f"{v:.1f}" for k, v in r.breakdown.as_dict().items()},
        },
        "offer": offer_json(r.offer),
    }


def rejected_json(r: RejectedOffer) -> dict[str, Any]:
    """JSON form of a rejected offer with every broken term."""
    return {
        "reasons": [v.message for v in r.violations],
        "explanation": explain(r),
        "offer": offer_json(r.offer),
    }


def hint_json(h: Hint) -> dict[str, Any]:
    """JSON form of a hint about why offers may stay away: its fields as
    they are (names, values and order; ``hints`` of :class:`.answers.Offers`)."""
    return dataclasses.asdict(h)


def own_rating_json(own: OwnRating) -> dict[str, Any]:
    """This node's own rating of a deal: what it says, and when it leaves
    (``send_at``) or left (``sent``)."""
    m = own.rating.message
    return {
        "deal": own.deal.hex(),
        "id": own.rating.id.hex(),
        "stars": m.stars / 100,
        "dimensions": {DIMENSIONS[k]: v / 100 for k, v in m.dimensions().items()},
        "text": m.text,
        "send_at": own.send_at,
        "sent": own.sent,
    }


def deal_json(
    deal: Deal,
    *,
    to_answer: bool = False,
    vendor_rating: str = "",
    rating: OwnRating | None = None,
) -> dict[str, Any]:
    """JSON form of a deal: the agreement and, if any, the vendor's answer
    (and whether it came with a receipt, so the deal can be rated);
    ``to_answer``: an accept of this vendor's that waits for the owner's
    confirm or decline (``answer_by``: when the customer's node starts
    counting it unanswered); ``vendor_rating``: the vendor's standing;
    ``rating``: this node's own rating of it (customer)."""
    reply = deal.reply
    answer = None
    if reply is not None:
        message = reply.message
        answer = {
            "kind": reply.kind.value,
            "id": reply.id.hex(),
            "text": getattr(message, "note", None) or getattr(message, "reason", ""),
            "receipt": getattr(message, "receipt", None) is not None,
        }
    a = deal.accept.message
    return {
        "id": deal.accept.id.hex(),
        "role": deal.role.value,
        "state": deal.state.value,
        "intent": {
            "key": deal.intent.signer.hex(),
            "id": deal.intent.id.hex(),
            "title": deal.intent.message.title,
        },
        "offer": offer_json(deal.offer),
        "payment_mode": a.payment_mode,
        "price": a.price,
        "price_text": format_money(a.price, deal.offer.message.currency),
        "disclosed": dict(a.disclosure),
        "reply": answer,
        "to_answer": to_answer,
        "answer_by": a.created + UNANSWERED_AFTER if to_answer else None,
        "vendor_rating": vendor_rating,
        "rating": None if rating is None else own_rating_json(rating),
    }


# --- intent drafts --------------------------------------------------------------
