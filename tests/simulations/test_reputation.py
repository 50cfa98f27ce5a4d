"""The reputation scenario, small: dishonest vendors lose their customers
once ratings count, and the attacks on the figure cost what the docs say."""

from __future__ import annotations

import io
import json
from typing import Any

from intentcast.matching.reputation import DEFAULT_WEIGHTING, FULL_WEIGHT
from simulations.cli import main
from simulations.scenarios.reputation_attacks import competitor, deal_hashes, self_dealing


def run(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main(["reputation", *args, "--json"], stdout=out) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_reputation_takes_customers_away_from_dishonest_vendors() -> None:
    """A small market (30 vendors, 20 days): ratings cut what dishonest
    vendors get (by 40 %; halved and more in the docs' larger runs), and
    pumping with fake deals wins some of it back, at a price."""
    r = run("--vendors", "30", "--intents", "400", "--customers", "40", "--no-attacks")
    assert r["config"]["dishonest"] == 3
    o = r["results"]["outcome"]
    without, with_, pumped = o["without"], o["with"], o["with_pumping"]
    assert without["accepts"] > 200 and with_["deals"] > 200
    assert with_["dishonest_deals"] <= 0.6 * without["dishonest_deals"]
    assert with_["dishonest_accepts"] <= 0.6 * without["dishonest_accepts"]
    assert with_["dishonest_accepts"] < pumped["dishonest_accepts"]
    assert pumped["dishonest_accepts"] < without["dishonest_accepts"]
    assert pumped["fake_deals"] > 0 and pumped["fake_deals_pow_core_seconds"] > 0
    figures = with_["mean_figure_at_end"]
    assert figures["no-delivery"] < figures["honest"]
    # A vendor that never confirms gets no public rating: only each
    # customer's own record counts it.
    assert figures["never-answers"] == 3.0


def test_the_same_arguments_print_the_same_result() -> None:
    args = ("--vendors", "10", "--intents", "60", "--customers", "5", "--no-attacks")
    assert run(*args) == run(*args)


def test_self_dealing_costs_more_under_the_figure_than_under_a_plain_average() -> None:
    plain, figure = self_dealing(FULL_WEIGHT), self_dealing(DEFAULT_WEIGHTING)
    assert plain["fake_deals_today"] == 30  # (3000 + 30 * 500) / 40 = 450
    assert figure["fake_deals_today"] >= 4 * plain["fake_deals_today"]
    # Backdating spreads fake ratings out of one burst, at the price of decay;
    # a node that saw them arrive today counts them as today's.
    assert plain["fake_deals_cheapest"] < figure["fake_deals_cheapest"]
    assert figure["fake_deals_backdated_seen_online"] == figure["fake_deals_today"]
    assert deal_hashes()["intent"] == 2**16


def test_a_competitor_needs_many_real_deals_to_sink_a_good_vendor() -> None:
    plain, figure = competitor(FULL_WEIGHT), competitor(DEFAULT_WEIGHTING)
    assert plain["victim_rating"] > 4.5 and figure["victim_rating"] > 4.5
    assert plain["bad_deals_bought_today"] > 100
    assert figure["bad_deals_bought_today"] > 5 * plain["bad_deals_bought_today"]
