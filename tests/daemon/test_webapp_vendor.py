"""A vendor without a bot answers accepts by hand in its web app.

Two real nodes on 127.0.0.1 (libp2p, their own SQLite stores): a customer
and Kiez Phones, a catalog vendor that holds every accept for its owner
(``[vendor] confirm = "manual"``, ``NodeConfig.hold_accepts``). The customer
accepts two offers through its API; the shop's owner sees both waiting in
the browser (headless Chromium, as in ``test_webapp.py``), confirms one and
declines the other, and the customer's node receives each answer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from intentcast.daemon.web.serve import Served, serve_with
from intentcast.demo import DISCLOSE
from intentcast.matching import parse_catalog
from intentcast.node import open_node
from intentcast.peer.config import NodeConfig
from intentcast.peer.vendor import CatalogVendor
from intentcast.protocol import derive_vendor_keys
from intentcast.store import Store

from .test_webapp import (
    CHROMEDRIVER,
    CHROMIUM,
    NETWORK_PATIENCE,
    PATIENCE,
    START_UP_SYNCS,
    browser,  # noqa: F401  (the module's browser fixture)
    click,
    error_beside,
    fill,
    shot,
    sign_in,
    text_of,
    texts,
    wait_for,
)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

KIEZ = Path(__file__).resolve().parents[2] / "examples" / "catalogs" / "kiez-phones.toml"
#: The accept's and the rating's privacy delays (docs/privacy.md) have their
#: own tests; here they would only make the test wait (a rating leaves at once).
CONFIG = NodeConfig(follow_up=None, rating_delay=None)

pytestmark = pytest.mark.skipif(
    CHROMEDRIVER is None or CHROMIUM is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
    "chromium-driver; .ci/run installs them)",
)


@dataclass(frozen=True)
class Shop:
    customer: Served
    vendor: Served
    #: time.monotonic() when the nodes had connected.
    ready_at: float


async def _serve_shop(workdir: Path, on_ready: Callable[[Shop, trio.Event], None]) -> None:
    async with AsyncExitStack() as stack:
        customer = await stack.enter_async_context(
            open_node(
                stack.enter_context(Store.open(workdir / "customer.db")),
                customer_seed=os.urandom(32),
                config=CONFIG,
            )
        )
        kiez = await stack.enter_async_context(
            open_node(
                stack.enter_context(Store.open(workdir / "kiez.db")),
                vendor_keys=derive_vendor_keys(os.urandom(32)),
                vendor=CatalogVendor(parse_catalog(KIEZ.read_text(), source=str(KIEZ))),
                config=replace(CONFIG, hold_accepts=True),
            )
        )
        await kiez.connect(customer.addrs()[0])
        customer_app = await stack.enter_async_context(
            serve_with(customer, ("customer",), DISCLOSE, workdir / "customer")
        )
        vendor_app = await stack.enter_async_context(
            serve_with(kiez, ("vendor",), {}, workdir / "kiez")
        )
        await trio.sleep(1.2)  # one gossipsub heartbeat: the mesh forms
        stopping = trio.Event()
        on_ready(Shop(customer_app, vendor_app, time.monotonic()), stopping)
        await stopping.wait()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    ready: list[tuple[Shop, trio.Event, trio.lowlevel.TrioToken]] = []
    failed: list[BaseException] = []
    started = threading.Event()

    def on_ready(s: Shop, stopping: trio.Event) -> None:
        ready.append((s, stopping, trio.lowlevel.current_trio_token()))
        started.set()

    def target() -> None:
        try:
            trio.run(_serve_shop, tmp_path_factory.mktemp("shop"), on_ready)
        except BaseException as exc:
            failed.append(exc)
            started.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert started.wait(PATIENCE * 2), "the market did not start"
    if failed:
        raise failed[0]
    s, stopping, token = ready[0]
    try:
        yield s
    finally:
        trio.from_thread.run_sync(stopping.set, trio_token=token)
        thread.join(PATIENCE)
        assert not thread.is_alive(), "the market did not stop"
        assert not failed, failed


def token(served: Served) -> dict[str, str]:
    return {"Authorization": f"Bearer {served.token}"}


def eventually(check: Callable[[], Any], what: str, patience: float = NETWORK_PATIENCE) -> Any:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting: {what}")


def post(shop: Shop, title: str, *pay: str) -> tuple[str, list[Any]]:
    """The customer posts a phone intent (paying in the ``pay`` modes, if
    given); returns its key and the ranked offers once there are some."""
    c = shop.customer
    terms: dict[str, Any] = {"max_price": "600", "currency": "EUR", "region": "DE"}
    if pay:
        terms["payment_modes"] = list(pay)
    draft = {
        "category": "electronics/phones",
        "title": title,
        "attributes": {"brand": "google"},
        "terms": terms,
    }
    posted = httpx.post(f"{c.url}/v1/intents", json=draft, headers=token(c), timeout=PATIENCE)
    assert posted.status_code == 201, posted.text
    key = posted.json()["intent"]["key"]

    def ranked() -> list[Any]:
        answer = httpx.get(f"{c.url}/v1/intents/{key}/offers", headers=token(c)).json()
        return list(answer["ranked"])

    return key, eventually(ranked, f"an offer to {title!r}")


def post_and_accept(shop: Shop, title: str) -> tuple[str, str]:
    """The customer posts a phone intent and accepts the best offer,
    telling the shop only its contact; returns (intent key, deal id)."""
    c = shop.customer
    key, ranked = post(shop, title)
    best = ranked[0]["offer"]
    accepted = httpx.post(
        f"{c.url}/v1/offers/{best['id']}/accept",
        json={"disclose": ["contact"]},
        headers=token(c),
        timeout=PATIENCE,
    )
    assert accepted.status_code == 200, accepted.text
    return key, accepted.json()["deal"]["id"]


def accept_naming_a_price(shop: Shop, browser: WebDriver, key: str, ranked: list[Any]) -> str:  # noqa: F811
    """Accept the offer that takes name-your-price in the customer's app,
    telling only the contact: a price below the floor is refused beside the
    field, 430 goes through; returns the deal id."""
    from selenium.webdriver.support.ui import Select

    c = shop.customer
    [offer] = [r["offer"] for r in ranked if "name-your-price" in r["offer"]["payment_modes"]]
    assert offer["price_floor_text"] == "420.00 EUR"
    idp = offer["id"][:12]
    sign_in(browser, c.login_url())
    browser.get(f"{c.url}/app/#/intent/{key}")
    click(browser, f"[data-offer='{offer['id']}'] button.accept", "accept the haggling offer")
    form = wait_for(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".accept-form"), "the accept form"
    )[0]
    for box in form.find_elements(By.CSS_SELECTOR, "input[type=checkbox]"):
        if (box.get_attribute("value") == "contact") != box.is_selected():
            box.click()
    Select(browser.find_element(By.ID, f"mode-{idp}")).select_by_value("name-your-price")
    assert unlabelled(browser) == []  # the offers' bars, the accept form, withdraw
    assert "Floor: 420.00 EUR" in text_of(browser, f"hint-price-{idp}")
    fill(browser, f"price-{idp}", "400")
    form.find_element(By.CSS_SELECTOR, "button.confirm-accept").click()
    message = wait_for(browser, lambda d: error_beside(d, f"price-{idp}"), "the price's message")
    assert "420.00 EUR (the floor)" in message
    assert browser.switch_to.active_element.get_attribute("id") == f"price-{idp}"
    fill(browser, f"price-{idp}", "430")
    form.find_element(By.CSS_SELECTOR, "button.confirm-accept").click()
    wait_for(browser, lambda d: d.current_url.endswith("#/deals"), "the deals page")
    deals = httpx.get(f"{c.url}/v1/deals", headers=token(c)).json()["deals"]
    [deal] = [d for d in deals if d["intent"]["key"] == key]
    assert (deal["price_text"], deal["payment_mode"]) == ("430.00 EUR", "name-your-price")
    assert deal["disclosed"] == {"contact": "alice@example.org"}
    return str(deal["id"])


def unlabelled(browser: WebDriver) -> list[str]:  # noqa: F811
    """The page's controls that have no label."""
    found = browser.execute_script(
        "return [...document.querySelectorAll('#view input, #view select, #view textarea,"
        " #view meter')].filter(e => !(e.labels && e.labels.length)"
        " && !e.getAttribute('aria-label')).map(e => e.id || e.name || e.tagName)"
    )
    return [str(x) for x in found]


