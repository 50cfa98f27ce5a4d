"""Peers: subscriptions, store-and-forward sync (on connect and as
anti-entropy), a quiet customer's probe, bootstrap redialling, the expiry
sweep."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import trio
from libp2p.abc import INetStream

from intentcast.peer import sync as policy
from intentcast.peer.backoff import Backoff
from intentcast.peer.stem import QUIET_PROBE_WINDOW

from . import sync as sync_protocol
from .base import EventKind, NodeCore, Part
from .errors import NetworkError
from .stem import StemRouting

log = logging.getLogger(__name__)


class Peering(Part):
    """The peering part of a :class:`~intentcast.node.node.Node`:
    subscriptions, sync both ways, bootstrap peers, the expiry sweep. Sync
    never hands out an own message on its stem, and what it brings in
    enters the node through the stem part (which sees own messages come
    back)."""

    def __init__(self, core: NodeCore, stem: StemRouting) -> None:
        super().__init__(core)
        self.stem = stem
        #: Peers this node is pulling from now (as the requester of a sync).
        self._syncing: set[str] = set()
        #: Peers this node serves a sync session now (as the responder).
        self._serving: set[str] = set()

    async def _deliver_from_sync(self, topic: str, data: bytes, peer: str) -> bool:
        """One envelope handed over on sync: admitted as gossip is
        (:meth:`NodeCore.admit_sync`), then into the node."""
        await self.core.admit_sync(data, peer)
        return self.stem.inbound(topic, data, peer)

    def interests(self) -> list[str]:
        """The topics this node needs (:func:`intentcast.peer.sync.interests`)."""
        return policy.interests(
            relay=self.config.relay,
            vendor=self.core.vendor_keys is not None,
            buckets=self.core.offer_buckets,
        )

    async def _inventory(
        self, wanted_topics: Sequence[str], limit: int, recent: int | None = None
    ) -> list[tuple[bytes, str]]:
        """The ids of live messages on ``wanted_topics`` that this node
        follows itself (:func:`~intentcast.peer.sync.served_topics`: a quiet
        customer offers no intent, its own included), at most ``limit``,
        from index queries: nothing of others' is decoded, so the work of a
        session does not grow with the store beyond its ids. ``recent``
        (a probe's hello): only intents-topic messages created within the
        last that many seconds."""
        wanted = set(policy.served_topics(wanted_topics, self.interests()))
        query = policy.inventory_query(wanted)
        now = self.now()
        if recent is not None:
            items = self.store.gossip.recent_intents(
                now=now,
                since=now - recent,
                withdrawals=query.withdrawals,
                intent_categories=query.intent_categories,
                limit=limit,
            )
        else:
            items = self.store.gossip.inventory(
                now=now,
                withdrawals=query.withdrawals,
                intent_categories=query.intent_categories,
                offers_of=query.wants_offers_of if query.offer_buckets else None,
                deals=query.deals,
                profiles=query.profiles,
                ratings=query.ratings,
                limit=limit,
            )
        held = (
            (
                item.id,
                item.kind,
                policy.held_topic(intent_key=item.intent_key, category=item.category),
            )
            for item in items
        )
        return policy.offer(held, wanted, hidden=self.stem.on_stem, limits=self.config.sync)

    async def _fetch(self, ids: Sequence[bytes]) -> dict[bytes, bytes]:
        return self.store.gossip.raw_many(
            [i for i in ids if not self.stem.on_stem(i)], now=self.now()
        )

    async def _missing(self, ids: Sequence[bytes]) -> list[bytes]:
        return self.store.gossip.unseen(ids)

    async def _serve_sync(self, stream: Any) -> None:
        peer = stream.muxed_conn.peer_id.to_base58()
        limits = self.config.sync
        if self.p2p.limits.is_banned(peer, time.monotonic()):
            # A banned peer that dialled again is dropped from the peer table
            # on connect, but py-libp2p may still hand us streams of that
            # connection (found by `python -m conformance node`).
            self._count("ignore:sync-banned")
            await _reset(stream)
            return
        refusal = policy.refuse_session(
            serving_peer=peer in self._serving, sessions=len(self._serving), limits=limits
        )
        if refusal is not None:
            parallel = refusal.startswith("reject:")
            self._count(refusal)
            log.info(
                "sync from %s refused: %s", peer, "session already running" if parallel else "busy"
            )
            if parallel:
                self.p2p.penalise(peer, "sync: parallel session")
            with suppress(Exception):
                await sync_protocol.refuse_busy(stream)
                await stream.close()
            return
        self._serving.add(peer)
        try:
            sent = await sync_protocol.respond(
                stream, inventory=self._inventory, fetch=self._fetch, limits=limits
            )
            log.debug("sync: sent %d messages to %s", sent, peer)
            await stream.close()
        except (sync_protocol.SyncError, trio.TooSlowError) as exc:
            log.info("sync from %s refused: %s", peer, exc)
            self.p2p.penalise(peer, f"sync: {exc}")
            await _reset(stream)
        except Exception as exc:
            log.debug("sync from %s ended: %s", peer, exc)
            await _reset(stream)
        finally:
            self._serving.discard(peer)

    @asynccontextmanager
    async def _session(self, peer: str) -> AsyncIterator[INetStream | None]:
        """A sync stream to ``peer``, this node the requester (a sync or a
        probe); None while a session with ``peer`` is under way (one per
        peer at a time). Raises :class:`NetworkError` if it cannot open."""
        if peer in self._syncing:
            yield None
            return
        self._syncing.add(peer)
        try:
            yield await self.p2p.new_stream(peer, sync_protocol.PROTOCOL)
        finally:
            self._syncing.discard(peer)

    async def sync_with(self, peer: str) -> tuple[int, int]:
        """Pull what ``peer`` has that this node lacks; returns (received, accepted)."""
        async with self._session(peer) as stream:
            if stream is None:
                return (0, 0)
            try:
                result = await sync_protocol.request(
                    stream,
                    topics=self.interests(),
                    missing=self._missing,
                    deliver=self._deliver_from_sync,
                    peer=peer,
                    limits=self.config.sync,
                )
                await stream.close()
                return result
            except sync_protocol.SyncPaced as exc:
                # Our own pacing: what is left is wanted at the next sync.
                log.info("sync with %s ended early: %s", peer, exc)
                await _reset(stream)
                # Counted once the session is over (no await between here
                # and leaving ``_syncing``): a watcher that sees the count
                # may start the next session with this peer at once.
                self._count("sync:session-paced")
                return (exc.received, exc.accepted)
            except sync_protocol.SyncBusy as exc:
                log.info("sync with %s not served: %s", peer, exc)
                await _reset(stream)
                return (0, 0)
            except (sync_protocol.SyncError, trio.TooSlowError) as exc:
                log.info("sync with %s failed: %s", peer, exc)
                self.p2p.penalise(peer, f"sync: {exc}")
                await _reset(stream)
                return (0, 0)
            except sync_protocol.StreamGone as exc:
                log.debug("sync with %s ended early: %s", peer, exc)
                await _reset(stream)
                return (0, 0)

    async def probe_recent(self, peer: str) -> set[bytes]:
        """Ask ``peer`` for the ids of the intents-topic messages (intents,
        their revisions, withdrawals) it holds that were created in the
        last :data:`~intentcast.peer.stem.QUIET_PROBE_WINDOW` seconds: ids
        only, nothing is fetched (a sync hello with ``recent``,
        docs/wire.md section 4). An empty set if the peer is busy, gone, or
        breaks the protocol (then it is penalised, as in any sync)."""
        async with self._session(peer) as stream:
            if stream is None:
                return set()
            try:
                found = await sync_protocol.probe(
                    stream,
                    topics=policy.probe_topics(),
                    recent=int(QUIET_PROBE_WINDOW),
                    limits=self.config.sync,
                )
                await stream.close()
                return found
            except sync_protocol.SyncBusy as exc:
                log.info("probe of %s not served: %s", peer, exc)
            except (sync_protocol.SyncError, trio.TooSlowError) as exc:
                log.info("probe of %s failed: %s", peer, exc)
                self.p2p.penalise(peer, f"sync: {exc}")
            except sync_protocol.StreamGone as exc:
                log.debug("probe of %s ended early: %s", peer, exc)
            await _reset(stream)
            return set()

    async def _prober(self) -> None:
        """A quiet customer's watch (docs/privacy.md section 10): every
        ``quiet_probe_seconds`` (30) at a phase of its own, whatever its owner
        posted, probe one connected follower of the intents topics
        (:func:`~intentcast.peer.sync.probe_peer`: not a stem successor of
        this epoch when another follower is connected); own messages found
        there are diffused (``StemRouting.diffused``). A node that follows
        the intents topics sees its own come back and never probes."""
        if not policy.is_quiet(self.interests()):
            return
        start = trio.current_time()
        draw = random.random()
        while True:
            period = self.config.quiet_probe_seconds
            await trio.sleep_until(policy.next_probe(start, draw, trio.current_time(), period))
            try:
                await self._probe_once()
            except NetworkError as exc:
                log.debug("probe not possible: %s", exc)
            except Exception:  # whatever a peer does, a probe never takes the node down
                log.exception("probe failed unexpectedly")

    def intent_peers(self) -> list[str]:
        """Connected peers that follow the intents topics (vendors and
        relays: they carry the intents' gossip; customers do not)."""
        return sorted({p for t in policy.probe_topics() for p in self.p2p.followers(t)})

    async def _probe_once(self) -> None:
        followers = self.intent_peers()
        peer = policy.probe_peer(followers, self.stem.stem_successors(), random.random())
        if peer is None:
            self._count("probe:no-follower")
            return
        self._count("probe:sent")
        found = await self.probe_recent(peer)
        self._count("probe:answered" if found else "probe:empty")
        if found:
            self.stem.diffused(found)

    async def _sync_new_peers(self) -> None:
        """Sync with every newly connected peer (either side may have
        dialled), and with it again ``resync_after_connect_seconds`` later;
        and every ``resync_seconds`` with one random peer (anti-entropy:
        catches what gossip lost in between)."""
        known: set[str] = set()
        last_resync = trio.current_time()
        while True:
            current = set(self.p2p.connected_peers())
            if current - known:
                self.stem.on_new_peers()
            for peer in current - known:
                self._emit(EventKind.PEER_CONNECTED, peer)
                self.nursery.start_soon(self._sync_quietly, peer)
                self.nursery.start_soon(self._sync_again, peer)
            known = current
            if current and trio.current_time() - last_resync >= self.config.resync_seconds:
                last_resync = trio.current_time()
                self.nursery.start_soon(self._sync_quietly, random.choice(sorted(current)))
            await trio.sleep(policy.CONNECTION_POLL_SECONDS)

    async def _sync_again(self, peer: str) -> None:
        """Sync with a new peer once more, about
        ``resync_after_connect_seconds`` after it connected
        (:func:`~intentcast.peer.sync.resync_delay`), if it is still connected."""
        await trio.sleep(
            policy.resync_delay(self.config.resync_after_connect_seconds, random.random())
        )
        if peer in self.p2p.connected_peers():
            await self._sync_quietly(peer)

    async def _sync_quietly(self, peer: str) -> None:
        try:
            await self.sync_with(peer)
        except NetworkError as exc:
            log.debug("sync with %s not possible: %s", peer, exc)
        except Exception:  # whatever a peer does, a sync never takes the node down
            log.exception("sync with %s failed unexpectedly", peer)

    async def resubscribe(self) -> None:
        """Subscribe to every topic :meth:`interests` names."""
        for topic in self.interests():
            await self.p2p.subscribe(topic)

    async def _keep_connected(self, addr: str) -> None:
        """Dial a bootstrap peer, redialling with jittered exponential backoff."""
        c = self.config
        backoff = Backoff(c.reconnect_min_seconds, c.reconnect_max_seconds, random.random)
        peer_suffix = addr.rsplit("/p2p/", 1)[-1]
        while True:
            if peer_suffix not in self.p2p.connected_peers():
                try:
                    await self.core.connect(addr)
                    backoff.reset()
                except NetworkError as exc:
                    log.info(
                        "bootstrap %s unreachable (%s); retry in %.0f s", addr, exc, backoff.step
                    )
                    self.store.peers.failed(peer_suffix, now=self.now())
                    await trio.sleep(backoff.next_delay())
                    continue
            await trio.sleep(self.config.reconnect_min_seconds)

    async def _sweeper(self) -> None:
        while True:
            await trio.sleep(60)
            try:
                self.store.sweep(self.now())
            except Exception:
                log.exception("expiry sweep failed")


async def _reset(stream: Any) -> None:
    with suppress(Exception):  # the stream may already be gone
        await stream.reset()
