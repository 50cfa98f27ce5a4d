"""A whole market on 127.0.0.1, for ``intentcast demo``.

Five real nodes, each with its own libp2p host (Noise, yamux, gossipsub)
and its own SQLite store: one customer and four vendor bots that differ in
catalog, price and the customer terms they accept. The customer posts one
intentcast; the bots answer with sealed offers; the customer's node ranks
them, explains every rank and rejection, accepts the best, and the vendor
confirms. The story is returned as data (:class:`DemoReport`) and streamed
as :class:`DemoStep` lines; the CLI prints them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final, Generic, TypeVar

import trio

from intentcast.matching import Ranking, parse_catalog
from intentcast.node import EventKind, Node, open_node
from intentcast.peer.config import NodeConfig
from intentcast.peer.vendor import CatalogVendor, Decision, VendorHandler
from intentcast.protocol import (
    DEFAULT_PARAMS,
    Accept,
    Intent,
    Item,
    Offer,
    Signed,
    Terms,
    derive_vendor_keys,
)
from intentcast.protocol.fields import DAY
from intentcast.store import Deal, Store

S = TypeVar("S")

#: The three catalog vendors' catalogs (TOML, ``intentcast/demo_catalogs/``):
#: a Berlin phone shop, a refurbisher and a bike shop.
CATALOGS: Final = ("kiez", "second-life", "velo")


def demo_catalog(name: str) -> str:
    """The text of one of :data:`CATALOGS`."""
    return (resources.files("intentcast") / "demo_catalogs" / f"{name}.toml").read_text()


class FlashDeals:
    """A bot that answers every phone intent with its own deal, whatever
    the customer's terms say: the customer's node rejects it and says why."""

    name = "Flash Deals"
    categories: Sequence[str] = ("electronics",)

    async def on_intent(self, intent: Signed[Intent], *, now: int) -> Sequence[Offer]:
        return [
            Offer(
                intent_id=intent.id,
                vendor_key=bytes(32),  # the node puts in the bot's keys
                vendor_name=self.name,
                item=Item(
                    title="Google Pixel 8, 128 GB, import",
                    sku="fd-px8",
                    attributes={"brand": "google", "storage_gb": 128},
                ),
                quantity=intent.message.quantity,
                price=37_900 * intent.message.quantity,
                currency="EUR",
                deliver_by=now + 12 * DAY,
                ships_to=("*",),
                customer_terms=(),
                payment_modes=("prepay",),
                reply_key=bytes(32),
                created=now,
                valid_until=now + DAY,
            )
        ]

    async def on_accept(
        self, accept: Signed[Accept], offer: Signed[Offer], intent: Signed[Intent], *, now: int
    ) -> Decision:
        return Decision(True, "Paid? Then it ships.")


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One line of the story: seconds since start, who, what."""

    at: float
    actor: str
    text: str


@dataclass
class DemoReport:
    """What happened, for the CLI and for ``--json``."""

    nodes: dict[str, str] = field(default_factory=dict)
    intent: Signed[Intent] | None = None
    mint_ms: float = 0.0
    offers_seen: list[tuple[float, str]] = field(default_factory=list)
    ranking: Ranking | None = None
    accept: Signed[Accept] | None = None
    customer_deal: Deal | None = None
    vendor_deal: Deal | None = None
    seconds: float = 0.0


def sample_terms(now: int) -> Terms:
    """The demo customer's terms: at most 600 EUR, delivered to Germany
    within 5 days, no tracking, data deleted after the deal."""
    return Terms(
        max_price=60_000,
        currency="EUR",
        region="DE",
        deliver_by=now + 5 * DAY,
        customer_terms=("cc:no-tracking", "cc:delete-after-deal"),
        payment_modes=("prepay", "pay-on-delivery"),
    )


async def post_sample_intent(customer: Node) -> Signed[Intent]:
    """Post the demo customer's intent: a Pixel 8 on :func:`sample_terms`."""
    return await customer.post_intent(
        category=("electronics", "phones"),
        title="Google Pixel 8, 128 GB",
        description="New or refurbished, any colour.",
        attributes={"brand": "google", "model": "pixel 8", "storage_gb": 128},
        terms=sample_terms(customer.now()),
    )