def customer_deal(shop: Shop, deal: str) -> dict[str, Any]:
    c = shop.customer
    answer: dict[str, Any] = httpx.get(f"{c.url}/v1/deals/{deal}", headers=token(c)).json()
    return dict(answer["deal"])


def test_the_owner_confirms_and_declines_accepts_in_the_browser(
    shop: Shop,
    browser: WebDriver,  # noqa: F811
) -> None:
    time.sleep(max(0.0, shop.ready_at + START_UP_SYNCS - time.monotonic()))
    first_key, first = post_and_accept(shop, "Google Pixel 8, 128 GB")
    # The second the customer accepts in its app, naming its price.
    second_key, ranked = post(shop, "Google Pixel 8, any colour", "prepay", "name-your-price")
    second = accept_naming_a_price(shop, browser, second_key, ranked)
    v = shop.vendor

    # The shop holds both accepts: nothing went back to the customer.
    def held() -> bool:
        deals = httpx.get(f"{v.url}/v1/deals", headers=token(v)).json()["deals"]
        return {d["id"] for d in deals if d["to_answer"]} == {first, second}

    eventually(held, "both accepts reach the shop")
    status = httpx.get(f"{v.url}/v1/status", headers=token(v)).json()
    assert status["vendor"]["confirm"] == "manual" and status["vendor"]["to_answer"] == 2
    assert customer_deal(shop, first)["reply"] is None

    sign_in(browser, v.login_url())
    browser.get(f"{v.url}/app/#/deals")
    note = wait_for(browser, lambda d: texts(d, "#deals .deal .notice"), "the deals page")
    assert all("Waits for your answer" in n for n in note)
    browser.get(f"{v.url}/app/#/vendor")
    panels = wait_for(
        browser,
        lambda d: (p := texts(d, "#to-answer .to-answer")) and len(p) == 2 and p,
        "two accepts wait for the owner",
    )
    assert "Waiting for your answer (2)" in text_of(browser, "view")
    assert text_of(browser, "to-answer-count") == "2 to answer"  # in the nav
    assert "You answer every accept yourself" in text_of(browser, "confirm-mode")
    for panel in panels:
        assert "contact: alice@example.org" in panel  # what the customer told the shop
        assert "shipping" not in panel  # and only that
        assert "in stock (catalog)" in panel
        assert "Answer by " in panel and "counts it as unanswered, against you" in panel
    assert "430.00 EUR · name-your-price" in panels[1]
    assert unlabelled(browser) == []
    shot(browser, "webapp-vendor-confirm.png")
    browser.set_window_size(390, 844)  # a phone
    try:
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, "the vendor page scrolls sideways at phone width"
    finally:
        browser.set_window_size(1280, 1000)

    def answer(deal: str, text: str, button: str) -> None:
        """Write the note and press the button (again, if a live redraw of
        the page took the panel away meanwhile: the note typed is kept)."""
        panel = f"#to-answer [data-deal='{deal}']"
        fill(browser, f"answer-text-{deal[:12]}", text)
        click(browser, f"{panel} {button}", f"{button} of deal {deal[:12]}")

    answer(first, "Ships tomorrow from Kreuzberg.", "button.confirm-deal")
    confirmed = eventually(
        lambda: (d := customer_deal(shop, first))["state"] == "confirmed" and d,
        "the customer's node gets the confirm",
    )
    assert confirmed["reply"]["text"] == "Ships tomorrow from Kreuzberg."
    # The keyboard's place stays in the page (the list's heading), not lost to <body>.
    assert browser.execute_script("return !!document.activeElement.closest('#view')")
    answer(second, "Sorry, that one just sold.", "button.decline-deal")
    declined = eventually(
        lambda: (d := customer_deal(shop, second))["state"] == "declined" and d,
        "the customer's node gets the decline",
    )
    assert declined["reply"]["text"] == "Sorry, that one just sold."
    c = shop.customer
    states = {
        k: httpx.get(f"{c.url}/v1/intents/{k}", headers=token(c)).json()["intent"]["state"]
        for k in (first_key, second_key)
    }
    assert states == {first_key: "closed", second_key: "open"}  # back on the market

    # The page shows both answered, none waiting.
    def answered(d: WebDriver) -> list[str] | None:
        shown = texts(d, "#vendor-deals .vendor-deal")
        done = [t for t in shown if "confirmed" in t or "declined" in t]
        return shown if len(done) == 2 and not texts(d, "#to-answer .to-answer") else None

    shown = wait_for(browser, answered, "both deals answered on the page")
    assert any("Ships tomorrow" in t for t in shown) and any("just sold" in t for t in shown)
    assert "No accept waits for you." in text_of(browser, "view")
    wait_for(
        browser,
        lambda d: not d.find_element(By.ID, "to-answer-count").is_displayed(),
        "the navigation's count goes when none waits",
    )


