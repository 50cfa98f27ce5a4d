"""Origin hiding: the first-spy estimator, and what stem routing does to it."""

from __future__ import annotations

import pytest

from intentcast.protocol.stem import DEFAULT_STEM_PARAMS
from simulations.messages import SimMessage
from simulations.network import Network
from simulations.params import EPOCH
from simulations.scenarios.anonymity import first_spy_guess
from simulations.stem import KEEPER_PERIOD, SENDER_IDLE, StemRouting, StreamMode

from .helpers import intents, publish_at, random_network
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


@pytest.mark.parametrize(("mode", "links"), [("kept", (3, 1, 3)), ("per-message", (3, 3, 3))])
def test_a_kept_stem_stream_costs_one_link_latency_after_the_first_message(
    mode: StreamMode, links: tuple[int, int, int]
) -> None:
    """As node/stem.py did from d5360c8: the first message to a successor
    opens the stream (a round trip, then the frame), the next one is written
    on it, and one sent after the stream sat idle opens a new one. Per
    message: always 3."""
    net = random_network(n=50, degree=8)
    routing = StemRouting(net, DEFAULT_STEM_PARAMS, streams=mode)
    times = (3.0, 4.0, 5.0 + SENDER_IDLE)
    _assert_first_hops(net, routing, times, links)
    assert (routing.opened < routing.hops) is (mode == "kept")
    assert routing.opened == routing.opened_for_message


def test_streams_opened_when_the_epoch_draws_the_successors_cost_one_link_latency() -> None:
    """As node/stem.py does since 5f6ab3e: the keeper opens a stream to each
    successor within a keeper period of the draw and renews it before it
    goes stale, so no message waits for a stream to open, even after more
    than SENDER_IDLE without one."""
    net = random_network(n=50, degree=8)
    routing = StemRouting(net, DEFAULT_STEM_PARAMS)
    assert routing.mode == "epoch"
    start = KEEPER_PERIOD + 1.0  # every keeper has checked once
    times = (start, start + 1.0, start + 2.0 + SENDER_IDLE)
    # The author's epoch does not turn within a keeper period before a send
    # (then the message itself would draw the successor and open a stream).
    router = routing.routers[0]
    for t in times:
        assert router.epoch_at(EPOCH + t) == router.epoch_at(EPOCH + t - 2 * KEEPER_PERIOD)
    _assert_first_hops(net, routing, times, (1, 1, 1))
    assert routing.opened_for_message == 0
    assert routing.opened >= net.n  # the keepers opened (and renewed) them


def test_a_stem_frame_can_take_its_own_latency_instead_of_the_links() -> None:
    """``hop_latency``: where the link latency stands for a gossip hop (the
    network benchmark's fit), a stem frame and each leg of opening its
    stream take the stem's own one-way time instead."""
    net = random_network(n=50, degree=8)
    routing = StemRouting(net, DEFAULT_STEM_PARAMS, streams="kept", hop_latency=0.01)
    times = (3.0, 4.0, 5.0 + SENDER_IDLE)
    _assert_first_hops(net, routing, times, (3, 1, 3), one_way=0.01)


def _assert_first_hops(
    net: Network,
    routing: StemRouting,
    times: tuple[float, ...],
    links: tuple[int, ...],
    *,
    one_way: float | None = None,
) -> None:
    """Author 0 publishes one intent at each of ``times``; its first hop takes
    ``links`` link latencies (or ``one_way`` seconds each)."""
    msgs = intents(net, len(times))
    author = 0
    for t, msg in zip(times, msgs, strict=True):
        publish_at(net, t, author, msg)
    net.start()
    net.run(times[-1] + 5.0)
    for t, msg, n in zip(times, msgs, links, strict=True):
        receipts = routing.stem_receipts[msg.index]
        arrival, successor = min((at, v) for v, (at, u) in receipts.items() if u == author)
        latency = net.nodes[author].links[successor] if one_way is None else one_way
        assert arrival - t == pytest.approx(n * latency, abs=0.002)


def test_successors_from_dialled_peers_keep_out_spies_that_dial_everyone() -> None:
    """Spies that each dial 150 of the 180 honest nodes are most of every honest node's
    peers. Drawing successors from all peers (as the node did before it
    read a connection's direction) makes most authors' successor a spy;
    drawing them from the peers a node dialled itself (the node's rule)
    keeps that near the spy share."""
    common = ("--nodes", "200", "--intents", "60", "--spies", "0.1", "--spy-dials", "150")
    rows = {
        rule: scenario("anonymity", *common, "--successors-from", rule)["by_spy_share"]["10%"]
        for rule in ("all", "dialled")
    }
    spy_first_hop = {
        rule: row["stem"]["guessed_right_because"].get("stem successor", 0) / 60
        for rule, row in rows.items()
    }
    assert spy_first_hop["all"] >= 0.5
    assert spy_first_hop["dialled"] <= 0.25
    assert rows["dialled"]["stem"]["guessed_right"] < rows["all"]["stem"]["guessed_right"]
