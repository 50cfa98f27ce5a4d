"""Parameters of the simulated network: the real node's values, mirrored.

The simulator may import only ``intentcast.protocol`` and
``intentcast.matching`` (tests/test_layering.py), so the node's gossip,
flood and sync settings, which live in ``intentcast/node/``, are copied
here; ``tests/simulations/test_params.py`` fails the day they drift apart.
Proof-of-work bits come straight from ``intentcast.protocol.params``.

Costs (CPU per message copy, link latency) are the model's own; their
defaults and where they come from are in ``docs/simulations.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from intentcast.protocol import DEFAULT_PARAMS, NetworkParams
from intentcast.protocol.vocab import CATEGORIES

#: Unix time of the simulation's t = 0: message times are this plus the
#: virtual clock (a fixed epoch, so the signed bytes are the same every run).
EPOCH: Final = 1_800_000_000


@dataclass(frozen=True, kw_only=True, slots=True)
class GossipParams:
    """Gossipsub as the node configures py-libp2p (``node/p2p.py``,
    ``GossipConfig``), plus the library defaults the node keeps."""

    degree: int = 6
    degree_low: int = 4
    degree_high: int = 12
    heartbeat: float = 1.0
    #: Heartbeats whose messages are advertised by IHAVE.
    gossip_window: int = 3
    #: Heartbeats a message stays in the message cache (served on IWANT).
    gossip_history: int = 5
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
    #: Own publishes are paced through a token bucket (``P2P._publisher``).
    publish_per_second: float = 50.0
    publish_burst: int = 20
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
class LimitParams:
    """Per-peer flood rules (``peer/limits.py``, ``PeerLimitConfig``)."""

    messages_per_second: float = 200.0
    message_burst: float = 400.0
    bytes_per_second: float = 1_000_000.0
    byte_burst: float = 2_000_000.0
    max_rejected: int = 20
    max_over_rate: int = 200
    window: float = 60.0
    ban_seconds: float = 600.0


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeParams:
    """The node's own rules around gossip (``node/base.py``, ``NodeConfig``;
    ``node/peering.py``)."""

    #: Sealed offers relayed per intent revision (flood cap for everyone).
    max_relayed_offers_per_intent: int = 200
    #: Offers a customer keeps per intent revision.
    max_offers_per_intent: int = 50
    #: A vendor answers an intent created this many seconds ago or more
    #: only after ``catch_up_delay`` (a replay or a sync catching up).
    fresh_intent_seconds: int = 2
    catch_up_delay: float = 0.5
    #: Anti-entropy: sync with one random peer this often (seconds).
    resync_seconds: float = 30.0
    #: Sync with a new peer once more this many seconds after connecting.
    resync_after_connect_seconds: float = 10.0
    #: The node polls for new connections this often and syncs with each.
    sync_poll_seconds: float = 0.2
    #: Redial of a lost bootstrap peer: first delay (seconds).
    reconnect_min_seconds: float = 1.0


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

    gossip: GossipParams = field(default_factory=GossipParams)
    limits: LimitParams = field(default_factory=LimitParams)
    node: NodeParams = field(default_factory=NodeParams)
    costs: Costs = field(default_factory=Costs)
    network: NetworkParams = DEFAULT_PARAMS
    #: Probability that one transmission over a link is lost.
    loss: float = 0.0
    #: Upload bandwidth of every node in bytes per second (None: unlimited).
    bandwidth: float | None = None
    #: Per-peer token buckets, strikes and bans (peer/limits.py).
    limits_enabled: bool = True
    #: Sync on connect and anti-entropy (node/sync.py, node/peering.py).
    sync_enabled: bool = True


# --- topics (peer/topics.py) ------------------------------------------------

TOPIC_PREFIX: Final = "intentcast/1"


def intent_topic(category: str) -> str:
    """Topic of intents and withdrawals in a top-level category."""
    return f"{TOPIC_PREFIX}/intents/{category}"


def offer_topic(category: str) -> str:
    """Topic of sealed offers answering intents in a top-level category."""
    return f"{TOPIC_PREFIX}/offers/{category}"


DEALS_TOPIC: Final = f"{TOPIC_PREFIX}/deals"
PROFILES_TOPIC: Final = f"{TOPIC_PREFIX}/profiles"
ALL_TOPICS: Final = (
    *(intent_topic(c) for c in CATEGORIES),
    *(offer_topic(c) for c in CATEGORIES),
    DEALS_TOPIC,
    PROFILES_TOPIC,
)
