"""The API's request and response types, declared once (pydantic v2).

Request bodies are validated against these models at the edge (before any
lookup or state is consulted), and the OpenAPI document's schemas are
generated from the same models (:func:`component_schemas`): what the
document promises is what the API checks. Where the protocol has a rule
one field cannot say (an amount's decimals depend on its currency), the
schema says it with ``anyOf`` and the handler checks it.

Why pydantic: it is already a dependency of the tool chain (and a
well-kept library), it validates and writes JSON Schema 2020-12 (what
OpenAPI 3.1 uses) from one declaration, and it reports every error with
its location, which :func:`validate` turns into the API's one error shape
naming the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema

from intentcast.matching.formatting import minor_unit_exponent
from intentcast.matching.taxonomy import TAXONOMY
from intentcast.protocol import fields as f
from intentcast.protocol.vocab import (
    CATEGORIES,
    COUNTRIES,
    CURRENCIES,
    CUSTOMER_TERM_RE,
    DISCLOSURE_FIELDS,
    PAYMENT_MODES,
)

from .errors import BadDraft

# --- the vocabulary as patterns ---------------------------------------------------------

#: Text the protocol carries: no control characters but newline and tab.
TEXT: Final = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
#: The same, and not empty or only white space.
REQUIRED_TEXT: Final = r"^(?=[\s\S]*\S)[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
_TOP = "|".join(CATEGORIES)
CATEGORY: Final = rf"^({_TOP})(/[a-z0-9][a-z0-9-]{{0,31}}){{0,{f.MAX_CATEGORY_DEPTH - 1}}}$"
REGION: Final = r"^([A-Z]{2}|[0-9bcdefghjkmnpqrstuvwxyz]{1,5})$"
ATTRIBUTE_NAME: Final = r"^[a-z][a-z0-9_]{0,31}$"
HEX_ID: Final = r"^[0-9a-fA-F]{4,64}$"
WORK_ID: Final = r"^[0-9a-f]{16}$"
PEER_ADDRESS: Final = r"^/(ip4|ip6|dns|dns4|dns6)/[^/]+/tcp/[0-9]{1,5}/p2p/[1-9A-HJ-NP-Za-km-z]+$"


def amount_pattern(decimals: int, digits: int | None = None) -> str:
    """An amount string of a currency with ``decimals`` minor-unit digits:
    at most ``digits`` before the point (by default as many as keep it
    under the protocol's largest amount, 10^15 minor units)."""
    digits = 15 - decimals if digits is None else digits
    fraction = rf"(\.[0-9]{{1,{decimals}}})?" if decimals else ""
    return rf"^[0-9]{{1,{digits}}}{fraction}$"


_COUNTRY_SET: Final = COUNTRIES

M = TypeVar("M", bound=BaseModel)


class Model(BaseModel):
    """Unknown fields are refused, types are not coerced ("5" is no number)."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


Text = Annotated[str, Field(max_length=f.MAX_DESCRIPTION, pattern=TEXT)]

# --- requests -------------------------------------------------------------------------


class Connect(Model):
    """Dial a peer."""

    addr: Annotated[
        str,
        Field(
            max_length=300,
            pattern=PEER_ADDRESS,
            description="the peer's multiaddr ending in /p2p/<peer id>, as status prints it",
            examples=[
                "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWFagXtEgkczrJArtDaCSNfPr7uc5SECYQLaiZh9fGNi58"
            ],
        ),
    ]


#: The shared taxonomy's categories (docs/matching.md, "Categories"): a
#: draft must name one of them (the API refuses others, naming the closest).
KNOWN_CATEGORIES: Final = tuple(sorted(c.shown for c in TAXONOMY))

Category = Annotated[
    str | list[str],
    WithJsonSchema(
        {
            "description": "a category of the shared taxonomy, 'electronics/phones', or "
            "the same as a list of levels (GET /v1/vocab lists them)",
            "oneOf": [
                {"type": "string", "enum": list(KNOWN_CATEGORIES)},
                {"type": "array", "enum": [c.split("/") for c in KNOWN_CATEGORIES]},
            ],
            "examples": ["electronics/phones"],
        }
    ),
]

_ATTRIBUTE_INT: Final = {
    "type": "integer",
    "minimum": -f.MAX_ATTRIBUTE_INT,
    "maximum": f.MAX_ATTRIBUTE_INT,
}
Attributes = Annotated[
    dict[str, bool | int | str | list[int]],
    WithJsonSchema(
        {
            "type": "object",
            "description": "wanted attributes: text, a whole number, true/false, or a "
            "range [low, high] of whole numbers",
            "maxProperties": f.MAX_ATTRIBUTES,
            "propertyNames": {"pattern": ATTRIBUTE_NAME},
            "additionalProperties": {
                "anyOf": [
                    {"type": "boolean"},
                    _ATTRIBUTE_INT,
                    {"type": "string", "maxLength": f.MAX_ATTRIBUTE_TEXT, "pattern": TEXT},
                    {"type": "array", "items": _ATTRIBUTE_INT, "minItems": 2, "maxItems": 2},
                ]
            },
            "examples": [{"brand": "google", "storage_gb": 128}],
        }
    ),
]

Days = Annotated[float, Field(ge=0.001, le=30, description="days (at most 30)")]
MaxPrice = Annotated[
    int | str,
    WithJsonSchema(
        {
            "description": "the most you pay for the whole quantity: minor units (59990) or "
            "an amount string in major units ('599.90', as many decimals as the currency has)",
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": f.MAX_AMOUNT},
                {"type": "string", "pattern": amount_pattern(4, 15)},
            ],
            "examples": ["599.90"],
        }
    ),
]
Currency = Annotated[
    str,
    WithJsonSchema(
        {
            "description": "ISO 4217 code (any case)",
            "enum": sorted(CURRENCIES),
            "examples": ["EUR"],
        }
    ),
]
Region = Annotated[
    str,
    Field(pattern=REGION),
    WithJsonSchema(
        {
            "description": "ISO 3166-1 country code (DE) or a geohash of 1-5 characters",
            "anyOf": [
                {"type": "string", "enum": sorted(_COUNTRY_SET)},
                {"type": "string", "pattern": r"^[0-9bcdefghjkmnpqrstuvwxyz]{1,5}$"},
            ],
            "examples": ["DE"],
        }
    ),
]
CustomerTerms = Annotated[
    list[Annotated[str, Field(pattern=f"^{CUSTOMER_TERM_RE.pattern}$")]],
    Field(max_length=f.MAX_CUSTOMER_TERMS, examples=[["cc:no-tracking"]]),
]
PaymentMode = Literal[
    "prepay", "pay-on-delivery", "pay-after-delivery", "name-your-price", "escrow"
]
assert set(get_args(PaymentMode)) == PAYMENT_MODES
PaymentModes = Annotated[
    list[PaymentMode],
    Field(min_length=1, max_length=8, examples=[["prepay", "pay-on-delivery"]]),
]

Weight = Annotated[int, Field(ge=0, le=f.MAX_WEIGHT)]


def _by_currency(schema: dict[str, Any]) -> None:
    """An amount string has as many decimals as its currency, at most."""
    groups: dict[int, list[str]] = {}
    for code in sorted(CURRENCIES):
        groups.setdefault(minor_unit_exponent(code), []).append(code)
    schema["anyOf"] = [
        {"properties": {"max_price": {"type": "integer"}}},
        {"not": {"required": ["max_price"]}},
        *(
            {
                "required": ["currency"],
                "properties": {
                    "currency": {"enum": codes},
                    "max_price": {"type": "string", "pattern": amount_pattern(n)},
                },
            }
            for n, codes in sorted(groups.items())
        ),
    ]


class _TermsRest(Model):
    """The terms a new intent and an amendment may both leave out."""

    deliver_by: (
        Annotated[
            int,
            Field(
                ge=f.MIN_TIME,
                le=f.MAX_TIME,
                description="latest delivery, Unix seconds; not before now",
            ),
        ]
        | SkipJsonSchema[None]
    ) = None
    deliver_within_days: Annotated[float, Field(ge=0.001, le=3650)] | SkipJsonSchema[None] = None
    customer_terms: CustomerTerms = []
    payment_modes: (
        Annotated[
            PaymentModes,
            Field(
                description="default: the mode most vendors this node knows take "
                "(prepay when it knows none)"
            ),
        ]
        | SkipJsonSchema[None]
    ) = None
    min_stars: Annotated[float, Field(ge=0, le=5)] = 0


class Terms(_TermsRest):
    """The hard terms of a new intent: an offer that breaks one is never ranked."""

    model_config = ConfigDict(json_schema_extra=_by_currency)

    max_price: MaxPrice
    currency: Currency
    region: Region


class TermsChanges(_TermsRest):
    """Terms to change in an amendment: any of them."""

    model_config = ConfigDict(json_schema_extra=_by_currency)

    max_price: MaxPrice | SkipJsonSchema[None] = None
    currency: Currency | SkipJsonSchema[None] = None
    region: Region | SkipJsonSchema[None] = None


_NOT_ALL_ZERO: Final[dict[str, Any]] = {
    "not": {
        "required": list(("price", "speed", "reputation", "terms", "attributes")),
        "properties": {
            k: {"const": 0} for k in ("price", "speed", "reputation", "terms", "attributes")
        },
    }
}


class Preferences(Model):
    """Soft-score weights, 0-100 each (only their ratios matter; not all 0)."""

    model_config = ConfigDict(json_schema_extra=_NOT_ALL_ZERO)

    price: Weight = 40
    speed: Weight = 20
    reputation: Weight = 20
    terms: Weight = 10
    attributes: Weight = 10


class IntentDraft(Model):
    """A new intent (``docs/daemon.md``, "Intent drafts")."""

    category: Category
    title: Annotated[str, Field(min_length=1, max_length=f.MAX_TITLE, pattern=REQUIRED_TEXT)]
    description: Text = ""
    attributes: Attributes = {}
    quantity: Annotated[int, Field(ge=1, le=f.MAX_QUANTITY)] = 1
    lifetime_days: Days = 7
    preferences: Preferences = Preferences()
    terms: Terms


class IntentChanges(Model):
    """The changes of an amendment: at least one field."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    category: Category | SkipJsonSchema[None] = None
    title: (
        Annotated[str, Field(min_length=1, max_length=f.MAX_TITLE, pattern=REQUIRED_TEXT)]
        | SkipJsonSchema[None]
    ) = None
    description: Text | SkipJsonSchema[None] = None
    attributes: Attributes | SkipJsonSchema[None] = None
    quantity: Annotated[int, Field(ge=1, le=f.MAX_QUANTITY)] | SkipJsonSchema[None] = None
    lifetime_days: Days | SkipJsonSchema[None] = None
    preferences: Preferences | SkipJsonSchema[None] = None
    terms: TermsChanges | SkipJsonSchema[None] = None


class Withdraw(Model):
    """Why the intent is withdrawn (published with the withdrawal)."""

    reason: Annotated[str, Field(max_length=f.MAX_NOTE, pattern=TEXT)] = ""


DisclosureName = Literal["name", "contact", "email", "phone", "shipping", "billing", "note"]
assert set(get_args(DisclosureName)) == DISCLOSURE_FIELDS
DisclosureValue = Annotated[
    str, Field(min_length=1, max_length=f.MAX_DISCLOSURE_TEXT, pattern=REQUIRED_TEXT)
]


class Accept(Model):
    """Accept an offer, disclosing only what ``disclose`` names."""

    disclose: Annotated[
        list[str] | dict[DisclosureName, DisclosureValue],
        WithJsonSchema(
            {
                "description": "names of [profile] entries in config.toml (contact), "
                "name=value strings (contact=me@example.org), or an object of name to value",
                "oneOf": [
                    {
                        "type": "array",
                        "maxItems": len(DISCLOSURE_FIELDS),
                        "items": {
                            "type": "string",
                            "pattern": rf"^({'|'.join(sorted(DISCLOSURE_FIELDS))})="
                            r"(?=[\s\S]*\S)[^\x00-\x08\x0b-\x1f\x7f-\x9f]{1,500}$",
                        },
                    },
                    {
                        "type": "object",
                        "propertyNames": {"enum": sorted(DISCLOSURE_FIELDS)},
                        "additionalProperties": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": f.MAX_DISCLOSURE_TEXT,
                            "pattern": REQUIRED_TEXT,
                        },
                    },
                ],
                "examples": [["contact=me@example.org"]],
            }
        ),
    ] = []
    payment_mode: PaymentMode | None = None
    price: Annotated[
        int | str,
        WithJsonSchema(
            {
                "description": "the price paid: minor units or an amount string; under "
                "name-your-price at least the offer's floor (default: the price the ranking shows)",
                "oneOf": [
                    {"type": "integer", "minimum": 0, "maximum": f.MAX_AMOUNT},
                    {"type": "string", "pattern": amount_pattern(4, 15)},
                ],
            }
        ),
    ] = 0


