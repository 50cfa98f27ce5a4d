"""``python -m benchmarks rank [--json]``: ranking and matching against the
cryptography every offer needs anyway.

Measured side by side, interleaved, in one run:

- ``rank_per_offer_us``: ``rank_offers`` of 100,000 signed offers (100
  vendors with ratings; about a fifth break a hard constraint and are
  rejected with explanations) against one intent, divided by the count;
- ``verify_us``: one bare PyNaCl ``VerifyKey(key).verify`` of a signed
  offer's bytes (the floor of opening any offer);
- ``rank_vs_verify``: their ratio (goal <= 0.1);
- ``rank_read_all_per_offer_us``: ranking and then reading every ranked
  offer object (the ranking builds them on read; a customer reads a few);
- ``match_per_item_us``: ``match_intent`` over a 10,000-item catalog
  (parsed from TOML once, ``parse_per_item_us``), divided by the item count.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import replace

from nacl.signing import VerifyKey

from benchmarks.harness import interleaved, report
from intentcast.matching import RatingSummary, match_intent, parse_catalog, rank_offers
from intentcast.protocol import Intent, Offer, Signed, sign
from intentcast.protocol.encoding import decode_envelope, signing_input
from tests.matching.builders import DAY, NOW, intent, offer, vendor

VENDORS = 100
WORDS = ("pixel", "8", "phone", "black", "case", "charger", "iphone", "15", "galaxy", "cable")


def make_offers(target: Signed[Intent], count: int, rng: random.Random) -> list[Signed[Offer]]:
    """``count`` distinct signed offers for ``target``; about one in five
    breaks a hard constraint (price, region, terms, delivery or validity)."""
    base = offer(target).message
    t = target.message.terms
    assert t.deliver_by is not None
    keys = [vendor(n) for n in range(VENDORS)]
    out: list[Signed[Offer]] = []
    for n in range(count):
        k = keys[n % VENDORS]
        broken = rng.random() < 0.2
        changes: dict[str, object] = {
            "vendor_key": k.vendor_key,
            "vendor_name": f"Vendor {n % VENDORS}",
            "reply_key": k.reply_public,
            "price": rng.randrange(t.max_price // 2, t.max_price + 1),
            "deliver_by": NOW + rng.randrange(0, t.deliver_by - NOW),
            "ships_to": rng.choice([("DE",), ("*",), ("AT", "DE"), ("DE", "FR", "NL")]),
            "customer_terms": tuple(
                {
                    "cc:no-tracking",
                    *rng.sample(
                        ["cc:no-resale", "cc:no-marketing", "cc:delete-after-deal"],
                        rng.randrange(0, 3),
                    ),
                }
            ),
            "payment_modes": rng.choice([("prepay",), ("escrow", "prepay"), ("escrow",)]),
            "item": replace(
                base.item,
                sku=f"sku-{n}",
                attributes={
                    "storage_gb": rng.choice([64, 128, 256]),
                    "color": rng.choice(["black", "white"]),
                },
            ),
        }
        if broken:
            what = rng.randrange(5)
            if what == 0:
                changes["price"] = t.max_price + rng.randrange(1, 10_000)
            elif what == 1:
                changes["ships_to"] = ("FR",)
            elif what == 2:
                changes["customer_terms"] = ("cc:no-resale",)
            elif what == 3:
                changes["deliver_by"] = t.deliver_by + DAY
            else:
                changes["created"], changes["valid_until"] = NOW - 2 * DAY, NOW - DAY
        out.append(sign(replace(base, **changes), k.signing))  # type: ignore[arg-type]
    return out


def make_catalog(items: int, rng: random.Random) -> str:
    """TOML text of a catalog with ``items`` items over three subcategories."""
    lines = [
        "[shop]",
        'name = "Bench Shop"',
        'currency = "EUR"',
        'ships_to = ["DE", "AT"]',
        "delivery_days = 2",
        'customer_terms = ["cc:no-tracking", "cc:no-resale"]',
        'payment_modes = ["prepay", "escrow"]',
    ]
    categories = (["electronics", "phones"], ["electronics", "accessories"], ["home", "kitchen"])
    for n in range(items):
        title = " ".join(rng.sample(WORDS, 3))
        lines += [
            "[[item]]",
            f'sku = "item-{n}"',
            f"category = {json.dumps(rng.choice(categories))}",
            f"title = {json.dumps(title)}",
            f"keywords = {json.dumps(rng.sample(WORDS, 2))}",
            f"attributes = {{ storage_gb = {rng.choice([64, 128, 256])}, color = "
            f'"{rng.choice(["black", "white"])}" }}',
            f"price = {rng.randrange(1_000, 90_000)}",
            f"stock = {rng.randrange(0, 20)}",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks rank",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--offers", type=int, default=100_000, help="offers to rank")
    parser.add_argument("--items", type=int, default=10_000, help="catalog items to match")
    parser.add_argument("--verifies", type=int, default=2_000, help="verifies per round")
    args = parser.parse_args(argv)

    rng = random.Random(4)
    target = intent(
        title="Pixel 8",
        attributes={"storage_gb": (128, 256), "color": "black"},
        terms={"customer_terms": ("cc:no-tracking",), "payment_modes": ("prepay", "escrow")},
    )
    offers = make_offers(target, args.offers, rng)
    reputation = {
        vendor(n).vendor_key: RatingSummary.of(
            [rng.randrange(300, 501) for _ in range(rng.randrange(0, 200))]
        )
        for n in range(VENDORS)
    }
    now = NOW + 60
    ranking = rank_offers(target, offers, now=now, reputation=reputation)
    assert ranking.ranked and ranking.rejected

    env = decode_envelope(offers[0].raw)
    data, signature, signer = signing_input(env.kind, env.body), env.signature, env.signer

    def verify_batch() -> None:
        for _ in range(args.verifies):
            VerifyKey(signer).verify(data, signature)

    us = interleaved(
        {
            "rank": lambda: rank_offers(target, offers, now=now, reputation=reputation),
            "rank_read_all": lambda: list(
                rank_offers(target, offers, now=now, reputation=reputation).ranked
            ),
            "verify_batch": verify_batch,
        },
        number=1,
    )
    rank_us = us["rank"] / len(offers)
    verify_us = us["verify_batch"] / args.verifies

    start = time.perf_counter()
    catalog = parse_catalog(make_catalog(args.items, rng), source="bench.toml")
    parse_us = (time.perf_counter() - start) * 1e6 / args.items
    drafts = match_intent(target, catalog, now=now)
    assert drafts
    match_us = interleaved({"match": lambda: match_intent(target, catalog, now=now)}, number=3)

    figures: dict[str, object] = {
        "offers": len(offers),
        "ranked": len(ranking.ranked),
        "rejected": len(ranking.rejected),
        "offer_bytes": len(offers[0].raw),
        "rank_per_offer_us": round(rank_us, 3),
        "verify_us": round(verify_us, 2),
        "rank_vs_verify": round(rank_us / verify_us, 4),
        "rank_read_all_per_offer_us": round(us["rank_read_all"] / len(offers), 3),
        "catalog_items": len(catalog.items),
        "drafts": len(drafts),
        "parse_per_item_us": round(parse_us, 2),
        "match_per_item_us": round(match_us["match"] / len(catalog.items), 3),
    }
    report("rank", figures, as_json=args.json)
    return 0
