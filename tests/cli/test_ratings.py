"""``intentcast rate`` and ``intentcast ratings`` against real daemons on
loopback: a confirmed deal is rated (the rating waits for its random send
time), bad ratings fail with one clear line, and the vendor's listing and
the API's document show the ratings endpoints."""

from __future__ import annotations

import time

from .test_commands import (
    Market,
    cli,
    fails,
    market,
    offers_arrive,
    ok,
    ok_json,
    post_phone_intent,
)

__all__ = ["market"]  # the module-wide market of two daemons


def _confirmed_deal(m: Market) -> str:
    key = post_phone_intent(m.customer)["key"]
    offer_id = offers_arrive(m.customer, key)["ranked"][0]["offer"]["id"]
    deal = ok_json(
        "accept", "--home", m.customer, offer_id[:10], "--disclose", "contact", "--wait", "30"
    )["deal"]
    assert deal["state"] == "confirmed" and deal["reply"]["receipt"] is True
    return str(deal["id"])


def test_a_confirmed_deal_is_rated_and_the_rating_waits_for_its_time(market: Market) -> None:
    deal = _confirmed_deal(market)
    before = int(time.time())
    rated = ok_json(
        "rate", "--home", market.customer, deal[:10], "--stars", "4.5",
        "--on-time", "5", "--text", "Quick and friendly.",
    )["rating"]  # fmt: skip
    assert rated["deal"] == deal and rated["stars"] == 4.5 and rated["sent"] is False
    assert before + 600 <= rated["send_at"] <= before + 2 * 86_400 + 5
    text = ok("rate", "--home", market.customer, deal[:10], "--stars", "4").stdout
    assert "leaves at a random time" in text
    # The deal view names the vendor's standing; nothing is verified yet.
    shown = ok("deals", "--home", market.customer, deal[:8]).stdout
    assert "vendor: 3.00 stars: no verified deals yet" in shown
    offer = ok_json("deals", "--home", market.customer, deal[:8])["deal"]["offer"]
    vendor_key = offer["vendor_key"]
    listing = ok_json("ratings", "--home", market.customer, "--vendor", vendor_key)
    assert listing["standing"]["line"] == "3.00 stars: no verified deals yet"
    # Named, though no rating names it: from its profile or the deal.
    assert listing["standing"]["name"] == offer["vendor"]
    shown = ok("ratings", "--home", market.customer, "--vendor", vendor_key).stdout
    assert shown.startswith(f"vendor {offer['vendor']} (")
    assert listing["standing"]["own_deals"]["confirmed"] >= 1
    assert ok_json("ratings", "--home", market.vendor)["ratings"] == []
    assert "no verified deals yet" in ok("ratings", "--home", market.vendor).stdout


def test_bad_ratings_fail_with_one_clear_line(market: Market) -> None:
    deal = _confirmed_deal(market)
    usage = cli("rate", "--home", market.customer, deal[:10], "--stars", "6")
    assert usage.exit_code == 2 and "'--stars': 6.0 is not in the range" in usage.stderr
    error = fails("rate", "--home", market.vendor, deal[:10], "--stars", "4")
    assert "no deal of ours as a customer" in error
    error = fails("rate", "--home", market.customer, deal[:10], "--stars", "4", "--text", "x" * 281)
    assert "text" in error
    error = fails("ratings", "reply", "--home", market.vendor, deal[:10], "Thanks!")
    assert "no rated deal starts with" in error
    assert "vendor key" in fails("ratings", "--home", market.customer)


def test_the_api_document_lists_the_ratings_endpoints(market: Market) -> None:
    import httpx

    info = market.customer_info
    doc = httpx.get(f"{info.url}/openapi.json").json()
    assert {"/v1/deals/{deal}/rate", "/v1/ratings", "/v1/ratings/{deal}/reply"} <= set(doc["paths"])
