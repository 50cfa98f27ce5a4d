"""``python -m benchmarks hops [--json] [--messages 200] [--rounds 3]``:
what one node adds to a delivery, per gossip hop and per stem hop, with
real hosts on 127.0.0.1 in one process (one event loop: no other process
and no scheduler between the hosts, so the figures are the work itself,
far less noisy than ``benchmarks network``).

- *relay*: X -- Y -- (Z1, Z2, Z3). X publishes valid intents (4-bit work)
  straight into its gossip router; the Zs note when their gossip
  validator sees each one. Y is either a bare ``P2P`` host whose handler
  accepts everything (``relay_raw``, py-libp2p as the node configures it)
  or an intentcast relay node (``relay_node``: validation, the pipeline,
  the queue to the store, the worker storing and doing the role's work).
  ``*_first_ms`` / ``*_last_ms``: X's push to the first / last Z, p50;
  ``relay_added_*_ms`` node minus raw: what the node adds per gossip hop,
  to its first and to its last forward (gossipsub writes to one peer at a
  time; anything else the node runs between those writes shows in the
  last). The two kinds alternate in ``--rounds``, fresh hosts each round.
  Inside Y (node): ``relay_accept_to_forwarded_ms``, from its validator
  accepting a message to its last forward of it written, p50, and
  ``relay_stored_before_forwarded``: messages whose storage (the worker)
  began before that last write, of all forwarded to every Z.
- *stem*: nodes A and B, stem routing on, A dialled B (so B is A's only
  successor). A posts intents; each goes down the stem to B, which ends
  it or hands it back (then A ends it: a loop). From the nodes' trace,
  p50: ``post_ms`` the time inside ``post_intent`` (it returns once the
  intent's record is flushed), ``post_to_hand_ms`` from its call until the
  successor took the message (the author's part of the stem),
  ``stem_send_ms`` from its return until then (below 0: the hand comes
  while the post waits for its flush), ``stem_hop_ms`` from
  one hand to the next node's hand or end (its read, validation,
  decision), ``stem_end_to_push_ms`` from the end to the message entering
  the gossip router. ``post_split_ms``: inside ``post_intent``, the store
  writes (``intents.add``, ``stems.add``; ``reserve_keys`` runs after the
  post, reserving the next intent's keys, and in it only when none are
  reserved), signing (with its proof of work: on the event loop at these
  4 bits, ``with_work``), and ``sync``, the flush of the record in a
  worker thread while the intent goes.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import trio

from benchmarks.harness import report
from benchmarks.network_child import (
    BULK_ATTRIBUTES,
    BULK_CATEGORY,
    BULK_TOPIC,
    LOW_WORK,
    TERMS,
    bulk_title,
)
from intentcast.daemon.process import freeze_startup_objects
from intentcast.node import Node, NodeConfig, open_node
from intentcast.node.p2p import P2P, open_p2p
from intentcast.peer import topics
from intentcast.protocol import Intent, derive_intent_keys, message_id, sign
from intentcast.store import Store

#: Seconds between messages: far below any pacing, so hops do not queue.
GAP = 0.03


def _p50(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def _intents(n: int) -> list[bytes]:
    now = int(time.time())
    out = []
    for i in range(n):
        keys = derive_intent_keys(os.urandom(32), 0)
        intent = Intent(
            category=BULK_CATEGORY,
            title=bulk_title(i),
            terms=TERMS,
            attributes=dict(BULK_ATTRIBUTES),
            reply_key=keys.reply_public,
            created=now,
            expires=now + 3600,
        )
        out.append(sign(intent, keys.signing, params=LOW_WORK).raw)
    return out


async def _mesh(hosts: list[P2P], want: Callable[[P2P], int]) -> None:
    with trio.move_on_after(10):
        while any(len(h.router.mesh.get(BULK_TOPIC, set())) < want(h) for h in hosts):
            await trio.sleep(0.1)


class _Inside:
    """Inside the relay node Y: when its validator accepted each message,
    when each forward of it was written, when the worker began storing it."""

    def __init__(self) -> None:
        self.accepted: dict[bytes, float] = {}
        self.written: dict[bytes, list[float]] = {}
        self.stored: dict[bytes, float] = {}

    def watch(self, node: Node) -> None:
        p2p, gossip = node.p2p, node.store.gossip
        on_message, write_msg, ingest_many = (
            p2p._on_message,
            p2p.pubsub.write_msg,
            gossip.ingest_many,
        )

        def accepted(topic: str, data: bytes, peer: str) -> bool:
            ok = on_message(topic, data, peer)
            self.accepted.setdefault(message_id(data), time.perf_counter())
            return ok

        async def written(stream: Any, rpc: Any) -> bool:
            ok = await write_msg(stream, rpc)
            for msg in rpc.publish:
                self.written.setdefault(message_id(msg.data), []).append(time.perf_counter())
            return ok

        def stored(batch: Any, **kwargs: Any) -> Any:
            now = time.perf_counter()
            for signed in batch:
                self.stored.setdefault(signed.id, now)
            return ingest_many(batch, **kwargs)

        p2p._on_message = accepted
        p2p.pubsub.write_msg = written  # type: ignore[method-assign,assignment]
        gossip.ingest_many = stored  # type: ignore[method-assign,assignment]

    def figures(self) -> tuple[list[float], int, int]:
        """(ms from accept to the last forward written, messages whose
        storage began before that, messages seen)."""
        done = {m: max(ts) for m, ts in self.written.items() if len(ts) == 3}
        to_last = [(done[m] - t) * 1000 for m, t in self.accepted.items() if m in done]
        early = sum(1 for m, t in self.stored.items() if m in done and t < done[m])
        return to_last, early, len(done)


async def relay_round(
    kind: str, messages: int, tmp: Path, inside: _Inside
) -> tuple[list[float], list[float]]:
    """One round of *relay*; returns (ms to the first Z, ms to the last Z)."""
    arrived: dict[bytes, list[float]] = {}

    def at_z(topic: str, data: bytes, peer: str) -> bool:
        arrived.setdefault(message_id(data), []).append(time.perf_counter())
        return True

    async with AsyncExitStack() as stack:

        async def host(handler: Callable[[str, bytes, str], bool]) -> P2P:
            p2p = await stack.enter_async_context(open_p2p(on_message=handler))
            for topic in topics.ALL_TOPICS:
                await p2p.subscribe(topic)
            return p2p

        x = await host(lambda topic, data, peer: True)
        zs = [await host(at_z) for _ in range(3)]
        if kind == "raw":
            y: P2P = await host(lambda topic, data, peer: True)
        else:
            store = Store.open(tmp / f"y-{os.urandom(4).hex()}.db")
            stack.callback(store.close)
            config = NodeConfig(params=LOW_WORK, relay=True)
            node = await stack.enter_async_context(
                open_node(store, customer_seed=os.urandom(32), config=config)
            )
            y = node.p2p
            inside.watch(node)
        for other in (x, *zs):
            await other.connect(y.addrs()[0])
        await _mesh([y], lambda h: 4)
        await _mesh([x, *zs], lambda h: 1)
        await trio.sleep(1.0)
        pushed: dict[bytes, float] = {}
        for raw in _intents(messages):
            pushed[message_id(raw)] = time.perf_counter()
            await x._push(BULK_TOPIC, raw)
            await trio.sleep(GAP)
        await trio.sleep(0.5)
    first = [(min(ts) - pushed[m]) * 1000 for m, ts in arrived.items() if m in pushed]
    last = [(max(ts) - pushed[m]) * 1000 for m, ts in arrived.items() if len(ts) == 3]
    return first, last


class _Spans:
    """perf_counter spans around a few of a node's calls."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}

    def wrap(self, obj: Any, name: str, label: str) -> None:
        fn = getattr(obj, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.ms.setdefault(label, []).append((time.perf_counter() - start) * 1000)

        setattr(obj, name, timed)

    def wrap_async(self, obj: Any, name: str, label: str) -> None:
        fn: Callable[..., Awaitable[Any]] = getattr(obj, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.ms.setdefault(label, []).append((time.perf_counter() - start) * 1000)

        setattr(obj, name, timed)


async def stem_round(messages: int, tmp: Path, spans: _Spans) -> dict[str, list[float]]:
    """One round of *stem*: per part, ms per message."""
    events: list[tuple[str, bytes, str, float]] = []
    parts: dict[str, list[float]] = {}

    def note(part: str, ms: float) -> None:
        parts.setdefault(part, []).append(ms)

    async with AsyncExitStack() as stack:

        async def node(name: str) -> Node:
            store = Store.open(tmp / f"{name}-{os.urandom(4).hex()}.db")
            stack.callback(store.close)
            config = NodeConfig(params=LOW_WORK, relay=True)
            n = await stack.enter_async_context(
                open_node(store, customer_seed=os.urandom(32), config=config)
            )
            n.core.trace = lambda what, mid, detail: events.append(
                (what, mid, detail, time.perf_counter())
            )
            return n

        a, b = await node("a"), await node("b")
        await a.connect(b.addrs()[0])
        await _mesh([a.p2p, b.p2p], lambda h: 1)
        await trio.sleep(1.0)
        store = a.store
        spans.wrap(store.intents, "reserve_keys", "reserve_keys (after the post)")
        spans.wrap(store.intents, "add", "intents.add")
        spans.wrap(store.stems, "add", "stems.add")
        spans.wrap_async(a.customer, "_sign", "sign")
        spans.wrap(store, "sync", "sync (worker thread)")
        pushed: dict[bytes, float] = {}
        for n in (a, b):
            pubsub = n.p2p.pubsub
            push_msg = pubsub.push_msg

            async def timed(
                fwd: Any, msg: Any, push_msg: Any = push_msg, me: Any = pubsub.my_id
            ) -> None:
                if fwd == me:
                    pushed.setdefault(message_id(msg.data), time.perf_counter())
                await push_msg(fwd, msg)

            pubsub.push_msg = timed  # type: ignore[method-assign,assignment]
        posted: dict[bytes, tuple[float, float]] = {}
        for i in range(messages):
            t0 = time.perf_counter()
            signed = await a.post_intent(
                category=BULK_CATEGORY,
                title=bulk_title(i),
                terms=TERMS,
                attributes=BULK_ATTRIBUTES,
            )
            posted[signed.id] = (t0, time.perf_counter())
            await trio.sleep(GAP)
        await trio.sleep(0.5)
        note("full_collection_ms", _full_collection_ms())
        freeze_startup_objects()  # what the daemon does once it is up
        note("full_collection_frozen_ms", _full_collection_ms())
        gc.unfreeze()
    for mid, (t0, t1) in posted.items():
        note("post_ms", (t1 - t0) * 1000)
        mine = sorted((t, what) for what, m, _, t in events if m == mid)
        sends = [t for t, what in mine if what == "stem-sent"]
        ends = [t for t, what in mine if what == "stem-end"]
        if not sends or not ends:
            continue
        note("stem_send_ms", (sends[0] - t1) * 1000)
        note("post_to_hand_ms", (sends[0] - t0) * 1000)
        for s, e in zip(sends, [*sends[1:], ends[0]], strict=True):
            note("stem_hop_ms", (e - s) * 1000)
        if mid in pushed:
            note("stem_end_to_push_ms", (pushed[mid] - ends[0]) * 1000)
    return parts


def _full_collection_ms() -> float:
    """One full garbage collection of this process (two nodes up), timed."""
    start = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - start) * 1000


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    started = time.time()
    first: dict[str, list[float]] = {"raw": [], "node": []}
    last: dict[str, list[float]] = {"raw": [], "node": []}
    stem: dict[str, list[float]] = {}
    spans = _Spans()
    inside = _Inside()
    with tempfile.TemporaryDirectory(prefix="intentcast-hops-") as tmpdir:
        tmp = Path(tmpdir)
        for r in range(args.rounds):
            for kind in ("raw", "node") if r % 2 == 0 else ("node", "raw"):
                f, la = await relay_round(kind, args.messages, tmp, inside)
                first[kind] += f
                last[kind] += la
            for part, values in (await stem_round(args.messages // 2, tmp, spans)).items():
                stem.setdefault(part, []).extend(values)
    out: dict[str, Any] = {"messages": args.messages, "rounds": args.rounds}
    for kind in ("raw", "node"):
        out[f"relay_{kind}_first_ms"] = _p50(first[kind])
        out[f"relay_{kind}_last_ms"] = _p50(last[kind])
    out["relay_added_first_ms"] = round(out["relay_node_first_ms"] - out["relay_raw_first_ms"], 3)
    out["relay_added_last_ms"] = round(out["relay_node_last_ms"] - out["relay_raw_last_ms"], 3)
    to_last, early, seen = inside.figures()
    out["relay_accept_to_forwarded_ms"] = _p50(to_last)
    out["relay_stored_before_forwarded"] = f"{early}/{seen}"
    for part in ("post_ms", "post_to_hand_ms", "stem_send_ms", "stem_hop_ms", "stem_end_to_push_ms",
                 "full_collection_ms", "full_collection_frozen_ms"):  # fmt: skip
        out[part] = _p50(stem.get(part, []))
    out["stem_hops_timed"] = len(stem.get("stem_hop_ms", []))
    out["post_split_ms"] = {k: _p50(v) for k, v in spans.ms.items()}
    out["seconds"] = round(time.time() - started, 1)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks hops")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--messages", type=int, default=200, help="messages per relay round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (kinds alternate)")
    args = parser.parse_args(argv)
    report("hops", trio.run(measure, args), as_json=args.json)
    return 0
