"""Relevance cannot silently regress: precision, recall and F1 of
``match_intent`` on the labelled set in benchmarks/data/relevance/ stay
above floors set a little under what the matcher reaches
(docs/benchmarks.md, "relevance")."""

from __future__ import annotations

from benchmarks.relevance import evaluate_all

#: Measured: precision 0.990, recall 0.976, F1 0.983 overall; worst shop F1 0.932.
OVERALL_F1 = 0.95
OVERALL_PRECISION = 0.95
SHOP_F1 = 0.85


def test_relevance_on_the_labelled_set_stays_above_its_floor() -> None:
    per_shop, total = evaluate_all()
    assert total.pairs >= 400 and len(per_shop) >= 5
    misses = "\n".join(f"{m['intent']} -> {m['item']}: {m['miss']}" for m in total.misses)
    assert total.f1 >= OVERALL_F1, misses
    assert total.precision >= OVERALL_PRECISION, misses
    for shop, score in per_shop.items():
        assert score.f1 >= SHOP_F1, f"{shop}: F1 {score.f1:.3f}\n{misses}"
