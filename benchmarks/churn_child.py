"""One node of ``python -m benchmarks churn``, in its own OS process.

Run as ``python -m benchmarks.churn_child CONFIG_JSON`` by the benchmark,
never by hand; the benchmark kills it with SIGKILL and starts it again on
the same store, port and peer key. CONFIG_JSON names ``role`` (``vendor``,
``relay`` or ``customer``), ``store``, ``port``, ``seed`` (hex: the peer
key and the customer or vendor seed derive from it), ``bootstrap``
(neighbours' multiaddrs, redialled with backoff), and ``embargo``
(``[base, mean extra]`` seconds of the stem embargo timer, or null for the
protocol's defaults).

It writes JSON lines to stdout as things happen, each with ``time.time()``:

- ``{"ev": "ready", "addr", "have": [ids], "own": [ids]}`` once the node
  runs: the intents its store holds (others', and its own) at start;
- ``{"ev": "recv", "id", "t"}`` (a vendor): an intent arrived, stored;
- ``{"ev": "posted", "id", "t0", "t1"}`` (a customer): ``post_intent`` was
  called at ``t0`` and returned at ``t1``;
- ``{"ev": "mesh", "t", "peers", "mesh"}``: its connected peers and its
  gossip mesh for the intent topic, whenever either changes;
- ``{"ev": "status", "peers", "have", "own"}``: answer to ``{"cmd": "status"}``.

Commands on stdin: ``{"cmd": "post", "interval": S}`` (a customer posts a
phone intent every S seconds, with jitter; S 0 stops), ``{"cmd":
"status"}``. It exits when stdin closes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Final, TextIO

import trio

from benchmarks.network_child import LOW_WORK, PHONE_ATTRIBUTES, PHONE_CATEGORY, TERMS, Lines
from intentcast.daemon.process import freeze_startup_objects
from intentcast.matching import parse_catalog
from intentcast.node import CatalogVendor, Event, EventKind, Node, NodeConfig, open_node
from intentcast.peer import topics
from intentcast.protocol import derive_vendor_keys
from intentcast.protocol.stem import DEFAULT_STEM_PARAMS, StemParams
from intentcast.store import Store

ROOT: Final = Path(__file__).resolve().parents[1]
CATALOG: Final = ROOT / "examples" / "catalogs" / "kiez-phones.toml"


def derived(seed: bytes, what: bytes) -> bytes:
    """A 32-byte seed for ``what`` (peer key, customer, vendor) from the node's seed."""
    return hashlib.blake2b(seed, key=b"churn/" + what, digest_size=32).digest()


class Child:
    def __init__(self, out: TextIO, config: dict[str, Any]) -> None:
        self.out = out
        self.config = config
        self.interval = 0.0
        self.changed = trio.Event()
        self.posted = 0

    def emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj) + "\n")
        self.out.flush()

    def holdings(self, node: Node) -> dict[str, list[str]]:
        now = node.now()
        return {
            "have": [i.id.hex() for i in node.store.gossip.live_intents(now=now)],
            "own": [o.intent.id.hex() for o in node.store.intents.list()],
        }

    async def watch(self, events: trio.MemoryReceiveChannel[Event]) -> None:
        async for event in events:
            if event.kind is EventKind.INTENT_RECEIVED:
                assert isinstance(event.subject, bytes)
                self.emit({"ev": "recv", "id": event.subject.hex(), "t": time.time()})

    async def post(self, node: Node) -> None:
        rng = random.Random()
        while True:
            if self.interval <= 0:
                await self.changed.wait()
                continue
            with trio.move_on_after(self.interval * rng.uniform(0.5, 1.5)) as waited:
                await self.changed.wait()
            if not waited.cancelled_caught:
                continue  # the interval changed: start over
            t0 = time.time()
            self.posted += 1
            signed = await node.post_intent(
                category=PHONE_CATEGORY, title=f"Google Pixel 8 no. {self.posted}",
                terms=TERMS, attributes=PHONE_ATTRIBUTES,
            )  # fmt: skip
            self.emit({"ev": "posted", "id": signed.id.hex(), "t0": t0, "t1": time.time()})

    async def watch_mesh(self, node: Node) -> None:
        """Report the node's peers and its gossip mesh for the intent topic
        whenever they change (to see, afterwards, who could forward what)."""
        topic = topics.intents(PHONE_CATEGORY[0])
        last: tuple[list[str], list[str]] | None = None
        while True:
            now = (sorted(node.p2p.connected_peers()),
                   sorted(p.to_base58() for p in node.p2p.router.mesh.get(topic, ())))  # fmt: skip
            if now != last:
                self.emit({"ev": "mesh", "t": time.time(), "peers": now[0], "mesh": now[1]})
                last = now
            await trio.sleep(0.2)

    async def serve(self) -> None:
        c = self.config
        seed = bytes.fromhex(c["seed"])
        role = c["role"]
        stem = DEFAULT_STEM_PARAMS
        if c.get("embargo") is not None:
            base, mean = c["embargo"]
            stem = StemParams(embargo_base_seconds=base, embargo_mean_extra_seconds=mean)
        config = NodeConfig(
            listen=[f"/ip4/127.0.0.1/tcp/{c['port']}"], bootstrap=c["bootstrap"],
            relay=role == "relay", params=LOW_WORK, peer_key_seed=derived(seed, b"peer"),
            stem=stem,
        )  # fmt: skip
        extra: dict[str, Any] = {}
        if role == "vendor":
            catalog = parse_catalog(CATALOG.read_text(), source=str(CATALOG))
            extra = {"vendor": CatalogVendor(catalog),
                     "vendor_keys": derive_vendor_keys(derived(seed, b"vendor"))}  # fmt: skip
        elif role == "customer":
            extra = {"customer_seed": derived(seed, b"customer")}
        async with AsyncExitStack() as stack:
            store = stack.enter_context(Store.open(c["store"]))
            node = await stack.enter_async_context(open_node(store, config=config, **extra))
            nursery = await stack.enter_async_context(trio.open_nursery())
            stack.callback(nursery.cancel_scope.cancel)  # runs first on exit
            if role == "vendor":
                # Listening before the holdings are read: an intent stored
                # after that read is reported by its event, none falls between.
                events = await stack.enter_async_context(node.events(100_000))
                nursery.start_soon(self.watch, events)
            if role == "customer":
                nursery.start_soon(self.post, node)
            nursery.start_soon(self.watch_mesh, node)
            freeze_startup_objects()  # as the daemon does once it is up
            self.emit({"ev": "ready", "t": time.time(), "addr": node.addrs()[0],
                       **self.holdings(node)})  # fmt: skip
            await self.commands(node)

    async def commands(self, node: Node) -> None:
        commands = Lines(trio.lowlevel.FdStream(os.dup(0)))
        while (command := await commands.next()) is not None:  # None: the parent is gone
            if command["cmd"] == "post":
                self.interval = float(command["interval"])
                self.changed.set()
                self.changed = trio.Event()
            elif command["cmd"] == "status":
                peers = len(node.p2p.connected_peers())
                self.emit({"ev": "status", "peers": peers, **self.holdings(node)})
            else:
                self.emit({"ev": "error", "error": f"unknown command {command['cmd']!r}"})


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m benchmarks.churn_child CONFIG_JSON", file=sys.stderr)
        return 2
    # Events get their own copy of stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    try:
        trio.run(Child(out, json.loads(argv[0])).serve)
    except KeyboardInterrupt:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
