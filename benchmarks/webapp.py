"""``python -m benchmarks webapp [--json] [--intents N] [--offers-per-intent K]``:
the web app's pages in headless Chromium over a full store.

A customer node's store gets ``--intents`` own intents (1,000), each with
``--offers-per-intent`` received offers (10: 10,000 offers), and
``--deals`` confirmed deals (100, each confirm with its receipt, so each
has its rating form on the deals page). The node also sells (Kiez Phones'
catalog, accepts held for the owner): ``--offers-made`` offers made to
other customers' intents (10,000, five per intent), ``--to-answer``
accepts of them waiting for the owner (20) and as many confirmed. The
node runs with its API and web app (``intentcast.daemon.web.serve``),
Debian's Chromium (Selenium, the system chromedriver) signs in and
switches between the pages ``--rounds`` times.
Each figure is the time the app itself measures for a page: from the
route change to the first frame painted after the page is built (its API
calls, the JSON, the DOM), median and worst over the rounds:

- ``intents_ms``: my intents (a table of every intent with its offer count);
- ``offers_ms``: one intent with its ranked offers (score bars, the why)
  and the rejected ones;
- ``deals_ms``, ``node_ms``, ``post_ms``: deals, node and peers, the form;
- ``vendor_ms``: the vendor's page (accepts to answer, the newest 100
  offers made, deals, the catalog);
- ``thread_ms``: one deal's message thread (``THREAD`` messages) and its
  form; ``ratings_ms``: the vendor's own ratings page: ``--ratings``
  verified ratings (200), every other one with its reply, each with a
  reply form;
- ``first_load_ms``: a fresh load of the app (session, vocabulary, status
  and the intents page), from navigation start (the browser's own work on
  a new document included); ``first_load_app_ms``: the same from the
  moment the app's script starts.

- ``api_*_ms``: the API calls behind the pages alone (httpx, one
  kept-alive connection): what the node spends of a page's time.

Goal: every page under 200 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import trio

from benchmarks.harness import report
from intentcast.daemon.config import Settings, read_catalog
from intentcast.daemon.web.serve import Served, serve_api
from intentcast.node import open_node
from intentcast.node.relationships import open_relationship
from intentcast.peer.config import NodeConfig
from intentcast.peer.vendor import CatalogVendor
from intentcast.protocol import (
    DEFAULT_PARAMS,
    Accept,
    Confirm,
    Rating,
    RatingReply,
    Receipt,
    Signed,
    derive_intent_keys,
    sign,
)
from intentcast.protocol.relationship import DealMessage
from intentcast.store import Role, Store, Synchronous
from tests.store import store_samples as s

DAY = 86_400
KIEZ = Path(__file__).resolve().parents[1] / "examples" / "catalogs" / "kiez-phones.toml"
#: Messages on the thread of the first deal (the thread page).
THREAD = 50
#: Offers the vendor made per other customer's intent.
MADE_PER_INTENT = 5


def fill(store: Store, intents: int, per_intent: int, deals: int, now: int) -> None:
    """Own intents, each with ``per_intent`` offers; the first ``deals`` of
    them accepted and confirmed."""
    for n in range(intents):
        store.intents.reserve_keys(s.SEED)
        intent = s.intent(
            n, created=now - 60, expires=now + 7 * DAY, title=f"phone number {n}, 128 GB"
        )
        store.intents.add(intent, counter=n)
        offers = []
        for k in range(per_intent):
            offer = s.offer(intent, price=40_000 + 100 * k, until=now + DAY)
            store.offers.add_received(s.sealed(offer, intent, seed=k), offer)
            offers.append(offer)
        if n < deals:
            accept = s.accept(n, intent, offers[0])
            store.deals.record_accept(intent, offers[0], accept, role=Role.CUSTOMER)
            confirm = _confirm_with_receipt(accept)
            store.deals.record_reply(confirm)
            open_relationship(
                store, role=Role.CUSTOMER, intent=intent, offer=offers[0], accept=accept,
                confirm=confirm,
            )  # fmt: skip
            if n == 0:  # the thread page's deal: a long exchange
                for seq in range(THREAD):
                    note = DealMessage(
                        deal=accept.id, seq=seq, created=now - THREAD + seq, type="status",
                        text=f"message {seq}: where is my order?",
                    )  # fmt: skip
                    store.relationships.add_sent(accept.id, sign(note, s.VENDOR.signing))


def _confirm_with_receipt(a: Signed[Accept]) -> Signed[Confirm]:
    """The vendor confirms accept ``a`` with the receipt a real vendor's
    node sends: the deal can be rated, so the deals page shows its form."""
    m = a.message
    receipt = Receipt(deal=a.id, intent_id=m.intent_id, rater=a.signer, created=m.created + 60)
    c = Confirm(
        accept_id=a.id, offer_id=m.offer_id, intent_id=m.intent_id, created=m.created + 60,
        note="ships tomorrow", receipt=sign(receipt, s.VENDOR.signing, params=s.PARAMS).raw,
    )  # fmt: skip
    return sign(c, s.VENDOR.signing, params=s.PARAMS)


def fill_vendor(store: Store, first: int, made: int, to_answer: int, now: int) -> None:
    """Offers made to other customers' intents (numbered from ``first``),
    ``MADE_PER_INTENT`` each; the first ``to_answer`` of those intents
    accepted and waiting for the owner, the next ``to_answer`` confirmed."""
    for j in range((made + MADE_PER_INTENT - 1) // MADE_PER_INTENT):
        n = first + j
        intent = s.intent(n, created=now - 60, expires=now + 7 * DAY, title=f"phone {j}")
        offers = []
        for k in range(min(MADE_PER_INTENT, made - j * MADE_PER_INTENT)):
            offer = s.offer(intent, price=40_000 + 100 * k, until=now + DAY)
            store.offers.add_made(intent, offer, s.sealed(offer, intent, seed=k))
            offers.append(offer)
        if j < 2 * to_answer:
            accept = s.accept(n, intent, offers[0])
            store.deals.record_accept(intent, offers[0], accept, role=Role.VENDOR)
            if j >= to_answer:
                store.deals.record_reply(s.confirm(accept))


def fill_ratings(store: Store, first: int, count: int, now: int) -> None:
    """``count`` verified ratings of the node's own vendor, by other
    customers' intent keys (numbered from ``first``), every other one with
    the vendor's reply: the vendor's Ratings page."""
    messages: list[Signed[Any]] = []
    for j in range(count):
        keys = derive_intent_keys(s.SEED, first + j)
        created = now - DAY + j
        receipt = Receipt(
            deal=bytes([j % 256, j // 256]) * 16, intent_id=bytes(32),
            rater=keys.intent_key, created=created,
        )  # fmt: skip
        rating = Rating(
            receipt=sign(receipt, s.VENDOR.signing, params=s.PARAMS).raw,
            stars=100 * (1 + j % 5), ontime=500, text=f"rating {j}: arrived, as described",
            created=created + 60, expires=created + 365 * DAY,
        )  # fmt: skip
        messages.append(sign(rating, keys.signing, params=s.PARAMS))
        if j % 2 == 0:
            reply = RatingReply(
                deal=receipt.deal, vendor_key=s.VENDOR.vendor_key, text=f"thank you, {j}",
                created=created + 120, expires=created + 365 * DAY,
            )  # fmt: skip
            messages.append(sign(reply, s.VENDOR.signing, params=s.PARAMS))
    store.gossip.ingest_many(messages)


def _serve(path: Path, on_ready: Callable[[Served, trio.Event, Any], None]) -> None:
    async def main() -> None:
        with Store.open(path / "node.db") as store:
            config = NodeConfig(
                listen=("/ip4/127.0.0.1/tcp/0",), params=DEFAULT_PARAMS, hold_accepts=True
            )
            settings = Settings(roles=("customer", "vendor"), catalog=KIEZ, confirm="manual")
            async with (
                open_node(
                    store,
                    customer_seed=s.SEED,
                    vendor_keys=s.VENDOR,
                    vendor=CatalogVendor(read_catalog(KIEZ)),
                    config=config,
                ) as node,
                serve_api(node, settings=settings, home=path / "home") as served,
            ):
                done = trio.Event()
                on_ready(served, done, trio.lowlevel.current_trio_token())
                await done.wait()

    trio.run(main)


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        raise SystemExit("needs Debian's chromium and chromium-driver (apt-get install ...)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def _wait(driver: Any, script: str, *args: Any) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.005)
    shown = driver.execute_script("return [location.hash, {...document.body.dataset}]")
    raise RuntimeError(f"the page did not render: {script} {args}; page: {shown}")


#: The API calls behind the pages, timed alone (what the node spends).
API_CALLS = {
    "api_intents": "/v1/intents?limit=100",
    "api_offers": "/v1/intents/{key}/offers",
    "api_deals": "/v1/deals",
    "api_status": "/v1/status",
    "api_vocab": "/v1/vocab",
    "api_vendor_offers": "/v1/vendor/offers?limit=100",
    "api_vendor_deals": "/v1/deals?role=vendor",
    "api_vendor_catalog": "/v1/vendor/catalog",
    "api_thread": "/v1/relationships/{deal}",
    "api_ratings": "/v1/ratings",
}


def _api_times(served: Served, key: str, deal: str, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per API call behind the pages, over one kept-alive
    connection (the first of each is a warm-up, dropped with the rest)."""
    times: dict[str, list[float]] = {name: [] for name in API_CALLS}
    headers = {"Authorization": f"Bearer {served.token}"}
    with httpx.Client(base_url=served.url, headers=headers) as http:
        for _ in range(rounds + 1):
            for name, path in API_CALLS.items():
                t0 = time.perf_counter()
                http.get(path.format(key=key, deal=deal)).raise_for_status()
                times[name].append((time.perf_counter() - t0) * 1000)
    return times


