"""``python -m benchmarks relevance [--json]``: how well ``match_intent``
finds what customers mean, on the labelled set in ``benchmarks/data/relevance/``.

Every intent of a shop is matched against the shop's whole catalog; each
(intent, item) pair is labelled relevant (the item is in the intent's
``expect`` list) or not. A pair the matcher drafts an offer for is a
positive. Reported per shop and overall: pairs, precision, recall, F1, and
every miss (a false negative: an expected item not offered; a false
positive: an item offered that was not expected), with the intent's title,
its kind and the first reason the relevance rule gives.
"""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness import report
from intentcast.matching import Catalog, assess_relevance, match_intent, parse_catalog
from intentcast.protocol import Intent, Signed
from tests.matching.builders import DAY, NOW, intent

DATA = Path(__file__).resolve().parent / "data" / "relevance"
ALL_MODES = ("prepay", "pay-on-delivery", "pay-after-delivery", "escrow")


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled intent: the items it should get from its shop."""

    title: str
    kind: str
    intent: Signed[Intent]
    expect: frozenset[str]


@dataclass(slots=True)
class Score:
    pairs: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.pairs += other.pairs
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.misses += other.misses

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def figures(self) -> dict[str, object]:
        return {
            "pairs": self.pairs,
            "relevant": self.tp + self.fn,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


def _value(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def load_cases(shop: str) -> tuple[Catalog, list[Case]]:
    """The catalog of ``shop`` and its labelled intents."""
    catalog_path = DATA / f"{shop}.catalog.toml"
    catalog = parse_catalog(catalog_path.read_text(), source=catalog_path.name)
    raw = tomllib.loads((DATA / f"{shop}.intents.toml").read_text())["intent"]
    cases = []
    for n, spec in enumerate(raw):
        deliver_days = spec.get("deliver_days")
        signed = intent(
            n,
            title=spec["title"],
            category=tuple(spec["category"].split("/")),
            attributes={k: _value(v) for k, v in spec.get("attributes", {}).items()},
            quantity=spec.get("quantity", 1),
            terms={
                "max_price": spec.get("max_price", 1_000_000),
                "region": spec.get("region", "DE"),
                "deliver_by": None if deliver_days is None else NOW + deliver_days * DAY,
                "customer_terms": (),
                "payment_modes": ALL_MODES,
            },
        )
        cases.append(Case(spec["title"], spec.get("kind", ""), signed, frozenset(spec["expect"])))
    return catalog, cases


def shops() -> list[str]:
    return sorted(p.name.removesuffix(".catalog.toml") for p in DATA.glob("*.catalog.toml"))


def evaluate(shop: str) -> Score:
    """Precision and recall of ``match_intent`` on one shop's labelled pairs."""
    catalog, cases = load_cases(shop)
    score = Score()
    for case in cases:
        offered = {d.item.sku for d in match_intent(case.intent, catalog, now=NOW)}
        for item in catalog.items:
            score.pairs += 1
            want, got = item.sku in case.expect, item.sku in offered
            score.tp += want and got
            score.fp += got and not want
            score.fn += want and not got
            if want != got:
                verdict = assess_relevance(case.intent.message, item, index=catalog.index)
                score.misses.append(
                    {
                        "shop": shop,
                        "miss": "false negative" if want else "false positive",
                        "intent": case.title,
                        "category": "/".join(case.intent.message.category),
                        "kind": case.kind,
                        "item": f"{item.sku}: {item.title}",
                        "why": "; ".join(verdict.reasons[1:] or verdict.reasons),
                    }
                )
    return score


def evaluate_all() -> tuple[dict[str, Score], Score]:
    """Scores per shop and overall."""
    per_shop = {shop: evaluate(shop) for shop in shops()}
    total = Score()
    for s in per_shop.values():
        total.add(s)
    return per_shop, total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks relevance",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    per_shop, total = evaluate_all()
    figures: dict[str, object] = {"overall": total.figures()}
    figures.update({shop: s.figures() for shop, s in per_shop.items()})
    if args.json:
        figures["misses"] = total.misses
        report("relevance", figures, as_json=True)
        return 0
    report("relevance", {k: v for k, v in figures.items()}, as_json=False)
    print(f"misses ({len(total.misses)}):")
    for m in total.misses:
        print(f"  [{m['shop']}] {m['miss']}: {m['intent']!r} ({m['category']}, {m['kind']}) "
              f"-> {m['item']}: {m['why']}")  # fmt: skip
    return 0
