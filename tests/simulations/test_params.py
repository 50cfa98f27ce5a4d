"""What the simulator still holds as copies of the node agrees with it.

The node's configuration (gossip, peer limits, sync bounds, rules) and
topic names are imported from ``intentcast.peer``, equal by construction;
what remains copied is checked here: the stem stream times and the stem's
bounds, which ``intentcast/node/stem.py`` keeps as its own constants, and
the model's defaults against the node's."""

from __future__ import annotations

from intentcast.node import stem as node_stem
from intentcast.peer.config import NodeConfig
from intentcast.peer.stem import StemLimits
from intentcast.protocol import DEFAULT_PARAMS
from simulations import params
from simulations import stem as sim_stem


def test_the_simulated_node_runs_the_nodes_default_config() -> None:
    assert params.SimParams().node == NodeConfig()
    assert params.SimParams().network == DEFAULT_PARAMS


def test_stem_stream_times_are_the_nodes() -> None:
    assert sim_stem.SENDER_IDLE == node_stem.SENDER_IDLE
    assert sim_stem.KEEPER_PERIOD == node_stem.KEEPER_PERIOD
    # The sender renews well before the receiver drops an idle stream.
    assert sim_stem.SENDER_IDLE < node_stem.RECEIVER_IDLE


def test_stem_bounds_are_the_nodes() -> None:
    """The simulator's stem nodes run with StemLimits' defaults; the node
    passes its own constants."""
    assert StemLimits() == StemLimits(
        max_held=node_stem.MAX_HELD, max_relayed=node_stem.MAX_RELAYED
    )
