"""The simulator runs with the node's own settings.

The node's configuration (gossip, peer limits, sync bounds, rules), topic
names, the stem's bounds and its stream times are imported from
``intentcast.peer``, equal by construction; checked here: that the
simulated node's defaults are the node's, and that the stream times make
sense together."""

from __future__ import annotations

from intentcast.peer import stem as peer_stem
from intentcast.peer import sync as peer_sync
from intentcast.peer.config import NodeConfig
from intentcast.protocol import DEFAULT_PARAMS
from simulations import params
from simulations import stem as sim_stem


def test_the_simulated_node_runs_the_nodes_default_config() -> None:
    assert params.SimParams().node == NodeConfig()
    assert params.SimParams().network == DEFAULT_PARAMS
    assert params.SimParams().sync_poll_seconds == peer_sync.CONNECTION_POLL_SECONDS


def test_the_sender_renews_a_stem_stream_before_the_receiver_drops_it() -> None:
    # One set of times, in the core, for the node and the simulator.
    assert sim_stem.SENDER_IDLE is peer_stem.SENDER_IDLE
    assert sim_stem.KEEPER_PERIOD is peer_stem.KEEPER_PERIOD
    assert peer_stem.SENDER_IDLE < peer_stem.RECEIVER_IDLE
    assert peer_stem.SENDER_IDLE - 2 * peer_stem.KEEPER_PERIOD > 0
