"""The detail-updates scenario: every update reaches every vendor that
holds the field in the end, always-on vendors acknowledge within a minute
unless the customer's node went offline first, and the run is a function
of its seed."""

from __future__ import annotations

import io
import json
from typing import Any

from simulations.cli import main


def detail_updates(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main(["detail-updates", "--customers", "300", "--json", *args], stdout=out) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_updates_are_acknowledged_in_the_end_and_always_on_vendors_at_once() -> None:
    r = detail_updates("--seed", "2")["results"]
    assert r["updates"] > 0
    always, intermittent = r["by_vendor"]["always on"], r["by_vendor"]["up and down"]
    assert r["acknowledged"]["by the end"] == 1.0
    assert always["within 1 min"] > 0.95
    assert intermittent["within 1 min"] < always["within 1 min"]
    for shares in (always, intermittent):
        assert shares["within 1 min"] <= shares["within 1 h"] <= shares["within 1 day"] <= 1


def test_only_vendors_that_hold_the_address_get_an_update() -> None:
    r = detail_updates("--seed", "2", "--hold-address", "0")["results"]
    assert r["updates"] == 0


def test_a_short_network_life_costs_resends_and_the_seed_fixes_the_output() -> None:
    short = detail_updates("--seed", "3", "--ttl-days", "0.25")
    assert short["results"]["resends"] > detail_updates("--seed", "3")["results"]["resends"]
    assert detail_updates("--seed", "3", "--ttl-days", "0.25") == short
