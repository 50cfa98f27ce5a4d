"""Intent draft files, end to end without a daemon: ``intent post --file``
reads a TOML or JSON file (``build_draft``), the CLI sends it as JSON
(httpx builds the request), and the API turns it into ``post_intent`` or
``amend`` arguments (``intent_fields``) and an accept's disclosure
(``disclosure_for``).

Input: one byte (even: a ``.toml`` file, odd: ``.json``), then the file.

Oracles: the CLI raises only ``ClickException`` (a one-line error, exit 1)
and sending the draft never fails; the API raises only :class:`BadDraft`
or :class:`InvalidMessage` (a 400 answer); the fields it returns have the
types ``post_intent`` takes (a category path is a list, attributes a map),
and a disclosure is a map of text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import click
import httpx

from intentcast.cli.intent import build_draft
from intentcast.daemon.api import BadDraft, intent_fields
from intentcast.daemon.api.drafts import disclosure_for
from intentcast.protocol import InvalidMessage, Terms

from .harness import Finding, Known, scratch
from .samples import CHECK_TIME, market

KNOWN: Final[tuple[Known, ...]] = ()

PROFILE: Final = {"contact": "me@example.org", "shipping": "Hauptstr. 1, Berlin"}


def check_fields(fields: Mapping[str, Any]) -> None:
    """The arguments ``intent_fields`` returns have ``post_intent``'s types."""
    category = fields.get("category", ())
    if not isinstance(category, list | tuple):
        raise Finding(f"a category of type {type(category).__name__} passed the draft checks")
    attributes = fields.get("attributes", {})
    if not isinstance(attributes, dict):
        raise Finding(f"attributes of type {type(attributes).__name__} passed the draft checks")
    if "terms" in fields and type(fields["terms"]) is not Terms:
        raise Finding("terms that are not Terms passed the draft checks")
    for name in ("lifetime", "expires"):
        if name in fields and type(fields[name]) is not int:
            raise Finding(f"{name} is not an integer")


def api_side(body: object) -> None:
    """What the API does with a decoded JSON body: a new intent, an
    amendment of the sample intent, an accept's disclosure."""
    for current in (None, market().intent.message):
        try:
            fields = intent_fields(body, now=CHECK_TIME, current=current)
        except (BadDraft, InvalidMessage):
            continue
        check_fields(fields)
    if isinstance(body, dict):  # the accept handler checks this first
        try:
            disclosure = disclosure_for(body, PROFILE)
        except BadDraft:
            return
        if not all(type(k) is str and type(v) is str for k, v in disclosure.items()):
            raise Finding("a disclosure that is not a map of text passed")


def one_input(data: bytes) -> None:
    if not data:
        return
    path = scratch("draft") / ("draft.json" if data[0] & 1 else "draft.toml")
    path.write_bytes(data[1:])
    try:
        draft = build_draft(path)
    except click.ClickException:
        return
    request = httpx.Request("POST", "http://127.0.0.1:7646/v1/intents", json=draft)
    api_side(json.loads(request.content))


def seeds() -> list[bytes]:
    toml = b"""
category = "electronics/phones"
title = "Used Pixel 8"
description = "Any colour."
quantity = 1
lifetime_days = 3
attributes = { storage_gb = [128, 256], color = "black", unlocked = true }

[terms]
max_price = "599.90"
currency = "EUR"
region = "DE"
deliver_within_days = 5
customer_terms = ["cc:no-tracking"]
payment_modes = ["prepay", "pay-after-delivery"]
min_stars = 4.5

[preferences]
price = 60
speed = 40
"""
    as_json = json.dumps(
        {
            "category": ["home", "furniture"],
            "title": "Oak table",
            "terms": {"max_price": 40_000, "currency": "EUR", "region": "u33db"},
        }
    ).encode()
    return [
        b"\x00" + toml,
        b"\x01" + as_json,
        b'\x00title = "no terms"\n',
        b'\x01{"disclose": ["contact", "note=leave at the door"]}',
        b"\x01[1, 2, 3]",
        b'\x01{"title": "x", "terms": {"max_price": "1e3", "currency": "JPY", "region": "JP"}}',
    ]
