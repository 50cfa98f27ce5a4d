"""Ratings in the API: rate a deal (customer), a vendor's standing and
ratings, reply to a rating (vendor). docs/daemon.md, "Ratings"."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from starlette.requests import Request

from intentcast.node.ratings import VendorStanding
from intentcast.protocol import rating as r
from intentcast.store import StoredRating

from .answers import Open, OwnRatingView
from .bodies import validate
from .context import ApiContext
from .errors import BadDraft
from .handlers import _body
from .lookup import resolve
from .models import REQUIRED_TEXT, TEXT, Model
from .render import own_rating_json

Stars = Annotated[float, Field(ge=0, le=5, description="stars, 0-5, hundredths kept")]


class Rate(Model):
    """A rating of a confirmed deal: stars 0-5, the three dimensions
    optional, a short text optional."""

    stars: Stars
    described: Stars | None = None
    on_time: Stars | None = None
    communication: Stars | None = None
    text: Annotated[str, Field(max_length=r.MAX_RATING_TEXT, pattern=TEXT)] = ""


class RatingReplyBody(Model):
    """The vendor's public reply to the rating of one of its deals."""

    text: Annotated[str, Field(min_length=1, max_length=r.MAX_REPLY_TEXT, pattern=REQUIRED_TEXT)]


class RatingView(Open):
    id: str
    deal: str
    vendor_key: str
    stars: float
    dimensions: dict[str, float]
    text: str
    rated: int
    confirmed: int
    reply: str | None


class Standing(Open):
    vendor_key: str
    #: The vendor's name, from its profile or this node's deals with it.
    name: str | None
    line: str
    count: int
    stars: float | None
    own_deals: dict[str, int]


class VendorRatings(Open):
    standing: Standing
    ratings: list[RatingView]


class Replied(Open):
    deal: str
    id: str


class RateAnswer(Open):
    #: The same as a deal's own rating (``rating`` of GET /v1/deals/{deal}).
    rating: OwnRatingView


class ReplyAnswer(Open):
    reply: Replied


def _hundredths(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def standing_json(vendor_key: bytes, standing: VendorStanding) -> dict[str, Any]:
    """A vendor's standing: the verified ratings' figure, and this node's own
    record with it (``confirmed``, ``declined``, ``pending``: no answer yet)."""
    s, rec = standing.summary, standing.record
    return {
        "vendor_key": vendor_key.hex(),
        "name": standing.name,
        "line": standing.line,
        "count": s.count,
        "stars": None if s.mean is None else round(s.mean / 100, 2),
        "own_deals": {"confirmed": rec.confirmed, "declined": rec.declined,
                      "pending": rec.pending},
    }  # fmt: skip


def rating_json(stored: StoredRating) -> dict[str, Any]:
    m = stored.rating.message
    return {
        "id": stored.rating.id.hex(),
        "deal": stored.deal.hex(),
        "vendor_key": stored.vendor.hex(),
        "stars": m.stars / 100,
        "dimensions": {r.DIMENSIONS[k]: v / 100 for k, v in m.dimensions().items()},
        "text": m.text,
        "rated": m.created,
        "confirmed": stored.confirmed,
        "reply": None if stored.reply is None else stored.reply.message.text,
    }


async def rate_deal(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Rate a confirmed deal of ours (as customer). The rating is signed by
    the deal's one-time intent key and leaves at a random later time (10
    minutes to 2 days); a new rating of the deal replaces the earlier."""
    body = validate(Rate, await _body(request))
    deals = ctx.node.store.deals.list()
    deal = resolve(request.path_params["deal"], ((d.accept.id, d) for d in deals), "deal")
    own = await ctx.node.rate(
        deal.accept.id,
        stars=round(body.stars * 100),
        described=_hundredths(body.described),
        ontime=_hundredths(body.on_time),
        comms=_hundredths(body.communication),
        text=body.text,
    )
    return {"rating": own_rating_json(own)}


def _vendor_key(ctx: ApiContext, request: Request) -> bytes:
    given = request.query_params.get("vendor")
    if given is None:
        keys = ctx.node.vendor_keys
        if keys is None:
            raise BadDraft("vendor: give a vendor key; this node sells nothing")
        return keys.vendor_key
    if len(given) != 64 or not all(c in "0123456789abcdefABCDEF" for c in given):
        raise BadDraft("vendor: must be a vendor key, 64 hex digits")
    return bytes.fromhex(given)


async def vendor_ratings(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """A vendor's verified ratings and standing (this node's own vendor
    without ``vendor``), with this node's own record of deals with it."""
    key = _vendor_key(ctx, request)
    ratings = ctx.node.ratings.ratings_of(key)
    return {
        "standing": standing_json(key, ctx.node.ratings.standing(key)),
        "ratings": [rating_json(s) for s in ratings],
    }


async def reply_to_rating(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Reply in public to the rating of one of this vendor's deals (a later
    reply replaces it)."""
    body = validate(RatingReplyBody, await _body(request))
    keys = ctx.node.vendor_keys
    mine = [] if keys is None else ctx.node.ratings.ratings_of(keys.vendor_key)
    rated = resolve(request.path_params["deal"], ((s.deal, s) for s in mine), "rated deal")
    signed = await ctx.node.ratings.reply(rated.deal, body.text)
    return {"reply": {"deal": rated.deal.hex(), "id": signed.id.hex()}}
