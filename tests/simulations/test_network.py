"""The simulated network moves real messages the way the node would."""

from __future__ import annotations

import pytest

from intentcast.protocol import Action
from simulations.base import (
    SYNC_FRAME_OVERHEAD,
    VIA_DIRECT,
    VIA_FEED,
    VIA_GOSSIP,
    VIA_IWANT,
    VIA_OWN,
    VIA_SYNC,
)
from simulations.engine import EventLoop, SimulationError
from simulations.messages import SimMessage
from simulations.network import Network
from simulations.params import Costs, GossipParams
from simulations.topology import line

from .helpers import TOPIC, delivered, intents, params, publish_at, random_network


def test_events_at_the_same_time_run_in_the_order_they_were_scheduled() -> None:
    loop = EventLoop(seed=1)
    seen: list[str] = []
    for name in ("a", "b", "c"):
        loop.call_at(2.0, seen.append, name)
    loop.call_at(1.0, seen.append, "first")
    loop.run(5.0)
    assert seen == ["first", "a", "b", "c"]
    assert loop.now == 5.0
    with pytest.raises(SimulationError, match="before now"):
        loop.call_at(4.0, seen.append, "late")


def test_a_line_of_five_nodes_delivers_at_the_hand_computed_times() -> None:
    """Each hop: the sender's CPU spends 2 ms on the copy, the link takes its
    latency (10, 20, 30, 40 ms), the receiver spends 1 ms receiving and
    0.5 ms validating; it then forwards to its only other mesh peer."""
    costs = Costs(receive=0.001, accept=0.0005, send=0.002)
    net = Network(
        n=5,
        edges=line(5),
        latency=[0.010, 0.020, 0.030, 0.040],
        topics=[TOPIC],
        params=params(costs=costs, sync_enabled=False),
        seed=1,
    )
    (msg,) = intents(net, 1)
    net.start()
    publish_at(net, 5.0, 0, msg)
    net.run(10.0)
    assert msg.arrived is not None and msg.first_from is not None and msg.via is not None
    # 5.0 + 0.002 + 0.010 + 0.0015 = 5.0135; then + 0.002 + 0.020 + 0.0015 = 5.037; ...
    assert list(msg.arrived) == pytest.approx([5.0, 5.0135, 5.037, 5.0705, 5.114], abs=1e-12)
    assert list(msg.first_from) == [0, 0, 1, 2, 3]
    assert list(msg.via) == [VIA_OWN] + [VIA_GOSSIP] * 4
    assert net.duplicates == 0 and net.copies == 4


def test_without_loss_or_churn_every_node_gets_every_intent() -> None:
    net = random_network(n=300, degree=8)
    msgs = intents(net, 10)
    net.start()
    for k, m in enumerate(msgs):
        publish_at(net, 3.0 + 0.1 * k, net.rng.randrange(net.n), m)
    net.run(15.0)
    assert [delivered(m, range(net.n)) for m in msgs] == [net.n] * len(msgs)
    # Every node validated each intent (a memoised verdict), the real
    # validate() ran once per intent.
    assert net.messages.validate_calls == len(msgs)
    assert net.messages.validations == len(msgs) * (net.n - 1)
    assert all(m.action is Action.ACCEPT for m in msgs)
    sizes = net.mesh_sizes()
    assert min(sizes) >= 4 and max(sizes) <= 12  # degree_low .. degree_high


def test_ihave_iwant_repairs_what_loss_drops() -> None:
    net = random_network(n=200, degree=8, loss=0.25, sync_enabled=False)
    msgs = intents(net, 5)
    net.start()
    for k, m in enumerate(msgs):
        publish_at(net, 3.0 + k, k, m)
    net.run(20.0)
    assert net.lost > 0
    assert [delivered(m, range(net.n)) for m in msgs] == [net.n] * len(msgs)
    assert any(m.via is not None and VIA_IWANT in m.via for m in msgs)


def test_py_libp2p_ihave_fetches_seen_messages_again() -> None:
    """With the library's seqno-keyed IHAVE ids, every advertised message
    is fetched again, so the same traffic costs more copies per delivery."""
    copies = {}
    for quirk in (False, True):
        gossip = GossipParams(ihave_always_fetches=quirk)
        net = random_network(n=200, degree=16, sync_enabled=False, gossip=gossip)
        msgs = intents(net, 5)
        net.start()
        for k, m in enumerate(msgs):
            publish_at(net, 3.0 + 0.2 * k, k, m)
        net.run(12.0)
        assert [delivered(m, range(net.n)) for m in msgs] == [net.n] * len(msgs)
        copies[quirk] = net.copies
    assert copies[True] > 2 * copies[False]


