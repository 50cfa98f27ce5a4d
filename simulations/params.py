"""Parameters of the simulated network.

The node's own configuration is imported, not copied: a simulated node
runs with :class:`intentcast.peer.config.NodeConfig` (its gossip settings,
per-peer limits, sync bounds and rules), and topic names come from
:mod:`intentcast.peer.topics`, the same objects ``intentcast/node`` runs
with. Proof-of-work bits come from ``intentcast.protocol.params`` (the
``NodeConfig``'s ``params``).

What is the model's own lives here: the py-libp2p defaults the node keeps
(:class:`GossipParams`; simulations/ may not import libp2p), CPU and link
costs (:class:`Costs`; their defaults and where they come from are in
``docs/simulations.md``), and switches to turn parts of the model off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from intentcast.peer.config import NodeConfig
from intentcast.peer.limits import PeerLimitConfig
from intentcast.peer.sync import CONNECTION_POLL_SECONDS
from intentcast.peer.topics import ALL_TOPICS, DEALS, PREFIX, PROFILES, intents, offers_bucket
from intentcast.protocol import NetworkParams

#: Unix time of the simulation's t = 0: message times are this plus the
#: virtual clock (a fixed epoch, so the signed bytes are the same every run).
EPOCH: Final = 1_800_000_000


@dataclass(frozen=True, kw_only=True, slots=True)
class GossipParams:
    """What gossipsub does besides the node's ``GossipConfig``: the
    py-libp2p 0.8.1 defaults the node keeps, and the library quirks the
    model can switch on."""

    #: IHAVE goes to max(lazy, factor * non-mesh topic peers) peers
    #: (py-libp2p ``_get_adaptive_gossip_peers_count`` with adaptive gossip off).
    gossip_lazy: int = 6
    gossip_factor: float = 0.25
    #: Seconds a fanout topic lives after our last publish to it.
    fanout_ttl: float = 60.0
    #: Seconds a pruned peer may not graft us again.
    prune_backoff: float = 60.0
    #: First heartbeat after start (py-libp2p ``heartbeat_initial_delay``).
    heartbeat_initial_delay: float = 0.1
    #: Gossipsub v1.1 flood publishing: a node's own publishes go to every
    #: peer that follows the topic, not only its mesh (the node's
    #: ``_GossipSub._get_peers_to_send``); forwarding stays mesh-only.
    flood_publish: bool = True
    #: py-libp2p 0.8.1 keys its message cache by from_id + seqno but its
    #: seen cache by our content id, so with anonymous publishing every
    #: IHAVE id looks unseen and is always fetched with IWANT. True models
    #: that library behaviour; False models the gossipsub specification.
    ihave_always_fetches: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Costs:
    """What handling a message costs a node, in seconds of its CPU, and the
    round trips of a connection handshake. Each node is one process with
    one thread (trio), so its work is serialised."""

    #: Decrypt, parse and dedupe one received copy (first or duplicate).
    #: Receive + send = 0.6 ms: gossipsub v1.1's CPU per message per hop
    #: measured in LIBP2P-NOTES.md (docs/simulations.md, model check).
    receive: float = 0.0003
    #: Validate and queue a new message (protocol.validate is ~0.1 ms,
    #: docs/benchmarks.md "validate").
    accept: float = 0.0001
    #: Encode, encrypt and write one copy to one peer.
    send: float = 0.0003
    #: Round trips to set up a connection: TCP, multistream, Noise, yamux.
    handshake_rtts: float = 3.0
    #: Machine cores all nodes share (None: every node has its own machine).
    #: Used to model the network benchmark, where N processes share 2 cores.
    shared_cores: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SimParams:
    """Everything a simulated network needs besides its topology."""

    #: Every simulated node's configuration: the node's own dataclass.
    node: NodeConfig = field(default_factory=NodeConfig)
    gossip: GossipParams = field(default_factory=GossipParams)
    costs: Costs = field(default_factory=Costs)
    #: Probability that one transmission over a link is lost.
    loss: float = 0.0
    #: Upload bandwidth of every node in bytes per second (None: unlimited).
    bandwidth: float | None = None
    #: Per-peer token buckets, strikes and bans (peer/limits.py).
    limits_enabled: bool = True
    #: Sync on connect and anti-entropy (node/sync.py, node/peering.py).
    sync_enabled: bool = True
    #: The node looks for new connections this often and syncs with each
    #: (``intentcast.peer.sync.CONNECTION_POLL_SECONDS``).
    sync_poll_seconds: float = CONNECTION_POLL_SECONDS

    @property
    def network(self) -> NetworkParams:
        """The protocol's parameters (proof of work, clock skew, sizes)."""
        return self.node.params

    @property
    def limits(self) -> PeerLimitConfig:
        """Per-peer flood rules."""
        return self.node.limits


# --- topics (intentcast.peer.topics) ------------------------------------------

intent_topic: Final = intents
#: The node's offer bucket topics (:func:`intentcast.peer.topics.offers_bucket`).
bucket_topic: Final = offers_bucket


def offer_topic(category: str) -> str:
    """The topic of sealed offers to intents in a top-level category, as the
    node had them before the offer buckets (issue 20, round two); the
    ``market`` scenario and the "before" policies of ``follow-cost`` still
    route offers so."""
    return f"{PREFIX}/offers/{category}"


DEALS_TOPIC: Final = DEALS
PROFILES_TOPIC: Final = PROFILES
__all__ = [
    "ALL_TOPICS",
    "DEALS_TOPIC",
    "EPOCH",
    "PROFILES_TOPIC",
    "Costs",
    "GossipParams",
    "SimParams",
    "bucket_topic",
    "intent_topic",
    "offer_topic",
]
