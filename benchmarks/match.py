"""``python -m benchmarks match [--json]``: per-intent ``match_intent`` time
against catalogs of 1,000, 10,000 and 100,000 items, in one run.

The catalogs are synthetic but shaped like a shop's: items are brand x
product type x model number x size/colour (about 40 brands, 30 product
types, model numbers that grow with the catalog), in 30 categories. The
intents are what customers post: a brand, a product type and a model
number, sometimes a size, a typo or a synonym, taken from items of the
catalog (so each intent has a few relevant items, as in a real shop). The
catalog's index is built once (``index_build_s``); every intent is timed
``--repeat`` times and the median kept. Reported per size: p50 and p90 of
the per-intent time in milliseconds, drafts per intent, and
``ratio_100k_10k`` (goal <= 2: sublinear).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from benchmarks.harness import report
from intentcast.matching import Catalog, CatalogItem, match_intent
from intentcast.matching.words import item_words
from intentcast.protocol import Intent, Signed
from tests.matching.builders import NOW, intent

BRANDS = [f"{a}{b}" for a in ("zen", "nova", "kor", "alto", "vex", "luma", "orbi", "tera")
          for b in ("tek", "ware", "ix", "on", "lab")]  # fmt: skip
#: (top level, taxonomy subcategory, product word): 30 categories of the
#: shipped taxonomy (intentcast/matching/taxonomy.txt).
TYPES = [
    ("electronics", "phones", "phone"), ("electronics", "computers/laptops", "laptop"),
    ("electronics", "tv-video/televisions", "television"),
    ("electronics", "audio/headphones", "headphones"),
    ("electronics", "accessories/chargers", "charger"),
    ("electronics", "accessories/cables", "cable"),
    ("electronics", "cameras/digital", "camera"), ("electronics", "gaming/consoles", "console"),
    ("electronics", "tablets", "tablet"), ("electronics", "audio/speakers", "speaker"),
    ("electronics", "wearables", "smartwatch"), ("electronics", "computers/monitors", "monitor"),
    ("electronics", "computers/accessories", "keyboard"),
    ("electronics", "computers/accessories", "mouse"),
    ("electronics", "computers/storage", "ssd"),
    ("electronics", "accessories/power-banks", "powerbank"),
    ("electronics", "smart-home", "router"), ("electronics", "computers/printers", "printer"),
    ("electronics", "cameras/lenses", "lens"), ("electronics", "audio/headphones", "earbuds"),
    ("home", "kitchen/appliances", "kettle"), ("home", "kitchen/appliances", "toaster"),
    ("home", "cleaning", "vacuum"), ("home", "appliances", "fan"),
    ("home", "appliances", "heater"), ("home", "lighting", "lamp"),
    ("electronics", "accessories/cases", "case"), ("electronics", "cameras/action", "drone"),
    ("electronics", "tv-video/projectors", "projector"), ("electronics", "audio", "microphone"),
]  # fmt: skip
COLOURS = ("black", "white", "silver", "blue", "red", "green")
SIZES = ((" 64GB", "storage_gb", 64), (" 128GB", "storage_gb", 128),
         (" 27 inch", "screen_inch", 27), (" 1.5 l", "volume_ml", 1500), ("", "", 0))  # fmt: skip


def make_items(count: int, rng: random.Random) -> list[CatalogItem]:
    """``count`` items; model numbers grow with the catalog (a bigger shop
    sells more models, not more copies of the same ones)."""
    models = max(10, count // 25)
    items = []
    for n in range(count):
        brand = rng.choice(BRANDS)
        top, sub, kind = rng.choice(TYPES)
        model = f"{rng.choice('abcdefghkmnpqrstxz')}{rng.randrange(models)}"
        size, attr, value = rng.choice(SIZES)
        colour = rng.choice(COLOURS)
        title = f"{brand.title()} {kind} {model.upper()}{size}, {colour}"
        attributes: dict[str, object] = {"brand": brand, "color": colour}
        if attr:
            attributes[attr] = value
        category = (top, *sub.split("/"))
        items.append(
            CatalogItem(
                sku=f"sku-{n}", category=category, title=title, description="",
                keywords=(brand, kind), attributes=attributes,  # type: ignore[arg-type]
                currency="EUR", price=rng.randrange(1_000, 90_000), tiers=(), floor=None,
                stock=rng.randrange(1, 20), ships_to=("DE", "AT"), delivery_days=2,
                customer_terms=("cc:no-tracking",), payment_modes=("escrow", "prepay"),
                offer_valid_hours=48,
                words=item_words(title, (brand, kind), attributes),  # type: ignore[arg-type]
            )
        )  # fmt: skip
    return items


def make_intents(items: list[CatalogItem], count: int, rng: random.Random) -> list[Signed[Intent]]:
    """Customer intents after random items: "<brand> <type> <model>" with
    variations (a size, a synonym, a typo, the brand left out)."""
    out = []
    for n in range(count):
        item = rng.choice(items)
        brand, kind = item.keywords
        model = item.title.split()[2].rstrip(",").lower()
        words = [brand, kind, model]
        roll = rng.random()
        if roll < 0.2:
            other = {"phone": "smartphone", "television": "tv", "laptop": "notebook"}
            words[1] = other.get(kind, kind)
        elif roll < 0.35 and len(brand) > 4:
            words[0] = brand[:2] + brand[3:]  # a typo
        elif roll < 0.5:
            words = words[1:]
        out.append(
            intent(n, title=" ".join(words), category=item.category, attributes={},
                   terms={"max_price": 100_000, "region": "DE", "deliver_by": None,
                          "customer_terms": (), "payment_modes": ("prepay", "escrow")})
        )  # fmt: skip
    return out


def measure(size: int, intents_n: int, repeat: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    items = make_items(size, rng)
    catalog = Catalog(name="Bench Shop", items=tuple(items))
    start = time.perf_counter()
    _ = catalog.index
    build = time.perf_counter() - start
    intents = make_intents(items, intents_n, random.Random(seed + 1))
    times, drafts = [], []
    now = NOW + 60
    for target in intents:
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = match_intent(target, catalog, now=now)
            runs.append(time.perf_counter() - t0)
        times.append(statistics.median(runs) * 1000)
        drafts.append(len(result))
    times.sort()
    return {
        "items": size,
        "index_build_s": round(build, 2),
        "p50_ms": round(statistics.median(times), 3),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 3),
        "drafts_per_intent": round(statistics.mean(drafts), 1),
        "intents_with_drafts": sum(1 for d in drafts if d),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks match",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--sizes", default="1000,10000,100000", help="catalog sizes")
    parser.add_argument("--intents", type=int, default=100, help="intents per size")
    parser.add_argument("--repeat", type=int, default=5, help="timings per intent")
    args = parser.parse_args(argv)
    results = {
        f"items_{size}": measure(size, args.intents, args.repeat, seed=7)
        for size in (int(s) for s in args.sizes.split(","))
    }
    figures: dict[str, object] = dict(results)
    p50 = {r["items"]: r["p50_ms"] for r in results.values()}
    if 100_000 in p50 and 10_000 in p50:
        figures["ratio_100k_10k"] = round(float(p50[100_000]) / float(p50[10_000]), 2)  # type: ignore[arg-type]
    report("match", figures, as_json=args.json)
    return 0
