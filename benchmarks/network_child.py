"""One node of ``python -m benchmarks network``, in its own OS process.

Run as ``python -m benchmarks.network_child`` by the benchmark, never by
hand. It speaks JSON lines: commands on stdin, one reply line per command
on stdout (anything else the process prints goes to stderr). It exits when
stdin closes, so a dead parent never leaves it behind.

A phase starts with ``{"cmd": "start", "mode": "raw" | "node", ...}``:

- ``raw``: a bare :class:`~intentcast.node.p2p.P2P` (py-libp2p configured
  exactly as the node configures it) subscribed to the same topics as a
  relay node, whose message handler only notes the arrival time and
  accepts. This is raw gossip with our configuration and no application.
- ``node``: a real intentcast node (relay, so it validates and stores
  every intent), optionally a vendor bot with a catalog, with stem routing
  on (``"stem": true``, the node's default) or off (own messages gossiped
  at once). Arrival is the moment the node's inbound pipeline takes a
  message in (``NodeBase.trace`` ``accepted``), whatever brought it: gossip,
  the end of a stem at this node, or sync. The node's stem events
  (``stem-sent``, ``stem-end``, ``stem-rerouted``) are kept for the report.

Every time is ``time.time()``: all processes share the machine's clock.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import trio

from intentcast.daemon.process import freeze_startup_objects
from intentcast.matching import parse_catalog
from intentcast.node import CatalogVendor, EventKind, Node, NodeConfig, open_node
from intentcast.node.p2p import P2P, open_p2p
from intentcast.peer import topics
from intentcast.protocol import Kind, NetworkParams, Terms, derive_vendor_keys
from intentcast.store import Store, Synchronous

#: Proof of work at 4 bits: minting costs ~nothing, checking costs what it
#: always costs (one hash). Minting is measured by ``benchmarks validate``;
#: here it would only add the same ~0.1 s to every post.
WORK_KINDS = (Kind.INTENT, Kind.WITHDRAW, Kind.SEALED_OFFER, Kind.SEALED_DEAL, Kind.VENDOR_PROFILE)
LOW_WORK = NetworkParams(pow_bits=dict.fromkeys(WORK_KINDS, 4))
TERMS = Terms(max_price=60_000, currency="EUR", region="DE",
              customer_terms=("cc:no-tracking",), payment_modes=("prepay",))  # fmt: skip
#: Bulk intents: a category no vendor bot sells, so they measure gossip,
#: validation and storage only.
BULK_CATEGORY = ("home", "furniture")
BULK_TOPIC = topics.intents(BULK_CATEGORY[0])
BULK_ATTRIBUTES = {"material": "oak"}
#: The offer phase: an intent the phone shops answer.
PHONE_CATEGORY = ("electronics", "phones")
PHONE_ATTRIBUTES = {"brand": "google"}


def bulk_title(i: int) -> str:
    return f"Oak dining table no. {i}"


class Lines:
    """JSON-line commands from a trio stream."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self._stream = stream
        self._buffer = b""

    async def next(self) -> dict[str, Any] | None:
        while b"\n" not in self._buffer:
            chunk = await self._stream.receive_some(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        value: dict[str, Any] = json.loads(line)
        return value


class Child:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.sent: dict[str, float] = {}
        self.recv: dict[str, float] = {}
        #: Node mode: message id -> when the inbound pipeline took it in
        #: (``recv`` is when the app got the ``intent-received`` event).
        self.stored: dict[str, float] = {}
        #: Node mode: the node's stem events, (message id, what, detail, time).
        self.stem_events: list[tuple[str, str, str, float]] = []
        #: When this node put a message it publishes (its own, or one whose
        #: stem it ended) into the gossip router: where the wire starts.
        self.pushed: dict[str, float] = {}
        #: Diagnostics: seconds inside post_intent (call to queued for
        #: gossip), and inside the node's inbound pipeline per message.
        self.post_s: list[float] = []
        self.inbound_s: list[float] = []
        #: The same calls' CPU time (this thread's): the rest of a slow
        #: call's wall time is waiting for a core.
        self.inbound_cpu_s: list[float] = []
        #: Offer phase (customer): intent id -> [(time, ranked, held)].
        self.offer_log: dict[str, list[tuple[float, int, int]]] = {}
        self.publish_errors: list[str] = []
        #: The parent closed our stdin: leave.
        self.eof = False

    def reply(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj) + "\n")
        self.out.flush()

    # --- raw gossip ------------------------------------------------------------

    def raw_arrived(self, topic: str, data: bytes, peer: str) -> bool:
        self.recv.setdefault(data[:16].hex(), time.time())
        return True

    async def raw_publish(self, p2p: P2P, times: list[float], size: int) -> None:
        for at in times:
            await trio.sleep(max(0.0, at - time.time()))
            data = os.urandom(size)
            self.sent[data[:16].hex()] = time.time()
            try:
                p2p.publish_nowait(BULK_TOPIC, data)
            except Exception as exc:
                self.publish_errors.append(repr(exc))

    def time_inbound(self, p2p: P2P, *, cpu: bool) -> None:
        """Wrap the node's inbound pipeline (validate, store, queue for the
        app) where the gossip validator calls it: how long it took, and with
        ``cpu`` its CPU time too. Reading the thread's CPU clock is a system
        call on the path before every forward, which raw gossip does not
        make, and the kernel may switch processes right there: only on
        request (``--inbound-cpu``)."""
        handler = p2p._on_message

        def timed(topic: str, data: bytes, peer: str) -> bool:
            start = time.perf_counter()
            accepted = handler(topic, data, peer)
            self.inbound_s.append(time.perf_counter() - start)
            return accepted

        def timed_cpu(topic: str, data: bytes, peer: str) -> bool:
            start, used = time.perf_counter(), time.thread_time()
            accepted = handler(topic, data, peer)
            self.inbound_s.append(time.perf_counter() - start)
            self.inbound_cpu_s.append(time.thread_time() - used)
            return accepted

        p2p._on_message = timed_cpu if cpu else timed

    def time_push(self, p2p: P2P, *, raw: bool) -> None:
        """Note when the node hands a message it publishes to the gossip
        router (after the outbox: the moment the wire part starts)."""
        pubsub = p2p.pubsub
        push_msg = pubsub.push_msg
        me = pubsub.my_id

        async def timed(forwarder: Any, msg: Any) -> None:
            if forwarder == me:
                data = msg.data
                key = data[:16].hex() if raw else hashlib.blake2b(data, digest_size=32).hexdigest()
                self.pushed.setdefault(key, time.time())
            await push_msg(forwarder, msg)

        pubsub.push_msg = timed  # type: ignore[method-assign,assignment]

    def traced(self, what: str, message_id: bytes, detail: str) -> None:
        """The node's trace (``NodeBase.trace``): arrivals and stem events."""
        if what == "accepted":
            self.stored.setdefault(message_id.hex(), time.time())
        else:
            self.stem_events.append((message_id.hex(), what, detail, time.time()))

    # --- intentcast node ----------------------------------------------------------

    async def node_publish(self, node: Node, times: list[float], first: int) -> None:
        for i, at in enumerate(times):
            await trio.sleep(max(0.0, at - time.time()))
            t0 = time.time()
            try:
                signed = await node.post_intent(
                    category=BULK_CATEGORY, title=bulk_title(first + i), terms=TERMS,
                    attributes=BULK_ATTRIBUTES,
                )  # fmt: skip
            except Exception as exc:
                self.publish_errors.append(repr(exc))
                continue
            self.sent[signed.id.hex()] = t0
            self.post_s.append(time.time() - t0)

    async def post_phones(self, node: Node, times: list[float]) -> None:
        for at in times:
            await trio.sleep(max(0.0, at - time.time()))
            t0 = time.time()
            signed = await node.post_intent(category=PHONE_CATEGORY, title="Google Pixel 8, 128 GB",
                                            terms=TERMS, attributes=PHONE_ATTRIBUTES)  # fmt: skip
            self.sent[signed.id.hex()] = t0
            self.post_s.append(time.time() - t0)
            self.offer_log.setdefault(signed.id.hex(), [])

    async def watch(self, node: Node, events: trio.MemoryReceiveChannel[Any]) -> None:
        async for event in events:
            if event.kind is EventKind.INTENT_RECEIVED:
                self.recv.setdefault(event.subject.hex(), time.time())
            elif event.kind is EventKind.OFFER_RECEIVED:
                received = node.store.offers.get_received(event.subject)
                if received is None:
                    continue
                intent_id = received.offer.message.intent_id
                intent = node.store.intents.by_revision(intent_id)
                if intent is None:
                    continue
                ranking = node.offers_for(intent.signer)  # what the user would see now
                self.offer_log.setdefault(intent_id.hex(), []).append(
                    (time.time(), len(ranking.ranked), len(ranking.ranked) + len(ranking.rejected))
                )

    # --- one phase ------------------------------------------------------------------

    async def phase(self, start: dict[str, Any], lines: Lines) -> None:
        self.sent, self.recv, self.offer_log, self.publish_errors = {}, {}, {}, []
        self.post_s, self.inbound_s, self.stored, self.stem_events = [], [], {}, []
        self.inbound_cpu_s = []
        self.pushed = {}
        node: Node | None = None
        p2p: P2P
        async with AsyncExitStack() as stack:
            if start["mode"] == "raw":
                p2p = await stack.enter_async_context(open_p2p(on_message=self.raw_arrived))
                for topic in topics.ALL_TOPICS:  # what a relay node subscribes to
                    await p2p.subscribe(topic)
                self.time_push(p2p, raw=True)
            else:
                sync_mode = Synchronous(start.get("synchronous", "FULL"))
                store = Store.open(Path(start["dir"]) / "node.db", synchronous=sync_mode)
                stack.callback(store.close)
                vendor: dict[str, Any] = {}
                if start.get("catalog"):
                    path = Path(start["catalog"])
                    catalog = parse_catalog(path.read_text(), source=str(path))
                    catalog = replace(catalog, name=start.get("shop") or catalog.name)
                    vendor = {"vendor": CatalogVendor(catalog),
                              "vendor_keys": derive_vendor_keys(os.urandom(32))}  # fmt: skip
                config = NodeConfig(params=LOW_WORK, relay=True)
                if not start.get("stem", True):
                    config = replace(config, stem=None)
                node = await stack.enter_async_context(
                    open_node(store, customer_seed=os.urandom(32), config=config, **vendor)
                )
                p2p = node.p2p
                node.trace = self.traced
                self.time_inbound(p2p, cpu=start.get("inbound_cpu", False))
                self.time_push(p2p, raw=False)
                events = await stack.enter_async_context(node.events(100_000))
            nursery = await stack.enter_async_context(trio.open_nursery())
            stack.callback(nursery.cancel_scope.cancel)  # runs first on exit
            if node is not None:
                nursery.start_soon(self.watch, node, events)
            # As the daemon does once it is up, for raw hosts and nodes alike
            # (the phase's own objects are let go again when it ends).
            freeze_startup_objects()
            stack.callback(gc.unfreeze)
            self.reply({"addr": p2p.addrs()[0], "peer": p2p.peer_id})
            while True:
                cmd = await lines.next()
                if cmd is None:
                    self.eof = True
                    break
                op = cmd["cmd"]
                if op == "connect":
                    errors: list[str] = []

                    async def dial(addr: str, errors: list[str] = errors) -> None:
                        try:
                            await p2p.connect(addr) if node is None else await node.connect(addr)
                        except Exception as exc:
                            errors.append(f"{addr}: {exc}")

                    async with trio.open_nursery() as dials:
                        for addr in cmd["addrs"]:
                            dials.start_soon(dial, addr)
                    self.reply({"errors": errors})
                elif op == "mesh":
                    mesh = p2p.router.mesh.get(BULK_TOPIC, set())
                    self.reply({"mesh": len(mesh), "peers": len(p2p.connected_peers())})
                elif op == "publish":
                    if node is None:
                        nursery.start_soon(self.raw_publish, p2p, cmd["times"], cmd["size"])
                    else:
                        nursery.start_soon(self.node_publish, node, cmd["times"], cmd["first"])
                    self.reply({"ok": True})
                elif op == "phones":
                    assert node is not None
                    nursery.start_soon(self.post_phones, node, cmd["times"])
                    self.reply({"ok": True})
                elif op == "count":
                    made = node.store.offers.made() if node is not None else []
                    held = sum(v[-1][2] for v in self.offer_log.values() if v)
                    answered = len({m.intent.id for m in made})
                    arrived = self.recv if node is None else self.stored
                    self.reply({"arrived": list(arrived), "sent": list(self.sent),
                                "made": len(made), "answered": answered, "held": held})  # fmt: skip
                elif op == "report":
                    made_per_intent: dict[str, int] = {}
                    if node is not None:
                        for m in node.store.offers.made():
                            key = m.intent.id.hex()
                            made_per_intent[key] = made_per_intent.get(key, 0) + 1
                    self.reply({"sent": self.sent, "recv": self.recv, "stored": self.stored,
                                "offers": self.offer_log,
                                "post_s": self.post_s, "inbound_s": self.inbound_s,
                                "inbound_cpu_s": self.inbound_cpu_s,
                                "made": made_per_intent, "errors": self.publish_errors,
                                "stem": self.stem_events, "pushed": self.pushed,
                                "counters": node.counters if node is not None else {}})  # fmt: skip
                elif op == "stop":
                    break
                else:
                    self.reply({"error": f"unknown command {op!r}"})
        if not self.eof:
            self.reply({"stopped": True})


async def serve(out: TextIO) -> None:
    child = Child(out)
    lines = Lines(trio.lowlevel.FdStream(os.dup(0)))
    child.reply({"ready": True, "pid": os.getpid()})
    while True:
        cmd = await lines.next()
        if cmd is None or cmd["cmd"] == "exit":
            return
        if cmd["cmd"] == "start":
            await child.phase(cmd, lines)
            if child.eof:
                return
        else:
            child.reply({"error": f"no phase running for {cmd['cmd']!r}"})


def main() -> int:
    # Replies get their own copy of stdout; stray prints (and library noise)
    # go to stderr, so the reply stream stays clean JSON lines.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    try:
        trio.run(serve, out)
    except KeyboardInterrupt:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
