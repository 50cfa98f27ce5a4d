"""Summaries of simulated measurements: percentiles as the network
benchmark computes them (nearest rank), rounded for stable output."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; NaN if empty.
    The same definition as ``benchmarks/network.py``, so figures compare."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> float | None:
    """Seconds to milliseconds, rounded to 0.1 ms (None for NaN: JSON has no NaN)."""
    if math.isnan(seconds):
        return None
    return round(seconds * 1000, 1)


def ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def latency_summary(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50/p90/p99/max in milliseconds."""
    ordered = sorted(seconds)
    return {
        "p50_ms": ms(percentile(ordered, 50)),
        "p90_ms": ms(percentile(ordered, 90)),
        "p99_ms": ms(percentile(ordered, 99)),
        "max_ms": ms(ordered[-1]) if ordered else None,
    }


def spread(values: Sequence[float], digits: int = 1) -> dict[str, float | None]:
    """Mean, p50, p99 and max of per-node figures."""
    if not values:
        return {"mean": None, "p50": None, "p99": None, "max": None}
    ordered = sorted(values)
    return {
        "mean": round(sum(ordered) / len(ordered), digits),
        "p50": round(percentile(ordered, 50), digits),
        "p99": round(percentile(ordered, 99), digits),
        "max": round(ordered[-1], digits),
    }