def measure(served: Served, key: str, rounds: int) -> dict[str, float]:
    auth = {"Authorization": f"Bearer {served.token}"}
    deals = httpx.get(f"{served.url}/v1/deals?role=customer", headers=auth).json()["deals"]
    # The thread page's deal: the first, with its messages.
    deal = min(deals, key=lambda d: int(d["intent"]["title"].split()[2].rstrip(",")))["id"]
    driver = _browser()
    try:
        driver.get(served.login_url())
        _wait(driver, "return document.body.dataset.ready")
        # Each page differs from the one before (the app starts on #/intents).
        pages = {
            "post": "#/post",
            "intents": "#/intents",
            "offers": f"#/intent/{key}",
            "deals": "#/deals",
            "node": "#/node",
            "vendor": "#/vendor",
            "thread": f"#/deal/{deal}",
            "ratings": "#/ratings",
        }
        samples: dict[str, list[float]] = {name: [] for name in pages}
        samples["first_load"] = []
        samples["first_load_app"] = []
        for _ in range(rounds + 1):  # the first round warms up
            for name, page in pages.items():
                before = int(driver.execute_script("return document.body.dataset.renders || 0"))
                driver.execute_script("location.hash = arguments[0]", page)
                _wait(
                    driver,
                    "return Number(document.body.dataset.renders) > arguments[0]"
                    " && document.body.dataset.rendered === arguments[1]",
                    before,
                    page,
                )
                samples[name].append(float(driver.execute_script(
                    "return document.body.dataset.renderMs"
                )))  # fmt: skip
            # A new query string: a new document (a hash alone would not reload).
            driver.get(f"{served.url}/app/?load={len(samples['first_load'])}#/intents")
            samples["first_load"].append(
                float(_wait(driver, "return document.body.dataset.readyMs"))
            )
            samples["first_load_app"].append(
                float(driver.execute_script("return document.body.dataset.startMs"))
            )
    finally:
        driver.quit()
    out: dict[str, float] = {}
    samples.update(_api_times(served, key, deal, rounds))
    for name, values in samples.items():
        kept = values[1:]  # the warm-up round is dropped
        out[f"{name}_ms"] = round(statistics.median(kept), 1)
        out[f"{name}_max_ms"] = round(max(kept), 1)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks webapp")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--intents", type=int, default=1_000)
    parser.add_argument("--offers-per-intent", type=int, default=10)
    parser.add_argument("--deals", type=int, default=100)
    parser.add_argument("--offers-made", type=int, default=10_000)
    parser.add_argument("--to-answer", type=int, default=20)
    parser.add_argument("--ratings", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-webapp-") as tmp:
        path = Path(tmp)
        t0 = time.perf_counter()
        # Filled with synchronous=NORMAL (the figures are about reading).
        with Store.open(path / "node.db", synchronous=Synchronous.NORMAL) as store:
            now = int(time.time())
            fill(store, args.intents, args.offers_per_intent, args.deals, now)
            fill_vendor(store, args.intents, args.offers_made, args.to_answer, now)
            fill_ratings(store, args.intents, args.ratings, now)
        fill_s = time.perf_counter() - t0
        ready: list[tuple[Served, trio.Event, Any]] = []
        started = threading.Event()

        def on_ready(served: Served, done: trio.Event, token: Any) -> None:
            ready.append((served, done, token))
            started.set()

        thread = threading.Thread(target=_serve, args=(path, on_ready), daemon=True)
        thread.start()
        if not started.wait(120):
            raise RuntimeError("the node did not start")
        served, done, token = ready[0]
        try:
            key = s.intent(args.intents - 1).signer.hex()
            figures = measure(served, key, args.rounds)
        finally:
            trio.from_thread.run_sync(done.set, trio_token=token)
            thread.join(30)
    report(
        "webapp",
        {
            "intents": args.intents,
            "offers": args.intents * args.offers_per_intent,
            "deals": args.deals,
            "offers_made": args.offers_made,
            "to_answer": args.to_answer,
            "ratings": args.ratings,
            "rounds": args.rounds,
            "fill_s": round(fill_s, 1),
            **figures,
        },
        as_json=args.json,
    )
    return 0
