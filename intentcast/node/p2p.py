"""All py-libp2p configuration lives here, and every trap of the library
(``LIBP2P-NOTES.md``) is handled in one place.

- Security: Noise only. py-libp2p accepts plaintext and secio by default;
  with only Noise offered, a plaintext dialer fails the handshake.
- Muxer: yamux; one connection per peer (``connect()`` otherwise waits a
  fixed 250 ms); its reader never blocks on a write.
- Every repair of py-libp2p's own code (subclasses installed where the
  library looks its classes up, guards around its handlers) is in
  :mod:`intentcast.node.repairs`, each naming the upstream behaviour;
  inbound connection slots are released when a connection closes.
- Gossipsub v1.1 with a 1 s heartbeat (the default 120 s never forms a mesh
  in time), adaptive gossip off (it raised the heartbeat to 60 s), the
  library's per-topic spam cap off (it silently dropped our own publishes;
  :mod:`intentcast.peer.limits` replaces it). v1.1 rather than v1.2: v1.2's
  IDONTWANT on every message cost ~1.3 ms of CPU per message per hop
  against ~0.6 ms (measured in the notes); our messages are small, so what
  IDONTWANT saves in bandwidth is less than it costs.
- No author identity: ``strict_signing=False`` and every message published
  by hand with an empty ``from_id`` and a random ``seqno``, so no receiver
  learns which peer first published it. Our own signatures (protocol core)
  authenticate the content. Message ids are content addressed: BLAKE2b-256
  of the data, which is exactly the protocol's message id.
- Publishing is paced through a bounded outbox (the library drops silently
  past a per-peer queue of 32); a full outbox raises
  :class:`PublishBacklogFull` instead of losing a message.
- The library's replay of recent messages to new subscribers is off
  (out of order: a withdrawn intent could arrive before its withdrawal);
  the node's sync protocol replaces it.
- Delivery happens in the validator, which sees every message exactly once
  before it is forwarded; the library's 32-slot subscription queues (which
  drop when full) are drained and ignored.
- Shutdown closes the host before the pubsub services (the other order
  crashed under load with "Nursery is closed to new arrivals").
- Log noise is routed through our logging (:mod:`intentcast.node.logs`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Final

import trio
from libp2p import new_host
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.network.config import HIGH_WATERMARK, MAX_CONNECTIONS, ConnectionConfig
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.tools.anyio_service import background_trio_service
from multiaddr import Multiaddr

from intentcast.peer.config import LOOPBACK, GossipConfig
from intentcast.peer.limits import Admission, PeerLimitConfig, PeerLimits
from intentcast.protocol.kinds import MAX_ANY_ENVELOPE

from .logs import LIBRARY_EVENTS, RemoteLog, route_libp2p_logging
from .repairs import (
    IntentcastGossipSub,
    content_id,
    drop_stale_pubsub_stream,
    guarded_pubsub_stream,
    install,
)

log = logging.getLogger(__name__)

#: Handler of one inbound gossip message: ``(topic, data, forwarder)`` ->
#: accept (deliver and forward) or not. Runs inside the gossip validator,
#: before the message is forwarded, exactly once per message id.
InboundHandler = Callable[[str, bytes, str], bool]


class NetworkError(Exception):
    """A networking operation failed (bad address, peer unreachable)."""


class PublishBacklogFull(NetworkError):
    """The outbox is full: the node publishes faster than it may send."""


class MessageTooLarge(NetworkError):
    """A message larger than any envelope the protocol allows."""


def _peer_key_pair(seed: bytes | None) -> Any:
    return create_new_key_pair(seed if seed is not None else os.urandom(32))


install()


class _ConnectionWatcher(INotifee):
    """Disconnects banned peers as soon as they connect, and repairs the
    pubsub stream of a peer that reconnects."""

    def __init__(self, p2p: P2P) -> None:
        self._p2p = p2p

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        peer = conn.muxed_conn.peer_id
        if self._p2p.limits.is_banned(peer.to_base58(), time.monotonic()):
            self._p2p.remote_log.note(
                peer.to_base58(), "banned-reconnect", "refusing banned peer %s", peer
            )
            self._p2p.request_disconnect(peer)
            return
        self._p2p.drop_stale_pubsub_stream(peer, conn)

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        peer = conn.muxed_conn.peer_id.to_base58()
        self._p2p.limits.forget(peer)
        for listener in self._p2p.peer_left_listeners:
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


class P2P:
    """One libp2p host with gossipsub, configured for intentcast.

    Use :func:`open_p2p` to run it. ``on_message`` decides, inside the
    gossip validator, whether a message is accepted (and forwarded).
    """

    def __init__(
        self,
        *,
        on_message: InboundHandler,
        peer_key_seed: bytes | None = None,
        gossip: GossipConfig | None = None,
        limits: PeerLimitConfig | None = None,
        mdns: bool = False,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.gossip = gossip or GossipConfig()
        self.limits = PeerLimits(limits or PeerLimitConfig())
        self._on_message = on_message
        key_pair = _peer_key_pair(peer_key_seed)
        noise = NoiseTransport(
            libp2p_keypair=key_pair,
            noise_privkey=create_x25519_key_pair().private_key,
            early_data=None,
        )
        self.host: IHost = new_host(
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
        g = self.gossip
        self.router = IntentcastGossipSub(
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
        self.pubsub = Pubsub(
            self.host,
            self.router,
            strict_signing=False,
            msg_id_constructor=content_id,
            seen_ttl=g.seen_ttl,
            max_inbound_rpc_size=g.max_rpc_bytes,
        )
        self.host.get_network().register_notifee(_ConnectionWatcher(self))
        for protocol in self.router.get_protocols():
            self.host.set_stream_handler(protocol, self._guarded_pubsub_stream)
        self._outbox_send, self._outbox_receive = trio.open_memory_channel[tuple[str, bytes]](
            g.outbox_size
        )
        self._disconnect_send, self._disconnect_receive = trio.open_memory_channel[ID](256)
        self._subscriptions: dict[str, Any] = {}
        self._nursery: trio.Nursery | None = None
        #: Called with a peer id when a connection to that peer closes.
        self.peer_left_listeners: list[Callable[[str], None]] = []
        #: Log lines caused by remote peers, rate-limited and summarised
        #: per (peer, reason): ``remote_log.note(peer, reason, msg, *args)``.
        self.remote_log = RemoteLog(log)
        route_libp2p_logging()

    # --- identity and peers -------------------------------------------------

    @property
    def peer_id(self) -> str:
        return str(self.host.get_id().to_base58())

    def addrs(self) -> list[str]:
        """Listen addresses with the ``/p2p/<id>`` suffix, to give to peers."""
        return [str(a) for a in self.host.get_addrs()]

    def connected_peers(self) -> list[str]:
        return [p.to_base58() for p in self.host.get_connected_peers()]

    def outbound_peers(self) -> list[str]:
        """Connected peers this node dialled itself (it initiated the
        connection), sorted. An adversary can connect to every node, but it
        cannot make a node dial it: stem routing draws successors from these
        (docs/privacy.md, section 3)."""
        dialled: set[str] = set()
        for conn in self.host.get_network().get_connections():
            muxed: Any = conn.muxed_conn
            secured = getattr(muxed, "secured_conn", None)
            if getattr(secured, "is_initiator", False) is True:
                dialled.add(muxed.peer_id.to_base58())
        return sorted(dialled)

    async def connect(self, addr: str) -> str:
        """Dial ``addr`` (a multiaddr ending in ``/p2p/<peer id>``); return the peer id."""
        try:
            info = info_from_p2p_addr(Multiaddr(addr))
        except Exception as exc:
            raise NetworkError(f"not a peer address {addr!r}: {exc}") from None
        if self.limits.is_banned(info.peer_id.to_base58(), time.monotonic()):
            raise NetworkError(f"peer {info.peer_id} is banned")
        try:
            await self.host.connect(info)
        except Exception as exc:
            raise NetworkError(f"cannot connect to {addr}: {exc}") from None
        return str(info.peer_id.to_base58())

    def drop_stale_pubsub_stream(self, peer: ID, conn: INetConn) -> None:
        """Forget a pubsub stream left from an earlier connection of ``peer``
        (:func:`~intentcast.node.repairs.drop_stale_pubsub_stream`)."""
        if drop_stale_pubsub_stream(self.pubsub, peer, conn):
            log.debug("peer %s reconnected; replaced its stale pubsub stream", peer)

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

    def ban(self, peer: str, reason: str) -> None:
        """Ban ``peer``: drop its messages and disconnect it until the ban expires."""
        self.limits.ban(peer, time.monotonic(), reason)
        self._enforce_ban(ID.from_base58(peer), reason)

    def _enforce_ban(self, peer: ID, reason: str) -> None:
        # Called again for every message a banned peer still gets through.
        self.remote_log.note(
            peer.to_base58(), "banned", "banning peer %s: %s", peer, reason, level=logging.WARNING
        )
        self.pubsub.add_to_blacklist(peer)
        self.request_disconnect(peer)

    # --- gossip ---------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Join ``topic``'s mesh. Idempotent."""
        if topic in self._subscriptions:
            return
        self.pubsub.set_topic_validator(topic, self._validator_for(topic), False)
        subscription = await self.pubsub.subscribe(topic)
        self._subscriptions[topic] = subscription
        assert self._nursery is not None, "subscribe() needs a running P2P"
        self._nursery.start_soon(self._drain, subscription)

    async def unsubscribe(self, topic: str) -> None:
        if self._subscriptions.pop(topic, None) is not None:
            await self.pubsub.unsubscribe(topic)

    @property
    def topics(self) -> list[str]:
        return sorted(self._subscriptions)

    def publish_nowait(self, topic: str, data: bytes) -> None:
        """Queue ``data`` for anonymous publication on ``topic``.

        Raises :class:`MessageTooLarge` or :class:`PublishBacklogFull`;
        never drops silently.
        """
        if len(data) > MAX_ANY_ENVELOPE:
            raise MessageTooLarge(f"{len(data)} bytes, at most {MAX_ANY_ENVELOPE}")
        try:
            self._outbox_send.send_nowait((topic, data))
        except trio.WouldBlock:
            raise PublishBacklogFull(
                f"{self.gossip.outbox_size} messages already waiting to be published"
            ) from None

    async def publish(self, topic: str, data: bytes) -> None:
        """Queue ``data`` for publication, waiting for outbox room if needed."""
        if len(data) > MAX_ANY_ENVELOPE:
            raise MessageTooLarge(f"{len(data)} bytes, at most {MAX_ANY_ENVELOPE}")
        await self._outbox_send.send((topic, data))

    def _validator_for(self, topic: str) -> Callable[[ID, rpc_pb2.Message], bool]:
        me = self.host.get_id()

        def validate(forwarder: ID, msg: rpc_pb2.Message) -> bool:
            if forwarder == me:
                return True  # our own publish: the node validated and stored it
            data = msg.data
            peer = forwarder.to_base58()
            if not self.admit(peer, len(data)):
                return False
            try:
                return self._on_message(topic, data, peer)
            except Exception:  # a bug of ours must not kill the router
                log.exception("inbound handler failed on a %d-byte message", len(data))
                return False

        return validate

    def admit(self, peer: str, size: int) -> bool:
        """Per-peer admission of one inbound envelope of ``size`` bytes, from
        gossip (the validator) or from sync (``NodeBase._deliver_from_sync``):
        one set of buckets and bans per peer, whatever the path. False: drop
        it (over rate, or banned: then the peer is disconnected)."""
        admission = self.limits.admit(peer, size, time.monotonic())
        if admission is Admission.BANNED:
            self._enforce_ban(ID.from_base58(peer), self.limits.ban_reasons.get(peer, "banned"))
            return False
        return admission is Admission.ADMIT

    async def _guarded_pubsub_stream(self, stream: INetStream) -> None:
        """The library's pubsub stream handler, minus its crash
        (:func:`~intentcast.node.repairs.guarded_pubsub_stream`): a stream
        whose RPC does not decode is reset and its peer penalised."""
        peer = stream.muxed_conn.peer_id
        exc = await guarded_pubsub_stream(self.pubsub, stream)
        if exc is not None:
            self.remote_log.note(
                peer.to_base58(),
                f"pubsub-{type(exc).__name__}",
                "pubsub stream from %s refused: %s",
                peer,
                type(exc).__name__,
            )
            self.penalise(peer.to_base58(), f"pubsub: {type(exc).__name__}")

    def penalise(self, peer: str, reason: str) -> None:
        """Count a rejected message against ``peer``; ban it past the limit."""
        if peer == self.peer_id:
            return
        if self.limits.rejected(peer, time.monotonic(), reason):
            self._enforce_ban(ID.from_base58(peer), self.limits.ban_reasons.get(peer, reason))

    async def _drain(self, subscription: Any) -> None:
        # Delivery happens in the validator; keep the library's queue empty
        # so it never logs "fail to deliver".
        async for _ in subscription:
            pass

    async def _publisher(self) -> None:
        g = self.gossip
        interval = 1.0 / g.publish_per_second
        tokens = float(g.publish_burst)
        last = trio.current_time()
        async for topic, data in self._outbox_receive:
            now = trio.current_time()
            tokens = min(float(g.publish_burst), tokens + (now - last) / interval)
            last = now
            if tokens < 1.0:
                await trio.sleep((1.0 - tokens) * interval)
                tokens, last = 1.0, trio.current_time()
            tokens -= 1.0
            msg = rpc_pb2.Message(data=data, topicIDs=[topic], seqno=os.urandom(8))
            try:
                await self.pubsub.push_msg(self.pubsub.my_id, msg)
            except Exception:
                log.exception("publishing on %s failed", topic)

    async def _disconnector(self) -> None:
        async for peer in self._disconnect_receive:
            try:
                await self.host.disconnect(peer)
            except Exception as exc:
                log.debug("disconnecting %s: %s", peer, exc)

    async def _flush_logs(self) -> None:
        """Log the summaries of remote events when their interval ends,
        even if the peer has gone quiet since."""
        while True:
            await trio.sleep(LOG_FLUSH_SECONDS)
            self.remote_log.flush()
            LIBRARY_EVENTS.flush()

    # --- streams --------------------------------------------------------------

    def set_stream_handler(
        self, protocol: str, handler: Callable[[INetStream], Awaitable[None]]
    ) -> None:
        self.host.set_stream_handler(TProtocol(protocol), handler)

    async def new_stream(self, peer: str, protocol: str) -> INetStream:
        try:
            return await self.host.new_stream(ID.from_base58(peer), [TProtocol(protocol)])
        except Exception as exc:
            raise NetworkError(f"cannot open {protocol} to {peer}: {exc}") from None

    # --- running ----------------------------------------------------------------

    async def _run_tasks(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._publisher)
            nursery.start_soon(self._disconnector)
            nursery.start_soon(self._flush_logs)
            task_status.started()
            await trio.sleep_forever()


