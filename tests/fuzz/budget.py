"""How much a fuzz test does: few examples by default, so the suite keeps
its time (``INTENTCAST_FUZZ_EXAMPLES=N`` gives every fuzz test N), and
cheap reports of reproduced findings."""

from __future__ import annotations

import os
from types import ModuleType

from hypothesis import HealthCheck, settings

from fuzz.harness import run_input

#: Set to run every fuzz test with this many examples (docs/security.md).
ENV = "INTENTCAST_FUZZ_EXAMPLES"


def examples(default: int) -> settings:
    """Hypothesis settings for a fuzz test: ``default`` examples, or the
    number in ``$INTENTCAST_FUZZ_EXAMPLES``; no deadline (a noisy machine
    must not fail a test on time)."""
    count = int(os.environ.get(ENV, "0") or 0) or default
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )


def reproduce(module: ModuleType, data: bytes) -> None:
    """Run a reported finding's input with its harness, strictly (the
    finding raises). The error is re-raised with a short traceback: pytest
    takes seconds to format the thousand frames of a RecursionError."""
    try:
        run_input(module, data, strict=True)
    except Exception as exc:
        raise exc.with_traceback(None) from None
