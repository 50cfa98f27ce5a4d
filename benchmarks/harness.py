"""Shared measuring tools: interleaved timing and result printing."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Mapping


def per_call_us(fn: Callable[[], object], *, number: int) -> float:
    """Mean microseconds per call of ``fn`` over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number * 1e6


def interleaved(
    cases: Mapping[str, Callable[[], object]], *, number: int, rounds: int = 7
) -> dict[str, float]:
    """Median microseconds per call for each case, measured in alternating
    rounds so that machine noise hits every case alike (ratios stay honest
    on a shared machine)."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():  # warm caches and allocators
        per_call_us(fn, number=max(1, number // 10))
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(per_call_us(fn, number=number))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(name: str, figures: Mapping[str, object], *, as_json: bool) -> None:
    """Print ``figures`` as JSON (``--json``) or as an aligned table."""
    if as_json:
        json.dump({"benchmark": name, **figures}, sys.stdout, indent=2, sort_keys=False)
        print()
        return
    print(f"benchmark: {name}")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")
