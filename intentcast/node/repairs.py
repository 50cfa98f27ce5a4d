"""Every repair the node makes to py-libp2p 0.8.1, in one place.

Each names the library behaviour it replaces (file and function in
``site-packages/libp2p``), what went wrong, and how it was found. Each is
narrow: a subclass overriding a method or two, or a function used instead
of the library's. Importing :mod:`intentcast.node.p2p` runs :func:`install`.

- :class:`InboundSlotSwarm`: ``network/swarm.py``
  ``Swarm._handle_inbound_connection`` holds an inbound slot until the
  swarm stops, not until the connection closes;
- :class:`ContentIdCache`: ``pubsub/mcache.py`` ``MessageCache.put`` keys
  the cache by ``from_id + seqno``;
- :class:`IntentcastGossipSub`: ``pubsub/gossipsub.py``
  ``send_recent_messages`` replays out of order, ``_get_peers_to_send`` has
  no flood publishing;
- the repairs on a connection's byte path, in
  :mod:`intentcast.node.stream_repairs`: ``io/trio.py``
  ``TrioTCPStream.read`` receives twice per Noise message;
  ``stream_muxer/yamux/yamux.py`` ``Yamux.handle_incoming`` writes inline
  under the write lock, a read writes a window update back every time,
  and a small write passes seven scheduler checkpoints;
- :func:`guarded_pubsub_stream`: ``pubsub/pubsub.py``
  ``Pubsub.stream_handler`` lets an undecodable RPC raise through the swarm;
- :class:`SenderRecords`: ``peer/peerstore.py`` ``env_to_send_in_RPC``
  and ``pubsub/utils.py`` ``maybe_consume_signed_record`` build and
  verify a signed peer record for every RPC;
- :func:`drop_stale_pubsub_stream`: ``pubsub/pubsub.py``
  ``Pubsub._handle_new_peer`` keeps a reconnecting peer's dead stream;
- :class:`TeardownOncePubsub`: ``pubsub/pubsub.py``
  ``Pubsub._teardown_if_connected`` removes a banned peer twice;
- :class:`OpenSocketsListener`: ``transport/tcp/tcp.py``
  ``TCPListener.get_addrs`` asks a closed socket for its address.

py-libp2p's logging is repaired in :mod:`intentcast.node.logs`.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import libp2p
import trio
from libp2p.abc import IHost, IMuxedConn, INetConn, INetStream
from libp2p.network.swarm import Swarm
from libp2p.peer import peerstore
from libp2p.peer.id import ID
from libp2p.pubsub import floodsub as floodsub_module
from libp2p.pubsub import gossipsub as gossipsub_module
from libp2p.pubsub import pubsub as pubsub_module
from libp2p.pubsub import utils as pubsub_utils
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.pubsub.mcache import CacheEntry, MessageCache
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.stream_muxer import muxer_multistream
from libp2p.stream_muxer.yamux import yamux as yamux_module
from libp2p.transport.tcp import tcp as tcp_transport
from multiaddr import Multiaddr

from .stream_repairs import BufferedTCPStream, HalfWindowYamuxStream, NonBlockingYamux

log = logging.getLogger(__name__)


# --- network/swarm.py: inbound connection slots ---------------------------------


@dataclass(slots=True)
class _InboundHandler:
    """The inbound handler running in this task: its cancel scope, and
    whether the connection it upgraded has been claimed yet."""

    scope: trio.CancelScope
    claimed: bool = False


_INBOUND: contextvars.ContextVar[_InboundHandler | None] = contextvars.ContextVar(
    "intentcast_inbound_handler", default=None
)


class InboundSlotSwarm(Swarm):
    """A swarm whose inbound connection slot is released when the
    connection closes, not when the swarm stops.

    Upstream (``libp2p/network/swarm.py``, 0.8.1):
    ``Swarm._handle_inbound_connection`` takes a slot of
    ``_inbound_limiter`` (``max_connections - min_connections`` slots: 300
    with the node's ``min_connections=0``) and releases it in a ``finally``
    after ``_do_handle_inbound_connection`` returns. That function, after a
    successful upgrade, awaits ``self.manager.wait_finished()`` ("keep
    handler alive"): the swarm's whole lifetime. So every inbound connection
    a node ever accepted kept its slot after it closed, and after 300 in
    its lifetime the node refused every new inbound peer, with 0 live
    connections (LIBP2P-NOTES, 2026-12-03; issue 15: a vendor refused a new
    customer after a reconnect storm). The upstream comment says what was
    meant: the slot "releases automatically in the finally block when the
    connection ends".

    The handler must stay alive while the connection is open: trio's
    ``serve_listeners`` closes the socket when its handler returns. So the
    repair keeps the library's handler as it is and ends it when the
    connection it registered closes: :meth:`add_conn` (called by the upgrade,
    in the handler's task) finds the handler's cancel scope in a context
    variable and starts a task that cancels it once the ``SwarmConn``'s
    ``event_closed`` is set. The library's ``finally`` then releases the slot
    (and the handler task, which also leaked, ends).

    Why on close and not as soon as the upgrade is done: the limiter is the
    library's bound on *live* inbound connections (its size leaves
    ``min_connections`` for outbound ones), not only on handshakes in
    flight; released after the upgrade, it would bound handshakes only,
    and live inbound connections would be bounded by ``max_connections``
    alone, with nothing kept for the node's own dials. Held until close, a
    Sybil can hold at most that many slots at once, and each one comes
    back when its connection goes.
    """

    async def _handle_inbound_connection(self, read_write_closer: Any, maddr: Any) -> None:
        with trio.CancelScope() as scope:
            token = _INBOUND.set(_InboundHandler(scope))
            try:
                await super()._handle_inbound_connection(read_write_closer, maddr)
            finally:
                _INBOUND.reset(token)

    async def add_conn(self, muxed_conn: IMuxedConn, direction: str = "unknown") -> Any:
        swarm_conn = await super().add_conn(muxed_conn, direction)
        handler = _INBOUND.get()
        # Tasks the upgrade started inherit the variable; only the first
        # inbound registration in the handler's own task claims it.
        if handler is not None and direction == "inbound" and not handler.claimed:
            handler.claimed = True
            try:
                self.manager.run_task(_end_handler_on_close, swarm_conn, handler.scope)
            except Exception as exc:  # the swarm is stopping: its end frees the slot
                log.debug("inbound slot watcher not started: %s", exc)
        return swarm_conn


async def _end_handler_on_close(swarm_conn: Any, scope: trio.CancelScope) -> None:
    await swarm_conn.event_closed.wait()
    scope.cancel()


# --- pubsub/mcache.py: the message cache's key ------------------------------------


def content_id(msg: rpc_pb2.Message) -> bytes:
    """Gossipsub message id: BLAKE2b-256 of the data, i.e. the protocol
    message id of the envelope it carries (no origin, no seqno)."""
    return hashlib.blake2b(msg.data, digest_size=32).digest()


class ContentIdCache(MessageCache):
    """The message cache keyed by the content id, the id the seen cache uses.

    Upstream (``libp2p/pubsub/mcache.py``, ``MessageCache.put``) keys it by
    ``from_id + seqno``. With anonymous publishing those ids are never in a
    receiver's seen cache, so every id a node advertised in IHAVE was
    fetched again with IWANT, whether the receiver had the message or not:
    about four times the bytes per intent once a node has more peers than
    its mesh (docs/simulations.md, "Bandwidth";
    ``tests/node/test_gossip_ihave.py``). Keyed by the content id, IHAVE
    names what the receiver's seen cache holds, and IWANT finds it here."""

    def put(self, msg: rpc_pb2.Message) -> None:
        mid = content_id(msg)
        if mid in self.msgs:
            return
        self.msgs[mid] = msg
        self.history[0].append(CacheEntry(mid, msg.topicIDs))


# --- pubsub/gossipsub.py: replay and flood publishing -----------------------------


class IntentcastGossipSub(GossipSub):
    """Gossipsub without the replay of recent messages to new subscribers,
    with flood publishing, and with its message cache keyed by content id
    (:class:`ContentIdCache`).

    Upstream (``libp2p/pubsub/gossipsub.py``): ``send_recent_messages``
    replays the message-cache window to every peer that subscribes, out of
    order (LIBP2P-NOTES, trap 10): a withdrawn intent can arrive before its
    withdrawal, and a vendor would answer it. Our sync protocol does this
    job properly (withdrawals first, everything live, not only the last few
    seconds), on connect and periodically. ``_get_peers_to_send`` sends a
    node's own publishes to its mesh or fanout only; see the override.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mcache = ContentIdCache(self.mcache.window_size, self.mcache.history_size)

    async def send_recent_messages(self, peer_id: ID, topic: str) -> None:
        return None

    def _get_peers_to_send(
        self,
        topic_ids: Iterable[str],
        msg_forwarder: ID,
        origin: ID,
        msg_id: bytes | None = None,
    ) -> Iterable[ID]:
        """Gossipsub v1.1 *flood publishing* for this node's own publishes:
        to every peer known to follow the topic, not only the mesh (the
        library sends to the mesh or fanout only). A message that ends its
        stem here goes out even when the mesh of a just-joined topic is not
        formed yet, and it reaches the first hop faster; forwarding others'
        messages stays mesh-only."""
        peers = set(super()._get_peers_to_send(topic_ids, msg_forwarder, origin, msg_id))
        pubsub = self.pubsub
        if pubsub is not None and msg_forwarder == pubsub.my_id:
            for topic in topic_ids:
                peers.update(
                    p
                    for p in pubsub.peer_topics.get(topic, ())
                    if p in self.peer_protocol and p != msg_forwarder
                )
        return peers


# --- pubsub/pubsub.py: the stream handler and reconnecting peers ------------------


async def guarded_pubsub_stream(pubsub: Pubsub, stream: INetStream) -> BaseException | None:
    """Run the library's pubsub stream handler; return what it raised
    (the stream then reset), or None.

    Upstream (``libp2p/pubsub/pubsub.py``, ``Pubsub.stream_handler``): an
    RPC that is not protobuf raised ``DecodeError`` out of the handler,
    through the swarm, and stopped the whole node (random bytes on
    ``/meshsub/1.1.0``; found by ``tests/node/test_hostile.py``). The caller
    penalises the peer."""
    try:
        await pubsub.stream_handler(stream)
    except Exception as exc:
        try:
            await stream.reset()
        except Exception as reset_error:
            log.debug("pubsub stream reset failed: %s", reset_error)
        return exc
    return None


class TeardownOncePubsub(Pubsub):
    """Upstream (``pubsub/pubsub.py``, ``Pubsub._teardown_if_connected``,
    run as a task by ``add_to_blacklist``) resets the banned peer's stream
    and then ``del self.peers[peer_id]``. The node bans a peer and closes
    its connection at once (``node/guard.py``); while the reset awaits, the
    connection's close runs ``_handle_dead_peer``, which removes the peer
    first, and the ``del`` raises ``KeyError``. The task's error stops the
    whole pubsub service, and the node with it: a peer that got itself
    banned (junk on a feed, found by ``tests/node/test_offer_feed.py``)
    took the node down. Here the peer is removed if it is still there."""

    async def _teardown_if_connected(self, peer_id: ID) -> None:
        stream = self.peers.get(peer_id)
        if stream is not None:
            try:
                await stream.reset()
            except Exception as exc:  # already gone
                log.debug("pubsub: reset of a banned peer's stream failed: %s", exc)
            self.peers.pop(peer_id, None)
        self._forget_all_subscriptions(peer_id)


def drop_stale_pubsub_stream(pubsub: Pubsub, peer: ID, conn: INetConn) -> bool:
    """Forget a pubsub stream left from an earlier connection of ``peer``;
    True if there was one.

    Upstream (``libp2p/pubsub/pubsub.py``, ``Pubsub._handle_new_peer``)
    registers a peer's pubsub stream once and skips a new one while the old
    entry exists; when a peer reconnects before the old connection's death
    was processed, every later message to it went into the dead stream,
    silently (seen with nodes restarting on the same peer id: 4 of 5 runs
    lost all gossip to it). Dropping the stale entry makes the library open
    a stream on the live connection (call it from a notifee's
    ``connected``)."""
    stream = pubsub.peers.get(peer)
    if stream is None or getattr(stream, "muxed_conn", None) is conn.muxed_conn:
        return False
    pubsub._handle_dead_peer(peer)  # re-opens a stream while the peer is connected
    return True


# --- peer/peerstore.py, pubsub/utils.py: the signed peer record of every RPC ---------


class SenderRecords:
    """Each host's signed peer record, built once, and each peer's checked once.

    Upstream (py-libp2p 0.8.1) every pubsub RPC carries the sender's signed
    peer record (~200 bytes), built per RPC (gossipsub's forwards: per peer)
    by ``peer/peerstore.py`` ``env_to_send_in_RPC``, which re-parses the
    host's addresses each time; the receiver checks it twice per RPC
    (``pubsub/utils.py`` ``maybe_consume_signed_record``: decode, verify,
    parse the addresses, write the peerstore). Profiled (``benchmarks
    hops``, stem round): 0.43 ms a send, 0.27 ms a check, most of
    gossipsub's own cost per message. Here a host's record is reused for
    :attr:`SEND_SECONDS`, and the node's pubsub takes it out of every RPC
    it writes (``host.WatchedPubsub.write_msg``); a peer's record is
    checked again only when its bytes change or after
    :attr:`CHECK_SECONDS` (renewing its peerstore TTL, 2 h)."""

    SEND_SECONDS = 10.0
    CHECK_SECONDS = 600.0
    #: Peers whose checked record a host remembers (the newest).
    PEERS = 4_096

    def __init__(self) -> None:
        self._sent: WeakKeyDictionary[IHost, tuple[float, bytes]] = WeakKeyDictionary()
        self._checked: WeakKeyDictionary[IHost, OrderedDict[ID, tuple[float, bytes]]]
        self._checked = WeakKeyDictionary()

    def to_send(self, host: IHost) -> tuple[bytes, bool]:
        now, kept = time.monotonic(), self._sent.get(host)
        if kept is not None and now - kept[0] < self.SEND_SECONDS:
            return kept[1], False
        record, fresh = peerstore.env_to_send_in_RPC(host)
        self._sent[host] = (now, record)
        return record, fresh

    def consume(self, rpc: rpc_pb2.RPC, host: IHost, peer: ID) -> bool:
        if not rpc.HasField("senderRecord"):
            return True
        checked = self._checked.setdefault(host, OrderedDict())
        now, kept = time.monotonic(), checked.get(peer)
        if kept is not None and kept[1] == rpc.senderRecord and now - kept[0] < self.CHECK_SECONDS:
            return True
        if not pubsub_utils.maybe_consume_signed_record(rpc, host, peer):
            return False
        checked[peer] = (now, rpc.senderRecord)
        checked.move_to_end(peer)
        if len(checked) > self.PEERS:
            checked.popitem(last=False)
        return True


SENDER_RECORDS = SenderRecords()


# --- transport/tcp/tcp.py: the addresses of a closing listener ----------------------


class OpenSocketsListener(tcp_transport.TCPListener):
    """A TCP listener whose addresses are those of its open sockets.

    Upstream (``TCPListener.get_addrs``): ``getsockname`` on every listening
    socket, closed or not. Gossipsub reads the host's addresses for every
    control message it sends (``env_to_send_in_RPC``, for the signed peer
    record); while a host closes, a GRAFT sent to a peer that subscribed at
    that moment found the listener's socket already closed, and the
    ``OSError`` (EBADF) escaped the host's nursery and failed the node's
    shutdown (seen once in CI, in ``tests/node/test_hostile.py``). A
    closed socket has no address to give."""

    def get_addrs(self) -> tuple[Multiaddr, ...]:
        return tuple(
            tcp_transport._multiaddr_from_socket(listener.socket)
            for listener in self.listeners
            if listener.socket.fileno() != -1
        )


# --- installation -------------------------------------------------------------------


def install() -> None:
    """Put the repairs where py-libp2p looks them up, by name in a module
    (``new_swarm``: ``Swarm``; ``muxer_multistream``: ``Yamux``, which
    ignores the muxers a host is given; ``yamux``: ``YamuxStream``;
    ``TCP.create_listener``: ``TCPListener``; the TCP transport:
    ``TrioTCPStream``; the pubsub modules: the two record functions). The
    node builds the router and cache. Idempotent."""
    libp2p.Swarm = InboundSlotSwarm  # type: ignore[attr-defined]
    muxer_multistream.Yamux = NonBlockingYamux  # type: ignore[attr-defined]
    yamux_module.YamuxStream = HalfWindowYamuxStream  # type: ignore[misc]
    tcp_transport.TCPListener = OpenSocketsListener  # type: ignore[misc]
    tcp_transport.TrioTCPStream = BufferedTCPStream  # type: ignore[attr-defined]
    for module in (pubsub_module, gossipsub_module, floodsub_module):
        module.env_to_send_in_RPC = SENDER_RECORDS.to_send  # type: ignore[attr-defined]
        module.maybe_consume_signed_record = SENDER_RECORDS.consume  # type: ignore[attr-defined]
