"""The API's answer types (pydantic v2) for status, peers, events, intents,
offers and deals; the vendor bot's, the relationships' and the ratings'
answers sit with their endpoints (:mod:`.vendor`, :mod:`.relationships`,
:mod:`.ratings`), the web app's in :mod:`..web.handlers`. The OpenAPI
document's ``components.schemas`` are generated from them all
(:mod:`.schemas`). Answers are open: fields are documented, and more may
come in later versions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from intentcast.matching.hints import Hint

# --- answers ------------------------------------------------------------------------


class Open(BaseModel):
    """A response part: fields are documented, and more may come in later versions."""

    model_config = ConfigDict(extra="allow")


class ErrorBody(Open):
    code: str = Field(examples=["not-found"])
    message: str = Field(examples=["no intent of yours starts with 'ab12'"])


class Error(Open):
    """Every error, whatever went wrong."""

    error: ErrorBody


class TermsView(Open):
    max_price: int
    max_price_text: str
    currency: str
    region: str
    deliver_by: int | None
    customer_terms: list[str]
    payment_modes: list[str]
    min_stars: float


class IntentView(Open):
    key: str
    id: str
    state: Literal["open", "amended", "accepted", "closed", "withdrawn", "expired"]
    revision: int
    title: str
    category: str
    description: str
    attributes: dict[str, Any]
    quantity: int
    terms: TermsView
    preferences: dict[str, int]
    created: int
    expires: int
    offers: int


class IntentAnswer(Open):
    intent: IntentView


class Posted(IntentAnswer):
    #: What the node chose for fields the draft left out (payment_modes).
    defaults: dict[str, list[str]]


class Intents(Open):
    intents: list[IntentView]


class Item(Open):
    title: str
    sku: str
    description: str
    attributes: dict[str, Any]


class OfferView(Open):
    id: str
    intent_id: str
    vendor: str
    vendor_key: str
    item: Item
    quantity: int
    price: int
    price_text: str
    #: The lowest price a name-your-price accept may name (None: the price).
    price_floor: int | None
    price_floor_text: str | None
    currency: str
    deliver_by: int
    ships_to: list[str]
    customer_terms: list[str]
    payment_modes: list[str]
    valid_until: int


class Ranked(Open):
    rank: int
    score: float
    breakdown: dict[str, float]
    out_of: dict[str, float]
    price: int
    rating_stars: float
    #: "4.6 stars from 37 verified deals, last 3 months".
    vendor_rating: str = ""
    explanation: str
    shown: dict[str, str]
    offer: OfferView


class Rejected(Open):
    reasons: list[str]
    explanation: str
    offer: OfferView


class Offers(Open):
    intent: IntentView
    ranked: list[Ranked]
    rejected: list[Rejected]
    known_vendors: int
    #: Why offers may stay away: :class:`~intentcast.matching.hints.Hint`, as it is.
    hints: list[Hint]


class Reply(Open):
    kind: str
    id: str
    text: str
    #: A confirm with the vendor's receipt: the deal can be rated.
    receipt: bool = False


class DealIntent(Open):
    key: str
    id: str
    title: str


class OwnRatingView(Open):
    deal: str
    id: str
    stars: float
    #: The dimensions rated ("as described", "on time", "communication").
    dimensions: dict[str, float]
    text: str
    #: When the rating leaves (Unix seconds), or left (``sent``).
    send_at: int
    sent: bool


class DealView(Open):
    id: str
    role: Literal["customer", "vendor"]
    state: str
    intent: DealIntent
    offer: OfferView
    payment_mode: str
    price: int
    price_text: str
    disclosed: dict[str, str]
    reply: Reply | None
    #: An accept of this vendor's that waits for the owner's confirm or decline.
    to_answer: bool
    #: For one that waits: when the customer's node starts counting it as
    #: unanswered (the accept's time plus a day), against this vendor.
    answer_by: int | None = None
    #: The vendor's standing from verified ratings, and this node's record.
    vendor_rating: str = ""
    #: This node's own rating of the deal (customer), and when it leaves.
    rating: OwnRatingView | None = None


class DealAnswer(Open):
    deal: DealView


class Deals(Open):
    deals: list[DealView]


class Bot(Open):
    attached: bool
    name: str | None
    attached_seconds: float | None


class VendorStatus(Open):
    name: str
    categories: list[str]
    catalog: str | None
    offers_made: int
    bot: Bot | None
    #: "auto": the catalog or bot answers accepts; "manual": the owner does.
    confirm: Literal["auto", "manual"]
    #: Accepts waiting for the owner's confirm or decline.
    to_answer: int
    #: Connected peers that carry the intents' gossip (vendors and relays:
    #: customers take no part in it). 0 with peers connected: this vendor
    #: hears no intent; it needs a relay or another vendor among its peers.
    intent_peers: int = 0


class OfferFeedStatus(Open):
    source: str | None


class Status(Open):
    version: str
    peer_id: str
    addrs: list[str]
    roles: list[str]
    home: str
    uptime_seconds: float
    connected_peers: int
    intents: dict[str, int]
    deals: dict[str, int]
    #: The offer bucket topics (of 16) the customer follows: the offers to
    #: its intents arrive on them (``[privacy] offer_buckets``, docs/privacy.md
    #: section 11); None without the customer role.
    offer_buckets: list[int] | None = None
    #: Whether the customer takes its offers from a carrier's feed
    #: (``[privacy] offer_feed``, docs/privacy.md section 12), and from which
    #: peer now (``source``: None while it has no feed); None without the
    #: customer role or with the feed off.
    offer_feed: OfferFeedStatus | None = None
    vendor: VendorStatus | None
    events: int
    counters: dict[str, int]


class Stopping(Open):
    stopping: bool


class ConnectedPeer(Open):
    peer_id: str
    addrs: list[str]


class KnownPeer(Open):
    peer_id: str
    addrs: list[str]
    last_seen: int | None
    failures: int
    connected: bool


class BannedPeer(Open):
    peer_id: str
    seconds_left: int


class Peers(Open):
    connected: list[ConnectedPeer]
    known: list[KnownPeer]
    banned: list[BannedPeer]


class Connected(Open):
    peer_id: str
    #: The peer was connected already (libp2p keeps one connection per peer).
    already_connected: bool
    dialled: bool


class Event(Open):
    seq: int
    at: float
    kind: str
    subject: str
    detail: str


class Events(Open):
    events: list[Event]
    last: int
