"""Vendor-bot settings and answers: a bot whose class attributes and
``on_intent`` answer come from the input, run through the SDK's adapter
exactly as the node runs it (``BotVendor``, then ``on_intent`` for an
intent the example phone shop would answer); and a catalog bot's file.

Input: a msgpack map with any of ``bot`` (class attributes), ``spec``
(``OfferSpec`` fields), ``answer`` (returned as is instead of the spec)
and ``catalog`` (bytes of a catalog file for ``CatalogBot.from_file``).

Oracles: a bad setting raises :class:`BotError` when the bot is set up
or the spec built; ``BotVendor.on_intent`` never raises (a bot's mistake
must not reach the node) and returns only offers that sign and pass
``validate``, none breaking a hard term of the intent while the bot
respects them; ``CatalogBot.from_file`` raises only :class:`BotError`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import fields, replace
from typing import Any, Final

import msgpack
import trio

from intentcast.matching import Constraint, find_violations
from intentcast.protocol import Layer, sign, validate
from intentcast.sdk import BotError, BotVendor, CatalogBot, IntentView, OfferSpec, VendorBot
from tests.matching.builders import intent as phone_intent

from .harness import Finding, Known, scratch
from .samples import CHECK_TIME, NO_WORK, market

KNOWN: Final[tuple[Known, ...]] = ()

BOT_SETTINGS: Final = (
    "name",
    "categories",
    "currency",
    "delivery_days",
    "ships_to",
    "accepts_terms",
    "payment_modes",
    "valid_hours",
    "max_offers_per_intent",
    "respect_hard_terms",
    "handler_timeout",
)
SPEC_FIELDS: Final = tuple(f.name for f in fields(OfferSpec))


@contextmanager
def _quiet() -> Iterator[None]:
    """The adapter logs every refused offer; a fuzz run makes millions."""
    logger = logging.getLogger("intentcast.sdk")
    was = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(was)


def _bot(settings: dict[Any, Any], answer: object) -> VendorBot:
    attrs: dict[str, Any] = {k: v for k, v in settings.items() if k in BOT_SETTINGS}

    async def on_intent(self: VendorBot, intent: IntentView) -> object:
        return answer

    attrs["on_intent"] = on_intent
    attrs.setdefault("categories", ("electronics",))
    bot: VendorBot = type("FuzzBot", (VendorBot,), attrs)()
    return bot


def _run_bot(config: dict[Any, Any]) -> None:
    settings = config.get("bot", {})
    spec_fields = config.get("spec", {})
    if type(settings) is not dict or type(spec_fields) is not dict:
        return
    answer: object = None
    if "answer" in config:
        answer = config["answer"]
    else:
        given = {k: v for k, v in spec_fields.items() if k in SPEC_FIELDS}
        try:
            answer = OfferSpec(**{"title": "Pixel 8", "price": 50_000, **given})
        except BotError:
            return
    try:
        vendor = BotVendor(_bot(settings, answer))
    except BotError:
        return
    intent = phone_intent()
    offers = trio.run(lambda: vendor.on_intent(intent, now=CHECK_TIME))
    keys = market().vendor
    for offer in offers:
        signed = sign(replace(offer, vendor_key=keys.vendor_key, reply_key=keys.reply_public),
                      keys.signing)  # fmt: skip
        verdict = validate(signed.raw, now=CHECK_TIME, params=NO_WORK, layer=Layer.SEALED)
        if not verdict.accepted:
            raise Finding(f"the SDK returned an offer receivers refuse: {verdict}")
        broken = [
            v
            for v in find_violations(intent, signed, now=CHECK_TIME)
            if v.constraint is not Constraint.RATING
        ]
        if broken and vendor.bot.respect_hard_terms:
            raise Finding(f"the SDK let through an offer that {broken[0].message}")


def one_input(data: bytes) -> None:
    try:
        config = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return  # not msgpack: nothing to build a bot from
    if type(config) is not dict:
        return
    with _quiet():
        catalog = config.get("catalog")
        if type(catalog) is bytes:
            path = scratch("bot") / "catalog.toml"
            path.write_bytes(catalog)
            with suppress(BotError):
                CatalogBot.from_file(path)
        _run_bot(config)


def _pack(value: object) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


def seeds() -> list[bytes]:
    from tests.matching.builders import CATALOGS

    shop = {
        "name": "Kiez Phones",
        "categories": ["electronics"],
        "ships_to": ["DE"],
        "accepts_terms": ["cc:no-tracking"],
        "payment_modes": ["prepay"],
    }
    return [
        _pack({"bot": shop, "spec": {"title": "Pixel 8, 128 GB", "price": 49_900, "sku": "px8"}}),
        _pack(
            {
                "bot": shop,
                "spec": {
                    "title": "Pixel 8",
                    "price": 59_000,
                    "price_floor": 45_000,
                    "payment_modes": ["prepay", "name-your-price"],
                },
            }
        ),
        _pack({"bot": {**shop, "respect_hard_terms": False}, "spec": {"price": 99_999_999}}),
        _pack({"bot": shop, "answer": [1, "two", None]}),
        _pack({"bot": {"categories": "electronics"}}),
        _pack({"catalog": (CATALOGS / "kiez-phones.toml").read_bytes()}),
    ]
