"""The libp2p parts one :class:`~intentcast.node.p2p.P2P` is made of,
built as intentcast configures them (the facade that runs and drives them
is :mod:`intentcast.node.p2p`).

- Security: Noise only. py-libp2p accepts plaintext and secio by default;
  with only Noise offered, a plaintext dialer fails the handshake.
- Muxer: yamux; one connection per peer (``connect()`` otherwise waits a
  fixed 250 ms); its reader never blocks on a write (:mod:`.repairs`).
- Gossipsub v1.1 with a 1 s heartbeat (the default 120 s never forms a mesh
  in time), adaptive gossip off (it raised the heartbeat to 60 s), the
  library's per-topic spam cap off (it silently dropped our own publishes;
  :mod:`intentcast.peer.limits` replaces it). v1.1 rather than v1.2: v1.2's
  IDONTWANT on every message cost ~1.3 ms of CPU per message per hop
  against ~0.6 ms (measured in the notes); our messages are small, so what
  IDONTWANT saves in bandwidth is less than it costs.
- The pubsub counts the RPCs it is writing (:class:`WatchedPubsub`), so the
  node can wait for its forwards to be out.
"""

from __future__ import annotations

import os
from typing import Any

import trio
from libp2p import new_host as libp2p_new_host
from libp2p.abc import IHost, INetStream
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.network.config import HIGH_WATERMARK, ConnectionConfig
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11
from libp2p.pubsub.pb import rpc_pb2
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport

from intentcast.peer.config import GossipConfig

from .repairs import IntentcastGossipSub, TeardownOncePubsub


def new_host(peer_key_seed: bytes | None, *, mdns: bool, max_connections: int) -> IHost:
    """A host that speaks Noise and yamux only."""
    key_pair = create_new_key_pair(peer_key_seed if peer_key_seed is not None else os.urandom(32))
    noise = NoiseTransport(
        libp2p_keypair=key_pair,
        noise_privkey=create_x25519_key_pair().private_key,
        early_data=None,
    )
    return libp2p_new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},
        muxer_preference="YAMUX",
        # mDNS finds peers on the LAN; off by default (it multicasts
        # beyond loopback, so never in tests).
        enable_mDNS=mdns,
        # One connection per peer; no auto-dialing of every peer in the
        # peerstore to reach 50 connections (the library default): the
        # node dials its bootstrap peers itself, with backoff.
        # At most ``max_connections`` live connections, inbound and
        # outbound together (checked when a connection registers); an
        # inbound one also holds a slot of the swarm's inbound limiter,
        # of the same size, until it closes (InboundSlotSwarm).
        connection_config=ConnectionConfig(
            max_connections_per_peer=1,
            min_connections=0,
            low_watermark=0,
            max_connections=max_connections,
            high_watermark=min(HIGH_WATERMARK, max_connections),
        ),
    )


def new_router(g: GossipConfig) -> IntentcastGossipSub:
    return IntentcastGossipSub(
        [PROTOCOL_ID_V11],
        degree=g.degree,
        degree_low=g.degree_low,
        degree_high=g.degree_high,
        heartbeat_interval=g.heartbeat_seconds,
        gossip_window=g.gossip_window,
        gossip_history=g.gossip_history,
        adaptive_gossip_enabled=False,
        spam_protection_enabled=False,
    )


class WatchedPubsub(TeardownOncePubsub):
    """The library's pubsub, counting the RPCs it is writing to peers, so
    the node can tell when its forwards are out (:meth:`~intentcast.node.p2p.P2P.forwards_written`).

    ``Pubsub.handle_sending_messages`` (one task per peer) pops what
    ``GossipSub.send_rpc`` queued and writes it with :meth:`write_msg`; an
    RPC is on its way while it sits in ``peer_queues`` or in that write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writing = 0
        self._written = trio.Event()

    def forwarding(self) -> bool:
        """Whether an RPC is queued for a peer or being written now."""
        return self.writing > 0 or any(len(q) for q in self.peer_queues.values())

    async def all_written(self) -> None:
        """Return once nothing is queued or being written."""
        while self.forwarding():
            await self._written.wait()

    # The library puts this host's signed peer record into every RPC (213
    # bytes and up, half again a gossiped intent's copy); the node sends
    # none (repairs.SenderRecords): peers learn addresses by identify.
    # Messages and control frames leave by write_msg; the hello and the
    # subscription announcements are built here and written directly.

    def get_hello_packet(self) -> rpc_pb2.RPC:
        packet = super().get_hello_packet()
        packet.ClearField("senderRecord")
        return packet

    def _build_announce_rpc(
        self, topic_id: str, subscribe: bool
    ) -> tuple[rpc_pb2.RPC, rpc_pb2.RPC.SubOpts]:
        packet, subopt = super()._build_announce_rpc(topic_id, subscribe)
        packet.ClearField("senderRecord")
        return packet, subopt

    async def write_msg(self, stream: INetStream, rpc_msg: rpc_pb2.RPC) -> bool:
        rpc_msg.ClearField("senderRecord")
        self.writing += 1
        try:
            return await super().write_msg(stream, rpc_msg)
        finally:
            self.writing -= 1
            if not self.forwarding():
                self._written.set()
                self._written = trio.Event()
