"""All py-libp2p configuration lives here (the parts built in :mod:`.host`),
and every trap of the library (``LIBP2P-NOTES.md``) is handled in one place.

- The host (Noise only, yamux, one connection per peer), the gossipsub
  v1.1 router and the pubsub are built in :mod:`.host`, each setting
  with its reason.
- Every repair of py-libp2p's own code (subclasses installed where the
  library looks its classes up, guards around its handlers) is in
  :mod:`intentcast.node.repairs`, each naming the upstream behaviour;
  inbound connection slots are released when a connection closes.
- No author identity: ``strict_signing=False`` and every message published
  by hand with an empty ``from_id`` and a random ``seqno``, so no receiver
  learns which peer first published it. Our own signatures (protocol core)
  authenticate the content. Message ids are content addressed: BLAKE2b-256
  of the data, which is exactly the protocol's message id.
- Publishing is paced through a bounded outbox (:mod:`.outbox`; the
  library drops silently past a per-peer queue of 32); a full outbox raises
  :class:`PublishBacklogFull` instead of losing a message.
- Admission and bans of remote peers (:mod:`.guard`): per-peer buckets for
  gossip and sync alike, strikes for rejected messages, bans enforced by
  blacklisting and disconnecting.
- The library's replay of recent messages to new subscribers is off
  (out of order: a withdrawn intent could arrive before its withdrawal);
  the node's sync protocol replaces it.
- Delivery happens in the validator, which sees every message exactly once
  before it is forwarded; the library's 32-slot subscription queues (which
  drop when full) are drained and ignored.
- Forwarding goes first: the library queues a forward per peer and writes
  it from a task per peer, so whatever the node starts from the validator
  would run before those writes (trio runs every woken task at its next
  checkpoint). :meth:`P2P.forwards_written` lets the node's storage and
  role work wait until the queued RPCs are written (:class:`WatchedPubsub`).
- Shutdown closes the host before the pubsub services (the other order
  crashed under load with "Nursery is closed to new arrivals").
- Log noise is routed through our logging (:mod:`intentcast.node.logs`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

import trio
from libp2p.abc import INetStream, ISubscriptionAPI
from libp2p.custom_types import TProtocol
from libp2p.network.config import MAX_CONNECTIONS
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.pubsub.pb import rpc_pb2
from libp2p.tools.anyio_service import background_trio_service
from multiaddr import Multiaddr

from intentcast.peer.config import LOOPBACK, GossipConfig
from intentcast.peer.limits import PeerLimitConfig, PeerLimits

from .errors import MessageTooLarge, NetworkError, PublishBacklogFull
from .guard import ConnectionWatcher, PeerGuard
from .host import WatchedPubsub, new_host, new_router
from .logs import LIBRARY_EVENTS, RemoteLog, route_libp2p_logging
from .outbox import Outbox
from .repairs import content_id, guarded_pubsub_stream, install

if TYPE_CHECKING:
    # trio.TaskStatus at run time; libp2p's pin brings trio-typing, whose
    # stubs for trio export the type from here only.
    from trio_typing import TaskStatus

log = logging.getLogger(__name__)

#: Handler of one inbound gossip message: ``(topic, data, forwarder)`` ->
#: accept (deliver and forward) or not. Runs inside the gossip validator,
#: before the message is forwarded, exactly once per message id.
InboundHandler = Callable[[str, bytes, str], bool]

install()


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
        self._on_message = on_message
        self.host = new_host(peer_key_seed, mdns=mdns, max_connections=max_connections)
        self.router = new_router(self.gossip)
        self.pubsub = WatchedPubsub(
            self.host,
            self.router,
            strict_signing=False,
            msg_id_constructor=content_id,
            seen_ttl=self.gossip.seen_ttl,
            max_inbound_rpc_size=self.gossip.max_rpc_bytes,
        )
        #: Log lines caused by remote peers, rate-limited and summarised
        #: per (peer, reason): ``remote_log.note(peer, reason, msg, *args)``.
        self.remote_log = RemoteLog(log)
        self.limits = PeerLimits(limits or PeerLimitConfig())
        self.guard = PeerGuard(self.limits, self.pubsub, self.remote_log)
        self.outbox = Outbox(self.gossip)
        #: Called with a peer id when a connection to that peer closes.
        self.peer_left_listeners: list[Callable[[str], None]] = []
        self.host.get_network().register_notifee(
            ConnectionWatcher(self.guard, self.pubsub, self.peer_left_listeners)
        )
        for protocol in self.router.get_protocols():
            self.host.set_stream_handler(protocol, self._guarded_pubsub_stream)
        self._subscriptions: dict[str, ISubscriptionAPI] = {}
        # Subscriptions whose library queue is to be drained (by _drainer).
        self._drain_send, self._drain_receive = trio.open_memory_channel[ISubscriptionAPI](16)
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

    def followers(self, topic: str) -> list[str]:
        """Connected peers that announced ``topic`` in their subscriptions."""
        followers = self.pubsub.peer_topics.get(topic, ())
        return sorted(p.to_base58() for p in followers)

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
        if self.guard.is_banned(info.peer_id.to_base58()):
            raise NetworkError(f"peer {info.peer_id} is banned")
        try:
            await self.host.connect(info)
        except Exception as exc:
            raise NetworkError(f"cannot connect to {addr}: {exc}") from None
        return str(info.peer_id.to_base58())

    # --- admission and bans (the guard's) ----------------------------------------

    def admit(self, peer: str, size: int) -> bool:
        """:meth:`PeerGuard.admit`: False, drop the envelope."""
        return self.guard.admit(peer, size)

    def penalise(self, peer: str, reason: str) -> None:
        """Count a rejected message against ``peer`` (never this node); ban
        it past the limit."""
        if peer != self.peer_id:
            self.guard.penalise(peer, reason)

    def ban(self, peer: str, reason: str) -> None:
        """Ban ``peer``: drop its messages and disconnect it until the ban expires."""
        self.guard.ban(peer, reason)

    # --- gossip ---------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Join ``topic``'s mesh. Idempotent."""
        if topic in self._subscriptions:
            return
        self.pubsub.set_topic_validator(topic, self._validator_for(topic), False)
        subscription = await self.pubsub.subscribe(topic)
        self._subscriptions[topic] = subscription
        await self._drain_send.send(subscription)

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
        self.outbox.put_nowait(topic, data)

    async def publish(self, topic: str, data: bytes) -> None:
        """Queue ``data`` for publication, waiting for outbox room if needed."""
        await self.outbox.put(topic, data)

    async def forwards_written(self, at_most: float) -> None:
        """Wait until the gossip RPCs queued for peers (forwards of messages
        the validator accepted, own publishes the outbox pushed, after one
        turn for it if it holds some) are written; at most ``at_most``
        seconds (a slow peer's queue must not hold the caller up long)."""
        pubsub = self.pubsub
        with trio.move_on_after(at_most):
            if self.outbox.backlog() and not pubsub.forwarding():
                await trio.sleep(0)  # the outbox's task pushes at its next turn
            await pubsub.all_written()

    async def _push(self, topic: str, data: bytes) -> None:
        """Publish anonymously: no author, a random seqno."""
        msg = rpc_pb2.Message(data=data, topicIDs=[topic], seqno=os.urandom(8))
        await self.pubsub.push_msg(self.pubsub.my_id, msg)

    def _validator_for(self, topic: str) -> Callable[[ID, rpc_pb2.Message], bool]:
        me = self.host.get_id()

        def validate(forwarder: ID, msg: rpc_pb2.Message) -> bool:
            if forwarder == me:
                return True  # our own publish: the node validated and stored it
            data = msg.data
            peer = forwarder.to_base58()
            if not self.guard.admit(peer, len(data)):
                return False
            try:
                return self._on_message(topic, data, peer)
            except Exception:  # a bug of ours must not kill the router
                log.exception("inbound handler failed on a %d-byte message", len(data))
                return False

        return validate

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

    async def _drainer(self) -> None:
        # Delivery happens in the validator; keep the library's queues empty
        # so it never logs "fail to deliver".
        async with trio.open_nursery() as nursery:
            async for subscription in self._drain_receive:
                nursery.start_soon(_drain, subscription)

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

    async def _run_tasks(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.outbox.run, self._push)
            nursery.start_soon(self.guard.run, self.host)
            nursery.start_soon(self._drainer)
            nursery.start_soon(self._flush_logs)
            task_status.started()
            await trio.sleep_forever()


async def _drain(subscription: ISubscriptionAPI) -> None:
    async for _ in subscription:
        pass


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


__all__ = [
    "DEFAULT_LISTEN",
    "P2P",
    "InboundHandler",
    "MessageTooLarge",
    "NetworkError",
    "PublishBacklogFull",
    "open_p2p",
]