DISCLOSE: Final = {"contact": "alice@example.org", "shipping": "Hauptstr. 1, 10115 Berlin"}


async def run_demo_market(
    workdir: Path,
    *,
    step: Callable[[DemoStep], None] = lambda _s: None,
    offer_wait: float = 4.0,
) -> DemoReport:
    """Run the demo market with stores under ``workdir``; report each step."""
    started = time.perf_counter()
    report = DemoReport()

    def say(actor: str, text: str) -> None:
        step(DemoStep(round(time.perf_counter() - started, 2), actor, text))

    async with AsyncExitStack() as stack:
        customer, vendors = await _open_market(stack, workdir, report)
        say(
            "market",
            f"{len(vendors) + 1} nodes on 127.0.0.1, each with its own keys and "
            f"database: a customer and vendor bots {', '.join(vendors)}",
        )
        await trio.sleep(1.2)  # one gossipsub heartbeat: the mesh forms
        intent = await _post_and_collect(customer, report, say, offer_wait)
        report.ranking = ranking = customer.offers_for(intent.signer)
        if not ranking.ranked:
            raise RuntimeError("no acceptable offer arrived; the demo market did not work")
        best = ranking.ranked[0].offer
        accept = await _accept(customer, best, say)
        report.accept = accept
        report.customer_deal = customer.store.deals.get(accept.id)
        vendor = vendors[best.message.vendor_name]
        report.vendor_deal = vendor.store.deals.get(accept.id)
    report.seconds = time.perf_counter() - started
    return report


async def _open_market(
    stack: AsyncExitStack, workdir: Path, report: DemoReport
) -> tuple[Node, dict[str, Node]]:
    """The customer's node and the vendors' (by name), each with its own
    store under ``workdir``; closed by ``stack``. Every vendor dials the
    customer and the vendors before it: a customer takes no part in the
    intents' gossip (docs/privacy.md, section 10), the vendors carry it
    among themselves, as they would through the network's relays."""
    config = NodeConfig(params=DEFAULT_PARAMS)

    def store(name: str) -> Store:
        return stack.enter_context(Store.open(workdir / f"{name}.db"))

    customer = await stack.enter_async_context(
        open_node(store("customer"), customer_seed=os.urandom(32), config=config)
    )
    report.nodes["customer"] = customer.peer_id
    vendors: dict[str, Node] = {}
    handlers = [
        CatalogVendor(parse_catalog(demo_catalog(name), source=f"<demo {name}>"))
        for name in CATALOGS
    ]
    bots: list[VendorHandler] = [*handlers, FlashDeals()]
    for handler in bots:
        node = await stack.enter_async_context(
            open_node(
                store(handler.name.lower().replace(" ", "-")),
                vendor_keys=derive_vendor_keys(os.urandom(32)),
                vendor=handler,
                config=config,
            )
        )
        await node.connect(customer.addrs()[0])
        for earlier in vendors.values():
            await node.connect(earlier.addrs()[0])
        vendors[handler.name] = node
        report.nodes[handler.name] = node.peer_id
    return customer, vendors


async def _post_and_collect(
    customer: Node, report: DemoReport, say: Callable[[str, str], None], offer_wait: float
) -> Signed[Intent]:
    """Post the demo intent and wait for the offers to it (``offer_wait`` s at most)."""
    async with customer.events() as events:
        t0 = time.perf_counter()
        intent = await post_sample_intent(customer)
        report.intent = intent
        report.mint_ms = (time.perf_counter() - t0) * 1000
        say(
            "customer",
            f"posts an intentcast {intent.id.hex()[:12]}: signed with a key "
            f"used for this intent only, proof of work in "
            f"{report.mint_ms:.0f} ms",
        )
        expected = 3  # two compliant shops answer, and Flash Deals
        with trio.move_on_after(offer_wait):
            async for event in events:
                if event.kind is EventKind.OFFER_RECEIVED:
                    report.offers_seen.append((time.perf_counter() - t0, event.detail))
                    say(
                        "customer",
                        f"sealed offer from {event.detail} opened "
                        f"({(time.perf_counter() - t0) * 1000:.0f} ms after "
                        f"posting)",
                    )
                    if len(report.offers_seen) >= expected:
                        break
    return intent


