"""Real intentcast nodes on 127.0.0.1 for tests: stores in a temp dir,
catalog vendors from examples/catalogs, low proof of work."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import trio

from intentcast.matching import parse_catalog
from intentcast.node import Event, EventKind, Node, NodeConfig, open_node
from intentcast.node.p2p import open_p2p
from intentcast.peer.limits import PeerLimitConfig
from intentcast.peer.vendor import CatalogVendor
from intentcast.protocol import GOSSIP_KINDS, NetworkParams, Terms, derive_vendor_keys
from intentcast.store import Store

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "examples" / "catalogs"
LOW_WORK = NetworkParams(pow_bits={k: 4 for k in GOSSIP_KINDS})
#: Follow-ups and ratings leave at once here (their delays have their own
#: tests: test_privacy_signals, test_ratings).
CONFIG = NodeConfig(
    params=LOW_WORK,
    limits=PeerLimitConfig(max_rejected=5),
    follow_up=None,
    rating_delay=None,
)

PHONE_TERMS = Terms(
    max_price=60_000,
    currency="EUR",
    region="DE",
    customer_terms=("cc:no-tracking",),
    payment_modes=("prepay",),
)

#: An intent no catalog answers (nothing at 1 EUR): only the intent itself
#: travels, so a node's counters belong to it alone.
NOTHING: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Nokia 3310",
    "terms": Terms(
        max_price=100,
        currency="EUR",
        region="DE",
        customer_terms=(),
        payment_modes=("prepay",),
    ),
}


def catalog_vendor(name: str) -> CatalogVendor:
    path = CATALOGS / name
    return CatalogVendor(parse_catalog(path.read_text(), source=str(path)))


@dataclass
class Market:
    tmp: Path
    stack: AsyncExitStack
    config: NodeConfig = CONFIG
    nodes: dict[str, Node] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)

    def store(self, name: str) -> Store:
        if name not in self.stores:
            self.stores[name] = Store.open(self.tmp / f"{name}.db")
        return self.stores[name]

    async def customer(
        self, name: str = "customer", seed: bytes | None = None, **config: Any
    ) -> Node:
        node = await self.stack.enter_async_context(
            open_node(
                self.store(name),
                customer_seed=seed or os.urandom(32),
                config=replace(self.config, **config),
            )
        )
        self.nodes[name] = node
        return node

    async def vendor(
        self, catalog: str, name: str | None = None, *, wrap: Any = None, **config: Any
    ) -> Node:
        """A vendor selling ``catalog``; ``wrap``, if given, makes its
        handler from the catalog's (a test's own bot around it)."""
        name = name or catalog
        handler = catalog_vendor(catalog)
        node = await self.stack.enter_async_context(
            open_node(
                self.store(name),
                vendor_keys=derive_vendor_keys(os.urandom(32)),
                vendor=handler if wrap is None else wrap(handler),
                config=replace(self.config, **config),
            )
        )
        self.nodes[name] = node
        return node

    async def relay(self, name: str = "relay") -> Node:
        node = await self.stack.enter_async_context(
            open_node(self.store(name), config=replace(self.config, relay=True))
        )
        self.nodes[name] = node
        return node


@asynccontextmanager
async def market(tmp: Path) -> AsyncIterator[Market]:
    async with AsyncExitStack() as stack:
        m = Market(tmp, stack)
        yield m
    for s in m.stores.values():
        s.close()


def run(fn: Callable[[], Any]) -> None:
    """``trio.run`` that reports the first real failure, not the exception
    groups every nursery between it and the test wraps it in."""
    try:
        trio.run(fn)
    except BaseExceptionGroup as group:
        leaves = list(_leaves(group))
        first = next((e for e in leaves if isinstance(e, AssertionError)), leaves[0])
        raise first from group


def _leaves(exc: BaseException) -> Any:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc


async def customer_and_kiez(m: Market, **customer_config: Any) -> tuple[Node, Node]:
    """A customer and the Kiez Phones vendor, linked, the mesh formed."""
    customer = await m.customer(**customer_config)
    kiez = await m.vendor("kiez-phones.toml")
    await link(kiez, customer)
    await trio.sleep(1.2)  # one gossipsub heartbeat: the mesh forms
    return customer, kiez


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peer_id_for(seed: bytes) -> str:
    """The libp2p peer id a node started with ``peer_key_seed=seed`` gets."""
    from libp2p.crypto.ed25519 import create_new_key_pair
    from libp2p.peer.id import ID

    return str(ID.from_pubkey(create_new_key_pair(seed).public_key).to_base58())


async def link(a: Node, b: Node) -> None:
    """Connect ``a`` to ``b`` and give the gossip mesh a heartbeat to form."""
    await a.connect(b.addrs()[0])


async def wait_for(node: Node, predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true; fail the test with a clear message if not."""
    with trio.move_on_after(timeout):
        while not predicate():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"condition not met within {timeout} s; node counters: {node.counters}")


async def next_event(
    events: trio.MemoryReceiveChannel[Event], kind: EventKind, *, timeout: float = 10.0
) -> Event:
    with trio.move_on_after(timeout):
        async for event in events:
            if event.kind is kind:
                return event
    raise AssertionError(f"no {kind} event within {timeout} s")


@asynccontextmanager
async def stream_pair(protocol: str) -> AsyncIterator[tuple[Any, Any]]:
    """Two bare hosts and a stream of ``protocol`` from one to the other:
    the writer's end and the reader's, open until the block exits."""
    async with stream_pairs(protocol, 1) as pairs:
        yield pairs[0]


@asynccontextmanager
async def stream_pairs(protocol: str, count: int) -> AsyncIterator[list[tuple[Any, Any]]]:
    """:func:`stream_pair` with ``count`` streams on the one connection."""
    send, receive = trio.open_memory_channel[Any](count)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(open_p2p(on_message=lambda *_: True))
        b = await stack.enter_async_context(open_p2p(on_message=lambda *_: True))
        done = trio.Event()

        async def handler(stream: Any) -> None:
            await send.send(stream)
            await done.wait()  # keep the stream open while the test reads it

        b.set_stream_handler(protocol, handler)
        await a.connect(b.addrs()[0])
        pairs = []
        for _ in range(count):
            out = await a.new_stream(b.peer_id, protocol)
            await out.write(b"")  # the stream opens at the receiver
            with trio.fail_after(10):
                pairs.append((out, await receive.receive()))
        try:
            yield pairs
        finally:
            done.set()
