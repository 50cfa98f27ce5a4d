"""The API's answer types (pydantic v2), and the OpenAPI document's
``components.schemas`` generated from them and from the request types
(:mod:`.models`). Answers are open: fields are documented, and more may
come in later versions."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import (
    Accept,
    Connect,
    DetailUpdate,
    Forget,
    IntentChanges,
    IntentDraft,
    Resend,
    ThreadMessage,
    VendorAnswer,
    VendorAttach,
    VendorReply,
    VendorSession,
    Withdraw,
)

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


class HintView(Open):
    field: Literal["payment_modes", "customer_terms", "region", "category"]
    value: str
    accepted_by: int
    known: int
    instead: str | None
    instead_accepted_by: int
    message: str


class Offers(Open):
    intent: IntentView
    ranked: list[Ranked]
    rejected: list[Rejected]
    known_vendors: int
    hints: list[HintView]


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


class Attached(Open):
    session: str
    name: str
    categories: list[str]
    vendor_key: str
    lease_seconds: float
    max_poll_seconds: float


class Work(Open):
    work: list[dict[str, Any]]


class Answered(Open):
    ok: bool


class Detached(Open):
    detached: bool


class WebLogin(Open):
    #: The one-time sign-in link; it works once, within ``expires_in`` seconds.
    url: str
    expires_in: float


class WebSession(Open):
    #: The CSRF token every change of this session carries in ``X-CSRF-Token``.
    csrf: str
    version: str


class WebLogout(Open):
    signed_out: bool


class Vocab(Open):
    categories: list[str]
    currencies: list[str]
    countries: list[str]
    payment_modes: dict[str, str]
    customer_terms: dict[str, str]
    preference_criteria: list[str]
    disclosure_fields: list[str]
    profile: dict[str, str]
    roles: list[str]


class MadeIntent(Open):
    id: str
    title: str
    category: str
    quantity: int
    terms: TermsView


class MadeOffer(Open):
    state: str
    intent: MadeIntent
    offer: OfferView


class VendorOffers(Open):
    offers: list[MadeOffer]
    total: int


class CatalogItem(Open):
    sku: str
    category: str
    title: str
    price: int
    price_text: str
    floor: int | None
    stock: int
    ships_to: list[str]
    delivery_days: int
    customer_terms: list[str]
    payment_modes: list[str]


class VendorCatalog(Open):
    name: str | None
    items: list[CatalogItem]


#: Every model of the OpenAPI document's ``components.schemas``.
# --- after the deal -------------------------------------------------------------------


class Held(Open):
    value: str | None
    since: int
    acknowledged: bool


class ThreadEntryView(Open):
    id: str
    kind: str
    from_: Literal["me", "them"] = Field(alias="from")
    seq: int
    created: int
    content: dict[str, Any] | None
    answered_by: str | None


class RelationshipView(Open):
    deal: str
    role: Literal["customer", "vendor"]
    vendor: str
    vendor_key: str
    opened: int
    live: bool
    holds: dict[str, Held]
    silent: list[str]
    delete_due: int | None
    overdue: bool
    forget_asked: int | None
    deleted: int | None
    thread: list[ThreadEntryView] | None = None


class Relationships(Open):
    relationships: list[RelationshipView]


class RelationshipAnswer(Open):
    relationship: RelationshipView


class SentMessage(Open):
    deal: str
    vendor: str
    id: str


class Sent(Open):
    sent: list[SentMessage]


MODELS: Final[tuple[type[BaseModel], ...]] = (
    Error,
    Connect,
    IntentDraft,
    IntentChanges,
    Withdraw,
    Accept,
    VendorAttach,
    VendorSession,
    VendorAnswer,
    VendorReply,
    Status,
    Stopping,
    Peers,
    Connected,
    Events,
    Intents,
    IntentAnswer,
    Posted,
    Offers,
    DealAnswer,
    Deals,
    Attached,
    Work,
    Answered,
    Detached,
    WebLogin,
    WebSession,
    WebLogout,
    Vocab,
    VendorOffers,
    VendorCatalog,
    ThreadMessage,
    Forget,
    DetailUpdate,
    Resend,
    Relationships,
    RelationshipAnswer,
    Sent,
)


def component_schemas() -> dict[str, Any]:
    """``components.schemas``: the JSON Schema of every model, nested models
    as ``$ref``s to their own entries."""
    out: dict[str, Any] = {}
    for model in MODELS:
        schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="validation"
        )
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    _drop_null_defaults(out)
    return out


def _drop_null_defaults(node: object) -> None:
    """Optional request fields have no default to show (leaving one out is
    not sending null, which is refused)."""
    if isinstance(node, dict):
        if node.get("default", 0) is None:
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


__all__ = ["MODELS", "component_schemas"]
