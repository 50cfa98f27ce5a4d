"""The request and error schemas of the OpenAPI document, written by hand
(``docs/daemon.md`` explains each call): a table, read by
:func:`.app.openapi_document`."""

from __future__ import annotations

from typing import Any, Final

_STRING_LIST: Final[dict[str, Any]] = {"type": "array", "items": {"type": "string"}}

#: ``components.schemas``: what the API's request bodies and errors look like.
SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            }
        },
    },
    "Connect": {"type": "object", "properties": {"addr": {"type": "string"}}},
    "VendorAttach": {
        "type": "object",
        "required": ["name", "categories"],
        "properties": {
            "name": {"type": "string"},
            "categories": _STRING_LIST,
            "handler_timeout": {"type": "number"},
        },
    },
    "VendorSession": {
        "type": "object",
        "required": ["session"],
        "properties": {"session": {"type": "string"}},
    },
    "VendorAnswer": {
        "type": "object",
        "required": ["session"],
        "description": "to an intent: offers (base64 msgpack offer bodies, "
        "empty for no offer); to an accept: confirm and text",
        "properties": {
            "session": {"type": "string"},
            "offers": _STRING_LIST,
            "confirm": {"type": "boolean"},
            "text": {"type": "string"},
        },
    },
    "Withdraw": {"type": "object", "properties": {"reason": {"type": "string"}}},
    "Accept": {
        "type": "object",
        "properties": {
            "disclose": {
                "description": "names from [profile] or name=value strings, "
                "or an object of name to value",
                "oneOf": [
                    _STRING_LIST,
                    {"type": "object", "additionalProperties": {"type": "string"}},
                ],
            },
            "payment_mode": {"type": "string"},
            "price": {"type": "integer"},
        },
    },
    "IntentDraft": {
        "type": "object",
        "properties": {
            "category": {
                "description": "'electronics/phones' or a list",
                "oneOf": [{"type": "string"}, _STRING_LIST],
            },
            "title": {"type": "string"},
            "description": {"type": "string"},
            "attributes": {"type": "object"},
            "quantity": {"type": "integer"},
            "lifetime_days": {"type": "number"},
            "preferences": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
            },
            "terms": {
                "type": "object",
                "properties": {
                    "max_price": {
                        "description": "minor units (integer) or '599.90'",
                        "oneOf": [{"type": "integer"}, {"type": "string"}],
                    },
                    "currency": {"type": "string"},
                    "region": {"type": "string"},
                    "deliver_by": {"type": "integer"},
                    "deliver_within_days": {"type": "number"},
                    "customer_terms": _STRING_LIST,
                    "payment_modes": _STRING_LIST,
                    "min_stars": {"type": "number"},
                },
            },
        },
    },
}