async def _accept(
    customer: Node, best: Signed[Offer], say: Callable[[str, str], None]
) -> Signed[Accept]:
    """Accept ``best`` and wait for the vendor's answer: the accept leaves
    after the node's follow-up delay (at most ``follow_up.max_seconds``,
    docs/privacy.md), then 10 s at most for the answer."""
    async with customer.events() as events:
        accept = await customer.accept(best.id, disclose=DISCLOSE)
        say(
            "customer",
            f"accepts {best.message.vendor_name}, disclosing only {', '.join(sorted(DISCLOSE))}",
        )
        held = customer.config.follow_up
        with trio.move_on_after(10 + (0.0 if held is None else held.max_seconds)):
            async for event in events:
                if event.kind in (EventKind.DEAL_CONFIRMED, EventKind.DEAL_DECLINED):
                    say(best.message.vendor_name, f"answers: {event.detail}")
                    break
    return accept


def run_demo(
    workdir: Path, *, step: Callable[[DemoStep], None] = lambda _s: None, offer_wait: float = 4.0
) -> DemoReport:
    """Run the demo market to completion (blocking; for the CLI)."""
    return trio.run(lambda: run_demo_market(workdir, step=step, offer_wait=offer_wait))


# --- the demo market in the browser (intentcast demo --open) -------------------

#: Serves one node's API and web app while the block runs (the daemon's
#: ``serve_api``, given by the caller: the demo does not import the daemon):
#: called with the node, its roles, its ``[profile]`` and a home directory
#: for its ``api.cookie``.
ServeNode = Callable[
    [Node, tuple[str, ...], Mapping[str, str], Path], AbstractAsyncContextManager[S]
]


@dataclass(frozen=True, slots=True)
class DemoApps(Generic[S]):
    """The demo market's web apps: the customer's and Kiez Phones' (each
    node's own API on its own port, as ``serve`` made them), the homes whose
    ``api.cookie`` the CLI reads (``--home``), and a :meth:`stop` callable
    from any thread."""

    customer: S
    vendor: S
    homes: dict[str, Path]
    stop: Callable[[], None]


async def serve_demo_market(
    workdir: Path,
    *,
    serve: ServeNode[S],
    on_ready: Callable[[DemoApps[S]], None],
    post_sample_after: float | None = None,
) -> None:
    """Run the demo market with the customer's and one vendor's web app
    until :attr:`DemoApps.stop` (or Ctrl-C). With ``post_sample_after``,
    the customer posts the demo intent that many seconds after ``on_ready``
    (the browser is open by then, and the offers arrive live); the rest,
    accepting included, is the user's."""
    async with AsyncExitStack() as stack:
        customer, vendors = await _open_market(stack, workdir, DemoReport())
        homes = {"customer": workdir / "customer", "Kiez Phones": workdir / "kiez-phones"}
        customer_app = await stack.enter_async_context(
            serve(customer, ("customer",), DISCLOSE, homes["customer"])
        )
        vendor_app = await stack.enter_async_context(
            serve(vendors["Kiez Phones"], ("vendor",), {}, homes["Kiez Phones"])
        )
        await trio.sleep(1.2)  # one gossipsub heartbeat: the mesh forms
        stopping = trio.Event()
        trio_token = trio.lowlevel.current_trio_token()

        def stop() -> None:
            with contextlib.suppress(trio.RunFinishedError):
                trio.from_thread.run_sync(stopping.set, trio_token=trio_token)

        on_ready(DemoApps(customer_app, vendor_app, homes, stop))
        if post_sample_after is not None:
            with trio.move_on_after(post_sample_after):
                await stopping.wait()
            if not stopping.is_set():
                await post_sample_intent(customer)
        await stopping.wait()


def run_demo_apps(
    workdir: Path,
    *,
    serve: ServeNode[S],
    on_ready: Callable[[DemoApps[S]], None],
    post_sample_after: float | None = None,
) -> None:
    """:func:`serve_demo_market`, blocking (for the CLI and the tests)."""
    trio.run(
        functools.partial(
            serve_demo_market,
            workdir,
            serve=serve,
            on_ready=on_ready,
            post_sample_after=post_sample_after,
        )
    )