def test_a_node_down_at_publish_gets_the_intent_by_sync_when_it_returns() -> None:
    net = random_network(n=100, degree=8)
    (msg,) = intents(net, 1)
    net.start()
    net.loop.call_at(2.0, net.leave, 7)
    publish_at(net, 3.0, 0, msg)
    net.loop.call_at(12.0, net.rejoin, 7)  # long after the message cache forgot it
    net.run(14.0)
    assert msg.arrived is not None and msg.via is not None
    assert msg.via[7] == VIA_SYNC
    assert 12.0 < msg.arrived[7] < 13.0
    assert delivered(msg, range(net.n)) == net.n


def test_without_sync_a_node_that_returns_late_never_gets_it() -> None:
    net = random_network(n=100, degree=8, sync_enabled=False)
    (msg,) = intents(net, 1)
    net.start()
    net.loop.call_at(2.0, net.leave, 7)
    publish_at(net, 3.0, 0, msg)
    net.loop.call_at(12.0, net.rejoin, 7)
    net.run(20.0)
    assert msg.arrived is not None
    assert msg.arrived[7] < 0
    assert delivered(msg, range(net.n)) == net.n - 1


def test_a_scenario_can_route_a_publish_peer_to_peer_before_gossip() -> None:
    """The hooks issue 8's stem needs: take over a node's own publish, send
    it to one peer outside gossip, let that peer validate and gossip it."""
    net = random_network(n=100, degree=8)
    (msg,) = intents(net, 1)
    origin = 0
    relay = min(net.nodes[origin].links)

    def stem(v: int, m: object) -> bool:
        net.send_direct(v, relay, msg, tag="stem")
        return True

    def arrived(v: int, src: int, m: object, tag: object, done: float) -> None:
        assert (v, src, tag) == (relay, origin, "stem")
        if net.accept_direct(v, src, msg, done):
            net.gossip_publish(v, msg)

    net.publish_hook = stem
    net.on_direct = arrived
    net.start()
    publish_at(net, 3.0, origin, msg)
    net.run(8.0)
    assert msg.first_from is not None and msg.via is not None
    assert msg.via[relay] == VIA_DIRECT and msg.first_from[relay] == origin
    assert delivered(msg, range(net.n)) == net.n
    # The origin held it outside gossip: it took it back in from the relay's
    # gossip, as the node does, and forwarded it like every other node.
    assert msg.via[origin] == VIA_GOSSIP


def test_a_carrier_feeds_what_it_accepts_to_a_customer_that_follows_no_topic() -> None:
    """Issue 20's offer feed: node 2 follows nothing; its carrier, node 1,
    pushes it every message it accepts, once, on a kept stream (the
    envelope and a sync frame's framing, counted at both ends). Node 2
    takes it through its pipeline, does not forward it, and a second push
    of the same message is a duplicate."""
    net = Network(
        n=3,
        edges=line(3),
        latency=[0.010, 0.020],
        topics=[TOPIC],
        subscriptions=[(0,), (0,), ()],
        params=params(sync_enabled=False),
        seed=1,
    )
    (msg,) = intents(net, 1)
    pushed: list[float] = []

    def carry(v: int, m: SimMessage, done: float) -> None:
        if v == 1:
            assert net.send_feed(1, 2, m, done)
            pushed.append(done)

    net.on_accept = carry
    net.start()
    publish_at(net, 1.0, 0, msg)
    net.run(3.0)
    assert msg.arrived is not None and msg.via is not None and msg.first_from is not None
    assert msg.via[2] == VIA_FEED and msg.first_from[2] == 1
    assert msg.arrived[2] > pushed[0] + 0.020  # after the link's latency
    frame = msg.size + SYNC_FRAME_OVERHEAD
    assert net.received_bytes[2] == frame
    assert net.sent_bytes[2] == 0  # it forwards nothing
    first = msg.arrived[2]
    net.on_accept = None
    assert net.send_feed(1, 2, msg, net.now)
    net.run(4.0)
    assert msg.arrived[2] == first
    assert net.received_bytes[2] == 2 * frame
    # Not connected: nothing is sent.
    assert not net.send_feed(0, 2, msg, net.now)
