"""Hooks for the schemathesis run of ``test_schemathesis.py`` (loaded by the
``schemathesis`` command through ``SCHEMATHESIS_HOOKS``).

The long polls (``GET /v1/events``, ``GET /v1/vendor/work``) wait up to
their ``timeout`` when nothing happens; generated cases would each wait up
to a minute. The fuzz run shortens every generated timeout to 0.05 s (what
a timeout does is tested in ``tests/cli/test_commands.py``); every other
value goes to the API as generated.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if query and "timeout" in query:
        try:
            seconds = float(query["timeout"])
        except (TypeError, ValueError):
            return query  # not a number: the API must refuse it, as generated
        if seconds > 0.05:
            query["timeout"] = 0.05
    return query
