"""Admission and bans of remote peers, carried out on a py-libp2p host.

The decisions are the pure :class:`~intentcast.peer.limits.PeerLimits`
(per-peer token buckets, strikes, bans); :class:`PeerGuard` asks them with
the monotonic clock and enforces a ban: the peer's pubsub messages are
blacklisted and its connection is closed (from synchronous code, through a
queue that :meth:`PeerGuard.run` drains). :class:`ConnectionWatcher` refuses
a banned peer that connects again, repairs the pubsub stream of a peer that
reconnects, and tells the node when a peer leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import trio
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.peer.id import ID
from libp2p.pubsub.pubsub import Pubsub
from multiaddr import Multiaddr

from intentcast.peer.limits import Admission, PeerLimits

from .logs import RemoteLog
from .repairs import drop_stale_pubsub_stream

log = logging.getLogger(__name__)

#: Peers waiting to be disconnected; past this, a banned peer stays
#: connected until its next message asks again.
_DISCONNECT_QUEUE: int = 256


class PeerGuard:
    """Per-peer admission, strikes and bans for one host."""

    def __init__(self, limits: PeerLimits, pubsub: Pubsub, remote_log: RemoteLog) -> None:
        self.limits = limits
        self.remote_log = remote_log
        self._pubsub = pubsub
        self._disconnect_send, self._disconnect_receive = trio.open_memory_channel[ID](
            _DISCONNECT_QUEUE
        )

    def is_banned(self, peer: str) -> bool:
        return self.limits.is_banned(peer, time.monotonic())

    def admit(self, peer: str, size: int) -> bool:
        """Per-peer admission of one inbound envelope of ``size`` bytes, from
        gossip (the validator) or from sync (``NodeCore.admit_sync``): one
        set of buckets and bans per peer, whatever the path. False: drop it
        (over rate, or banned: then the peer is disconnected)."""
        admission = self.limits.admit(peer, size, time.monotonic())
        if admission is Admission.BANNED:
            self._enforce_ban(ID.from_base58(peer), self.limits.ban_reasons.get(peer, "banned"))
            return False
        return admission is Admission.ADMIT

    def penalise(self, peer: str, reason: str) -> None:
        """Count a rejected message against ``peer``; ban it past the limit."""
        if self.limits.rejected(peer, time.monotonic(), reason):
            self._enforce_ban(ID.from_base58(peer), self.limits.ban_reasons.get(peer, reason))

    def ban(self, peer: str, reason: str) -> None:
        """Ban ``peer``: drop its messages and disconnect it until the ban expires."""
        self.limits.ban(peer, time.monotonic(), reason)
        self._enforce_ban(ID.from_base58(peer), reason)

    def _enforce_ban(self, peer: ID, reason: str) -> None:
        # Called again for every message a banned peer still gets through.
        self.remote_log.note(
            peer.to_base58(), "banned", "banning peer %s: %s", peer, reason, level=logging.WARNING
        )
        self._pubsub.add_to_blacklist(peer)
        self.request_disconnect(peer)

    def request_disconnect(self, peer: ID) -> None:
        """Disconnect ``peer`` soon (callable from synchronous code)."""
        try:
            self._disconnect_send.send_nowait(peer)
        except trio.WouldBlock:
            self.remote_log.note(
                peer.to_base58(),
                "disconnect-queue-full",
                "disconnect queue full; %s stays connected until its next message",
                peer,
                level=logging.WARNING,
            )

    async def run(self, host: IHost) -> None:
        """Close the connections :meth:`request_disconnect` asked for."""
        async for peer in self._disconnect_receive:
            try:
                await host.disconnect(peer)
            except Exception as exc:
                log.debug("disconnecting %s: %s", peer, exc)


class ConnectionWatcher(INotifee):
    """Disconnects banned peers as soon as they connect, repairs the pubsub
    stream of a peer that reconnects, and calls ``peer_left_listeners``
    with the peer id when a connection closes."""

    def __init__(
        self, guard: PeerGuard, pubsub: Pubsub, peer_left_listeners: list[Callable[[str], None]]
    ) -> None:
        self._guard = guard
        self._pubsub = pubsub
        self._peer_left_listeners = peer_left_listeners

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        peer = conn.muxed_conn.peer_id
        if self._guard.is_banned(peer.to_base58()):
            self._guard.remote_log.note(
                peer.to_base58(), "banned-reconnect", "refusing banned peer %s", peer
            )
            self._guard.request_disconnect(peer)
            return
        if drop_stale_pubsub_stream(self._pubsub, peer, conn):
            log.debug("peer %s reconnected; replaced its stale pubsub stream", peer)

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        peer = conn.muxed_conn.peer_id.to_base58()
        self._guard.limits.forget(peer)
        for listener in self._peer_left_listeners:
            try:
                listener(peer)
            except Exception:  # a bug of ours must not break the swarm's notifications
                log.exception("peer-left listener failed for %s", peer)

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def listen(self, network: INetwork, multiaddr: Multiaddr) -> None:
        return None

    async def listen_close(self, network: INetwork, multiaddr: Multiaddr) -> None:
        return None