DEFAULT_LISTEN: Final = LOOPBACK

#: How often the summaries of remote events are looked at (seconds).
LOG_FLUSH_SECONDS: Final = 5.0


@asynccontextmanager
async def open_p2p(
    *,
    on_message: InboundHandler,
    listen: Sequence[str] = DEFAULT_LISTEN,
    peer_key_seed: bytes | None = None,
    gossip: GossipConfig | None = None,
    limits: PeerLimitConfig | None = None,
    mdns: bool = False,
    max_connections: int = MAX_CONNECTIONS,
) -> AsyncIterator[P2P]:
    """Run a :class:`P2P` listening on ``listen`` until the block exits.

    Shutdown order matters (LIBP2P-NOTES, trap 9): our tasks stop, then the
    host closes, then the pubsub and gossipsub services stop.
    """
    p2p = P2P(
        on_message=on_message,
        peer_key_seed=peer_key_seed,
        gossip=gossip,
        limits=limits,
        mdns=mdns,
        max_connections=max_connections,
    )
    try:
        addrs = [Multiaddr(a) for a in listen]
    except Exception as exc:
        raise NetworkError(f"bad listen address in {list(listen)}: {exc}") from None
    async with AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(p2p.host.run(addrs))
        except Exception as exc:
            raise NetworkError(f"cannot listen on {list(listen)}: {exc}") from None
        await stack.enter_async_context(background_trio_service(p2p.pubsub))
        await stack.enter_async_context(background_trio_service(p2p.router))
        # Pushed last, so it runs first on exit: the host closes while the
        # pubsub services are still up.
        stack.push_async_callback(p2p.host.close)
        await p2p.pubsub.wait_until_ready()
        async with trio.open_nursery() as nursery:
            await nursery.start(p2p._run_tasks)
            try:
                yield p2p
            finally:
                nursery.cancel_scope.cancel()
