"""The API's request types, declared once (pydantic v2): the vocabulary as
patterns and field types, and the requests of peers, intents and deals
(the vendor bot's, the relationships' and the ratings' requests sit with
their endpoints); the answers' types are in :mod:`.answers`.

Request bodies are validated against these models at the edge (before any
lookup or state is consulted), and the OpenAPI document's schemas are
generated from the same models (:func:`.schemas.component_schemas`): what the
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

from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema

from intentcast.matching.formatting import minor_unit_exponent
from intentcast.matching.taxonomy import TAXONOMY
from intentcast.protocol import fields as f
from intentcast.protocol.relationship import MESSAGE_TYPES
from intentcast.protocol.vocab import (
    CATEGORIES,
    COUNTRIES,
    CURRENCIES,
    CUSTOMER_TERM_RE,
    DISCLOSURE_FIELDS,
    PAYMENT_MODES,
)

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

#: The two forms of an amount: minor units, or a string in major units
#: (here with up to 4 decimals; each currency's own limit is checked by
#: :func:`_by_currency`'s ``anyOf`` or by the handler).
AMOUNT: Final[list[dict[str, Any]]] = [
    {"type": "integer", "minimum": 0, "maximum": f.MAX_AMOUNT},
    {"type": "string", "pattern": amount_pattern(4, 15)},
]
#: A short note: a reason, a confirm's or decline's text, a message.
Note = Annotated[str, Field(max_length=f.MAX_NOTE, pattern=TEXT)]
Days = Annotated[float, Field(ge=0.001, le=30, description="days (at most 30)")]
MaxPrice = Annotated[
    int | str,
    WithJsonSchema(
        {
            "description": "the most you pay for the whole quantity: minor units (59990) or "
            "an amount string in major units ('599.90', as many decimals as the currency has)",
            "oneOf": AMOUNT,
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

    reason: Note = ""


MessageType = Literal["status", "cancel", "return", "shipped", "delivered", "other"]
assert set(get_args(MessageType)) == set(MESSAGE_TYPES)


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
                "oneOf": AMOUNT,
            }
        ),
    ] = 0


__all__ = ["Accept", "Connect", "IntentChanges", "IntentDraft", "Withdraw"]