def test_answering_an_accept_is_refused_when_it_does_not_wait(shop: Shop) -> None:
    v, c = shop.vendor, shop.customer
    deals = httpx.get(f"{v.url}/v1/deals", headers=token(v)).json()["deals"]
    answered = next((d for d in deals if d["reply"] is not None), None)
    if answered is None:  # run alone: answer one first
        _, deal = post_and_accept(shop, "Google Pixel 8")
        eventually(
            lambda: httpx.get(f"{v.url}/v1/deals/{deal}", headers=token(v)).json()["deal"][
                "to_answer"
            ],
            "the accept reaches the shop",
        )
        r = httpx.post(f"{v.url}/v1/deals/{deal}/confirm", json={}, headers=token(v))
        assert r.status_code == 200 and r.json()["deal"]["state"] == "confirmed", r.text
        answered = r.json()["deal"]
    assert answered is not None
    cases = [
        # answered already: one answer per accept
        (v, f"/v1/deals/{answered['id']}/decline", {"text": "no"}, 409, "refused"),
        (v, "/v1/deals/00000000/confirm", {}, 404, "not-found"),
        (v, f"/v1/deals/{answered['id']}/confirm", {"note": "x"}, 400, "invalid"),
        (v, f"/v1/deals/{answered['id']}/confirm", {"text": "x" * 2000}, 400, "invalid"),
        # the customer's node sells nothing
        (c, f"/v1/deals/{answered['id']}/confirm", {}, 409, "refused"),
    ]
    for served, path, body, status, code in cases:
        r = httpx.post(f"{served.url}{path}", json=body, headers=token(served))
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
    # The vendor's deals alone (the Vendor page asks for them so).
    theirs = httpx.get(f"{v.url}/v1/deals?role=vendor", headers=token(v)).json()["deals"]
    assert theirs and {d["role"] for d in theirs} == {"vendor"}
    assert httpx.get(f"{c.url}/v1/deals?role=vendor", headers=token(c)).json()["deals"] == []
    r = httpx.get(f"{v.url}/v1/deals?role=shop", headers=token(v))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid")
    # Without a session or the token, nothing is answered.
    r = httpx.post(f"{v.url}/v1/deals/{answered['id']}/decline", json={})
    assert r.status_code == 401


