"""What a node is configured with: gossip, peer limits, sync bounds, and
the node's own rules. Pure data, shared by the node (``intentcast.node``)
and the simulator (``simulations``), so both run with the same values
instead of copies that could drift."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from intentcast.protocol import DEFAULT_PARAMS, NetworkParams
from intentcast.protocol.stem import DEFAULT_STEM_PARAMS, StemParams

from .feed import FeedLimits
from .followup import RATING_DELAY, FollowUpDelay
from .limits import PeerLimitConfig
from .stem import QUIET_PROBE_SECONDS
from .topics import FOLLOWED_BUCKETS

#: Where a node listens unless told otherwise: loopback, a port of the OS's choosing.
LOOPBACK: Final = ("/ip4/127.0.0.1/tcp/0",)


@dataclass(frozen=True, kw_only=True, slots=True)
class GossipConfig:
    """Gossipsub and pacing parameters (the simulator models the same ones)."""

    degree: int = 6
    degree_low: int = 4
    degree_high: int = 12
    heartbeat_seconds: int = 1
    gossip_window: int = 3
    gossip_history: int = 5
    #: Largest pubsub RPC frame accepted; a frame may batch messages and
    #: control data, so it is larger than one envelope but far below 1 MiB.
    max_rpc_bytes: int = 256 * 1024
    #: Publishing pace: the library's per-peer outbound queue holds 32 and
    #: drops the rest silently, so never push faster than the mesh drains.
    publish_per_second: float = 50.0
    publish_burst: int = 20
    outbox_size: int = 1_000
    #: Seen-cache lifetime in the library (seconds); our store dedupes for
    #: the whole life of a message.
    seen_ttl: int = 300


@dataclass(frozen=True, kw_only=True, slots=True)
class SyncLimits:
    #: Most ids offered in one session (in the responder's order when cut).
    max_inventory: int = 20_000
    #: Most ids a requester asks for in one session, and a responder serves;
    #: the rest are wanted at the next sync. At the default peer rate (200 messages/s, half the
    #: burst kept for gossip) 4,000 messages take ~20 s, within the session.
    max_wanted: int = 4_000
    #: Sessions a responder serves at once, all peers together (one per
    #: peer). Each holds at most ``max_inventory`` ids and one batch of
    #: envelopes (a few MB); past it a hello gets ``busy``, no fault of the
    #: peer, which syncs again at its next round.
    max_sessions: int = 32
    frame_timeout: float = 10.0
    session_timeout: float = 60.0


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeConfig:
    listen: Sequence[str] = LOOPBACK
    #: Multiaddrs (with /p2p/<id>) dialled at start and kept connected.
    bootstrap: Sequence[str] = ()
    #: A relay subscribes to every topic and serves everything on sync.
    relay: bool = False
    params: NetworkParams = DEFAULT_PARAMS
    gossip: GossipConfig = field(default_factory=GossipConfig)
    limits: PeerLimitConfig = field(default_factory=PeerLimitConfig)
    sync: SyncLimits = field(default_factory=SyncLimits)
    feed: FeedLimits = field(default_factory=FeedLimits)
    #: Offers kept per intent revision (the customer's side); past it, a new
    #: offer is kept only if it is cheaper than the dearest one kept.
    max_offers_per_intent: int = 50
    #: Sealed offers relayed per intent revision (flood cap for everyone).
    max_relayed_offers_per_intent: int = 200
    #: Intents a vendor handler works on at once (each in its own task).
    vendor_concurrency: int = 8
    #: A vendor answers an intent that is not fresh (created this many
    #: seconds ago or more: a replay or a sync catching up) only after
    #: ``catch_up_delay`` seconds, so that a withdrawal or newer revision
    #: racing it (py-libp2p replays recent messages out of order) lands first.
    fresh_intent_seconds: int = 2
    catch_up_delay: float = 0.5
    #: A vendor holds every accept for its owner to confirm or decline
    #: (``Node.answer_accept``: the web app, ``POST /v1/deals/{deal}/confirm``)
    #: instead of asking its handler; False: the catalog or bot decides.
    hold_accepts: bool = False
    #: Anti-entropy: sync with one random peer this often (seconds).
    resync_seconds: float = 30.0
    #: A quiet customer probes a follower's inventory this often (seconds;
    #: docs/privacy.md section 10). Every customer of a network should use
    #: the same period: a node probing on its own would stand out.
    quiet_probe_seconds: float = QUIET_PROBE_SECONDS
    #: How many of the :data:`~intentcast.peer.topics.BUCKETS` offer bucket
    #: topics this node's customer follows (1 to 16). Each intent's keys are
    #: drawn so that its offers arrive on one of them, so two intents of one
    #: customer share a bucket more often than two strangers' do: with
    #: ``BUCKETS / offer_buckets`` times the odds (8 at the default 2; 1, no
    #: link, at 16). More buckets cost bandwidth: every offer in them
    #: arrives (docs/privacy.md, section 11: 1.4 times the old node's bytes
    #: at 2, 7.3 times at 16).
    offer_buckets: int = FOLLOWED_BUCKETS
    #: Take every offer of the network from one carrier's feed
    #: (:mod:`intentcast.peer.feed`) instead of following
    #: ``offer_buckets``: the customer follows no offer topic and draws its
    #: intents' keys freely, so no topic links two of its intents (1, no
    #: link), for the offers' bytes once (docs/privacy.md, section 12).
    #: Only a customer that neither sells nor relays uses it (those follow
    #: every bucket anyway).
    offer_feed: bool = True
    #: Sync with a newly connected peer again this many seconds after the
    #: sync on connect: a peer that has just (re)started has nothing at
    #: first and catches up from its other peers meanwhile, by sync, which
    #: gossip does not pass on (docs/benchmarks.md, churn).
    resync_after_connect_seconds: float = 10.0
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 60.0
    #: Seed of the libp2p peer key (None: a fresh peer id each start).
    peer_key_seed: bytes | None = None
    #: Discover peers on the local network with mDNS.
    mdns: bool = False
    #: Stem-then-fluff routing of the messages this node writes (origin
    #: hiding, docs/privacy.md); None: gossip them directly.
    stem: StemParams | None = DEFAULT_STEM_PARAMS
    #: Random delay before an own amendment, withdrawal or accept leaves
    #: (:mod:`intentcast.peer.followup`); None: at once.
    follow_up: FollowUpDelay | None = field(default_factory=FollowUpDelay)
    #: Random delay before an own rating leaves (``followup.RATING_DELAY``);
    #: None: at once (tests).
    rating_delay: FollowUpDelay | None = RATING_DELAY