class VendorAttach(Model):
    """Attach a vendor bot."""

    name: Annotated[str, Field(min_length=1, max_length=f.MAX_NAME, pattern=REQUIRED_TEXT)]
    # The names are checked by the remote vendor (which says which are not
    # categories); the schema lists them.
    categories: Annotated[
        list[str],
        Field(min_length=1),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"enum": list(CATEGORIES)},
                "minItems": 1,
                "maxItems": len(CATEGORIES),
                "examples": [["electronics"]],
            }
        ),
    ]
    handler_timeout: Annotated[float, Field(gt=0, le=60)] = 10.0


class VendorSession(Model):
    """The session an attach returned."""

    session: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class VendorAnswer(VendorSession):
    """The bot's answer to a work item: ``offers`` (base64 msgpack offer
    bodies; none for no offer) to an intent, ``confirm`` and ``text`` to an accept."""

    # Each offer is checked (base64, msgpack, a valid offer) against its work item.
    offers: Annotated[
        list[str],
        WithJsonSchema(
            {
                "type": "array",
                "items": {
                    "type": "string",
                    "maxLength": 20_000,
                    "pattern": r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                },
                "maxItems": 32,
            }
        ),
    ] = []
    confirm: bool = False
    text: Annotated[str, Field(max_length=f.MAX_NOTE, pattern=TEXT)] = ""