def confirmed_deal(shop: Shop) -> str:
    """A deal of the customer's that the shop confirmed (the first test's;
    run alone, a new one confirmed through the shop's API)."""
    c, v = shop.customer, shop.vendor
    deals = httpx.get(f"{c.url}/v1/deals", headers=token(c)).json()["deals"]
    done = [d["id"] for d in deals if d["state"] == "confirmed"]
    if done:
        return str(done[0])
    time.sleep(max(0.0, shop.ready_at + START_UP_SYNCS - time.monotonic()))
    _, deal = post_and_accept(shop, "Google Pixel 8")
    eventually(
        lambda: httpx.get(f"{v.url}/v1/deals/{deal}", headers=token(v)).json()["deal"]["to_answer"],
        "the accept reaches the shop",
    )
    r = httpx.post(f"{v.url}/v1/deals/{deal}/confirm", json={}, headers=token(v))
    assert r.status_code == 200, r.text
    eventually(lambda: customer_deal(shop, deal)["state"] == "confirmed", "the confirm arrives")
    return deal


def thread_texts(browser: WebDriver) -> list[str]:  # noqa: F811
    return texts(browser, "#thread .thread-entry")


def choose(browser: WebDriver, element_id: str, value: str) -> None:  # noqa: F811
    """Pick ``value`` in a select (again, if a live redraw replaced it)."""
    from selenium.webdriver.support.ui import Select

    def attempt(d: WebDriver) -> bool:
        Select(d.find_element(By.ID, element_id)).select_by_value(value)
        return bool(d.find_element(By.ID, element_id).get_attribute("value") == value)

    wait_for(browser, attempt, f"choosing {value} in {element_id}")


