"""Builders for matching tests: signed intents and offers with sensible
defaults that every test changes one field at a time."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from intentcast.protocol import (
    Intent,
    Item,
    NetworkParams,
    Offer,
    Preferences,
    Signed,
    Terms,
    VendorKeys,
    derive_intent_keys,
    derive_vendor_keys,
    sign,
)

NOW = 1_800_000_000
DAY = 86_400
NO_WORK = NetworkParams(pow_bits={})
CUSTOMER_SEED = bytes(range(32))
CATALOGS = Path(__file__).resolve().parents[2] / "examples" / "catalogs"


@cache
def vendor(n: int = 0) -> VendorKeys:
    return derive_vendor_keys(bytes([n + 1]) * 32)


def terms(**changes: Any) -> Terms:
    base = Terms(
        max_price=60_000,
        currency="EUR",
        region="DE",
        deliver_by=NOW + 5 * DAY,
        customer_terms=("cc:no-tracking",),
        payment_modes=("prepay", "pay-on-delivery"),
        min_rating=0,
    )
    return replace(base, **changes)


def intent(counter: int = 0, **changes: Any) -> Signed[Intent]:
    """A signed intent for a Pixel 8; ``terms`` may be a dict of term changes."""
    keys = derive_intent_keys(CUSTOMER_SEED, counter)
    term_changes = changes.pop("terms", {})
    base = Intent(
        category=("electronics", "phones"),
        title="Pixel 8",
        attributes={"storage_gb": (128, 256), "color": "black"},
        terms=terms(**term_changes),
        preferences=Preferences(),
        reply_key=keys.reply_public,
        created=NOW,
        expires=NOW + 7 * DAY,
    )
    return sign(replace(base, **changes), keys.signing, params=NO_WORK)


def offer(for_intent: Signed[Intent], vendor_n: int = 0, **changes: Any) -> Signed[Offer]:
    """A signed offer that meets every hard constraint of ``intent()``'s
    default terms; ``changes`` override fields (``item`` may be a dict of
    item attributes)."""
    keys = vendor(vendor_n)
    attributes = changes.pop("attributes", {"storage_gb": 128, "color": "black"})
    base = Offer(
        intent_id=for_intent.id,
        vendor_key=keys.vendor_key,
        vendor_name=f"Vendor {vendor_n}",
        item=Item(title="Pixel 8 128 GB", attributes=attributes, sku=f"sku-{vendor_n}"),
        quantity=for_intent.message.quantity,
        price=50_000,
        currency="EUR",
        deliver_by=NOW + 2 * DAY,
        ships_to=("DE",),
        customer_terms=("cc:no-tracking",),
        payment_modes=("prepay",),
        reply_key=keys.reply_public,
        created=NOW,
        valid_until=NOW + 2 * DAY,
    )
    return sign(replace(base, **changes), keys.signing)
