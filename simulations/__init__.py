"""Discrete-event simulator of the intentcast network (issue 7).

Thousands of simulated nodes run gossipsub (as py-libp2p runs it with the
node's settings), the node's sync protocol and its inbound pipeline over
links with latency, loss and bandwidth, under a virtual clock, on real
signed messages validated by ``intentcast.protocol`` and answered and
ranked by ``intentcast.matching``. Scenarios: ``python -m simulations
--help``; method and figures: ``docs/simulations.md``.

It imports only the pure cores (``intentcast.peer``: the node's decisions
and configuration; ``intentcast.protocol``; ``intentcast.matching``), the
standard library and matplotlib, never ``intentcast.node``
(``tests/test_layering.py``).
"""

from .engine import EventLoop, SimulationError
from .messages import Messages, SimMessage, WorkCache
from .network import Network
from .params import Costs, GossipParams, SimParams
from .topology import Latency, TopologyError, line, random_graph, ring_with_chords

__all__ = [
    "Costs",
    "EventLoop",
    "GossipParams",
    "Latency",
    "Messages",
    "Network",
    "SimMessage",
    "SimParams",
    "SimulationError",
    "TopologyError",
    "WorkCache",
    "line",
    "random_graph",
    "ring_with_chords",
]