def view_text(browser: WebDriver) -> str:  # noqa: F811
    """The page's text, read in one go (a redraw cannot make it stale)."""
    return texts(browser, "#view")[0]


def fits_a_phone(browser: WebDriver, ready_css: str) -> None:  # noqa: F811
    """The page on screen, at phone width, does not scroll sideways
    and shows no "null" or "undefined"."""
    browser.set_window_size(390, 844)
    try:
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ready_css), ready_css)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{browser.current_url} scrolls sideways at phone width"
        words = view_text(browser).split()
        assert "null" not in words and "undefined" not in words
    finally:
        browser.set_window_size(1280, 1000)


def test_after_the_deal_messages_both_ways_and_a_rating_with_the_shops_reply(
    shop: Shop,
    browser: WebDriver,  # noqa: F811
) -> None:
    c, v = shop.customer, shop.vendor
    deal = confirmed_deal(shop)
    idp = deal[:12]

    # The customer asks on the deal's thread, from the Deals page.
    sign_in(browser, c.login_url())
    browser.get(f"{c.url}/app/#/deals")
    click(browser, f"#deals [data-deal='{deal}'] a.thread-link", "the deal's messages")
    wait_for(browser, lambda d: d.find_elements(By.ID, "message-form"), "the message form")
    assert "No messages yet." in view_text(browser)
    assert texts(browser, "#view h1")[0].startswith("Messages with Kiez Phones: ")
    assert unlabelled(browser) == []
    choose(browser, "message-type", "other")
    click(browser, "#send-message", "send an empty message")
    assert "text: say what" in wait_for(
        browser, lambda d: error_beside(d, "message-text"), "the text's message"
    )
    choose(browser, "message-type", "status")
    fill(browser, "message-text", "Where is my order?")
    click(browser, "#send-message", "send the message")
    mine = wait_for(browser, thread_texts, "the message in the thread")
    assert mine[0].startswith("You") and "status: Where is my order?" in mine[0]
    # By keyboard: the type, the text, Send, in that order.
    browser.execute_script("document.getElementById('message-type').focus()")
    order = []
    for _ in range(2):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        order.append(browser.switch_to.active_element.get_attribute("id"))
    assert order == ["message-text", "send-message"]
    fits_a_phone(browser, "#thread .thread-entry")

    # A rating (it leaves at once on this market) and the shop's owner sees both.
    rated = httpx.post(
        f"{c.url}/v1/deals/{deal}/rate",
        json={"stars": 5, "described": 5, "text": "Arrived the next day."},
        headers=token(c),
    )
    assert rated.status_code == 200, rated.text
    browser.get(f"{c.url}/app/#/deals")
    left = wait_for(
        browser,
        lambda d: (t := texts(d, f"[data-deal='{deal}'] .own-rating")) and "left at" in t[0] and t,
        "the rating leaves (no delay on this market)",
    )
    assert 'Your rating: 5.00 stars (as described 5.00) "Arrived the next day."' in left[0]
    click(browser, f"[data-deal='{deal}'] button.open-rate", "open the rating form")
    fits_a_phone(browser, f"[data-deal='{deal}'] .rate-form")
    sign_in(browser, v.login_url())
    browser.get(f"{v.url}/app/#/vendor")
    click(browser, f"#vendor-deals [data-deal='{deal}'] a.thread-link", "the deal's messages")

    def asked(d: WebDriver) -> list[str] | None:
        shown = thread_texts(d)
        return shown if any("Where is my order?" in t for t in shown) else None

    theirs = wait_for(browser, asked, "the customer's message reaches the shop", NETWORK_PATIENCE)
    assert texts(browser, "#view h1")[0].startswith("Messages with the customer: ")
    assert theirs[0].startswith("The customer") and "status: Where is my order?" in theirs[0]
    assert browser.execute_script("return document.getElementById('message-type').value") == (
        "shipped"
    )
    # The shop answers that message: a reply names the message it answers.
    click(browser, "#thread .thread-entry button.reply-to", "reply to the customer's message")
    replying = wait_for(browser, lambda d: (t := texts(d, ".replying")) and t[0], "what it answers")
    assert "Replying to: status: Where is my order?" in replying
    assert browser.switch_to.active_element.get_attribute("id") == "message-text"
    fill(browser, "message-text", "Shipped with DHL today.")
    click(browser, "#send-message", "the shop's answer")
    quoted = wait_for(browser, lambda d: (t := texts(d, ".in-reply-to")) and t[0], "the quote")
    assert quoted == "In reply to: status: Where is my order?"
    assert not browser.find_elements(By.CSS_SELECTOR, ".replying")  # the next is no reply
    asked_id = next(
        e["id"]
        for e in httpx.get(f"{c.url}/v1/relationships/{deal}", headers=token(c)).json()[
            "relationship"
        ]["thread"]
        if e["from"] == "me"
    )

    def answered() -> bool:
        r = httpx.get(f"{c.url}/v1/relationships/{deal}", headers=token(c)).json()
        return any(
            (e["content"] or {}).get("text") == "Shipped with DHL today."
            and e["from"] == "them"
            and e["content"].get("re") == asked_id
            for e in r["relationship"]["thread"]
        )

    eventually(answered, "the shop's answer reaches the customer")

    eventually(
        lambda: httpx.get(f"{v.url}/v1/ratings", headers=token(v)).json()["ratings"],
        "the rating reaches the shop",
    )
    click(browser, "#nav a[href='#/ratings']", "the Ratings page")
    card = f"#ratings [data-deal='{deal}']"
    shown = wait_for(browser, lambda d: (t := texts(d, card)) and t[0], "the rating")
    assert '5.00 stars: "Arrived the next day."' in shown and "as described 5.00" in shown
    assert "Standing: 3.18 stars from 1 verified deal" in view_text(browser)
    click(browser, f"{card} button.open-reply", "open the reply form")
    assert browser.switch_to.active_element.get_attribute("id") == f"reply-text-{idp}"
    assert unlabelled(browser) == []
    click(browser, f"{card} button.send-reply", "reply with nothing")
    assert "text: required" in wait_for(
        browser, lambda d: error_beside(d, f"reply-text-{idp}"), "the reply's message"
    )
    fill(browser, f"reply-text-{idp}", "Thank you, enjoy the phone!")
    click(browser, f"{card} button.send-reply", "send the reply")
    reply = wait_for(
        browser, lambda d: (t := texts(d, f"{card} .rating-reply")) and t[0], "the reply shown"
    )
    assert reply == "Your reply: Thank you, enjoy the phone!"
    assert texts(browser, f"{card} button.open-reply") == ["Replace your reply"]
    shot(browser, "webapp-vendor-ratings.png")
    fits_a_phone(browser, f"{card} .rating-reply")
    [held] = httpx.get(f"{v.url}/v1/ratings", headers=token(v)).json()["ratings"]
    assert held["reply"] == "Thank you, enjoy the phone!"