# --- responses ------------------------------------------------------------------------


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


class DealIntent(Open):
    key: str
    id: str
    title: str


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


# --- validation -----------------------------------------------------------------------


#: What a constraint means, per field, for messages a person reads.
_MEANING: Final = {
    "lifetime_days": "must be a positive number of days, at most 30",
    "terms.deliver_within_days": "must be a positive number of days, at most 3650",
    "terms.deliver_by": "must be a Unix time in seconds",
    "terms.max_price": "give minor units (59990) or an amount string ('599.90')",
    "terms.min_stars": "must be a number of stars (0 to 5)",
    "terms.region": "must be a country code (DE) or a geohash of 1-5 characters",
    "category": "'electronics/phones' or a list of names",
    "price": "give minor units (59990) or an amount string ('599.90')",
}

#: Steps of an error's location that name a type pydantic tried, not a field.
_TYPE_STEP: Final = re.compile(r"str|int|bool|float|none|.*\[.*")


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if not _TYPE_STEP.fullmatch(str(p)))


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:
        return "a value too long to show"
    return text if len(text) <= 40 else text[:37] + "..."


def validate(model: type[M], body: object) -> M:
    """``body`` as ``model``, or :class:`BadDraft` naming the first bad field
    (unknown fields together: ``terms: unknown fields shipping``)."""
    if not isinstance(body, dict):
        raise BadDraft("the body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    unknown: dict[str, list[str]] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            *parent, name = e["loc"]
            unknown.setdefault(_where(tuple(parent)), []).append(str(name))
    if unknown:
        where, names = next(iter(unknown.items()))
        what = "unknown criteria" if where == "preferences" else "unknown fields"
        raise BadDraft(f"{where + ': ' if where else ''}{what} {', '.join(sorted(names))}")
    e = errors[0]
    where = _where(tuple(e["loc"]))
    if e["type"] == "missing":
        raise BadDraft(f"{where}: required")
    meaning = _MEANING.get(where)
    if meaning is None:
        msg = str(e["msg"])
        if e["type"] == "string_pattern_mismatch":
            pattern = str((e.get("ctx") or {}).get("pattern"))
            msg = {
                TEXT: "contains control characters",
                REQUIRED_TEXT: "must not be empty, nor hold control characters",
            }.get(pattern, "is not of the documented form (see /openapi.json)")
        meaning = f"{_shown(e.get('input'))}: {msg[0].lower()}{msg[1:]}"
    raise BadDraft(f"{where}: {meaning}" if where else meaning)


__all__ = ["MODELS", "component_schemas", "validate"]
