"""The simulator's copies of the node's settings still match the node.

simulations/ may not import intentcast.node (tests/test_layering.py), so
it mirrors the values; this test fails the day one side changes."""

from __future__ import annotations

from intentcast.node import stem as node_stem
from intentcast.peer import topics
from intentcast.peer.config import GossipConfig, NodeConfig, SyncLimits
from intentcast.peer.limits import PeerLimitConfig
from intentcast.protocol import DEFAULT_PARAMS
from simulations import params
from simulations import stem as sim_stem
from simulations.sync import MAX_INVENTORY


def test_gossip_parameters_are_the_nodes() -> None:
    node, sim = GossipConfig(), params.GossipParams()
    assert (sim.degree, sim.degree_low, sim.degree_high) == (
        node.degree,
        node.degree_low,
        node.degree_high,
    )
    assert sim.heartbeat == node.heartbeat_seconds
    assert (sim.gossip_window, sim.gossip_history) == (node.gossip_window, node.gossip_history)
    assert (sim.publish_per_second, sim.publish_burst) == (
        node.publish_per_second,
        node.publish_burst,
    )


def test_flood_rules_are_the_nodes() -> None:
    node, sim = PeerLimitConfig(), params.LimitParams()
    for name in (
        "messages_per_second",
        "message_burst",
        "bytes_per_second",
        "byte_burst",
        "max_rejected",
        "max_over_rate",
        "window",
        "ban_seconds",
    ):
        assert getattr(sim, name) == getattr(node, name), name


def test_node_rules_and_sync_bounds_are_the_nodes() -> None:
    node, sim = NodeConfig(), params.NodeParams()
    for name in (
        "max_relayed_offers_per_intent",
        "max_offers_per_intent",
        "fresh_intent_seconds",
        "catch_up_delay",
        "resync_seconds",
        "resync_after_connect_seconds",
        "reconnect_min_seconds",
    ):
        assert getattr(sim, name) == getattr(node, name), name
    assert SyncLimits().max_inventory == MAX_INVENTORY
    assert params.SimParams().network == DEFAULT_PARAMS


def test_topic_names_are_the_nodes() -> None:
    assert params.ALL_TOPICS == topics.ALL_TOPICS
    assert params.intent_topic("home") == topics.intents("home")
    assert params.offer_topic("home") == topics.offers("home")


def test_stem_stream_times_are_the_nodes() -> None:
    assert sim_stem.SENDER_IDLE == node_stem.SENDER_IDLE
    assert sim_stem.KEEPER_PERIOD == node_stem.KEEPER_PERIOD
    # The sender renews well before the receiver drops an idle stream.
    assert sim_stem.SENDER_IDLE < node_stem.RECEIVER_IDLE
