"""Origin hiding: the first-spy estimator, and what stem routing does to it."""

from __future__ import annotations

from simulations.messages import SimMessage
from simulations.scenarios.anonymity import first_spy_guess

from .test_scenarios import scenario


def test_the_first_spy_estimator_names_the_peer_the_earliest_spy_heard_from() -> None:
    msg = SimMessage(0, b"an envelope", 0, None)
    msg.track(6)
    assert msg.arrived is not None and msg.first_from is not None
    msg.arrived[4], msg.first_from[4] = 2.0, 3  # spy 4 heard it by gossip from 3
    msg.arrived[5], msg.first_from[5] = 1.5, 2  # spy 5 earlier, from 2
    assert first_spy_guess(msg, [4, 5], {}) == 2
    assert first_spy_guess(msg, [4, 5], {4: (1.0, 1)}) == 1  # a stem receipt, earlier still
    assert first_spy_guess(msg, [0], {}) is None  # no spy heard of it


def test_stem_routing_lowers_the_first_spy_accuracy_of_plain_gossip() -> None:
    r = scenario("anonymity", "--nodes", "200", "--intents", "40", "--spies", "0.1")
    row = r["by_spy_share"]["10%"]
    gossip, stem = row["gossip"], row["stem"]
    assert stem["guessed_right"] < gossip["guessed_right"]
    assert stem["stem_hops_per_intent"] >= 1
    # The stem delays intents but loses none.
    assert gossip["delivered_to_all_vendors"] == stem["delivered_to_all_vendors"] == 1.0
    assert stem["to_all_vendors_p50_ms"] > gossip["to_all_vendors_p50_ms"]
