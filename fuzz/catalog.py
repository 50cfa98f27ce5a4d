"""Vendor catalogs: ``parse_catalog`` on fuzzed TOML text.

Oracles: only :class:`CatalogError` is raised; for every item of an
accepted catalog, an intent asking for exactly that item is matched
without error, and every offer drafted signs and passes ``validate``
(the parser promises that an item's offers fit the protocol's bounds).
"""

from __future__ import annotations

from typing import Final

from intentcast.matching import Catalog, CatalogError, CatalogItem, match_intent, parse_catalog
from intentcast.protocol import Intent, Layer, Terms, sign, validate
from intentcast.protocol.fields import DAY, MAX_AMOUNT
from tests.matching.builders import CATALOGS

from .harness import Finding, Known
from .samples import CHECK_TIME, NO_WORK, market

KNOWN: Final[tuple[Known, ...]] = ()


def _intent_for(item: CatalogItem) -> Intent:
    """An intent that asks for ``item`` on terms it meets."""
    keys = market().keys
    region = next((r for r in item.ships_to if r != "*"), "DE")
    modes = tuple(m for m in item.payment_modes if m != "name-your-price") or ("prepay",)
    return Intent(
        category=item.category,
        title=item.title,
        terms=Terms(
            max_price=MAX_AMOUNT,
            currency=item.currency,
            region=region,
            customer_terms=item.customer_terms[:16],
            payment_modes=modes,
        ),
        reply_key=keys.reply_public,
        created=CHECK_TIME,
        expires=CHECK_TIME + 30 * DAY,
    )


def _check_offers(catalog: Catalog) -> None:
    vendor = market().vendor
    for item in catalog.items:
        intent = sign(_intent_for(item), market().keys.signing, params=NO_WORK)
        for draft in match_intent(intent, catalog, now=CHECK_TIME):
            offer = draft.to_offer(vendor_key=vendor.vendor_key, reply_key=vendor.reply_public)
            signed = sign(offer, vendor.signing)  # raises if the envelope is too large
            verdict = validate(signed.raw, now=CHECK_TIME, params=NO_WORK, layer=Layer.SEALED)
            if not verdict.accepted:
                sku = draft.item.sku
                raise Finding(f"item {sku!r} drafts an offer receivers refuse: {verdict}")


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        catalog = parse_catalog(text, source="fuzz.toml")
    except CatalogError:
        return
    _check_offers(catalog)


def seeds() -> list[bytes]:
    examples = [path.read_bytes() for path in sorted(CATALOGS.glob("*.toml"))]
    return [
        *examples,
        b'[shop]\nname = "S"\n[[item]]\nsku = "a"\n',  # missing fields
        b'[shop]\nname = "S"\ncurrency = "EUR"\nships_to = ["*"]\npayment_modes = ["prepay"]\n'
        b'[[item]]\nsku = "a"\ncategory = "other"\ntitle = "A thing"\nprice = 1\nstock = 1\n'
        b"floor = 1\ntiers = [{ min_quantity = 2, price = 1 }]\n",
    ]
