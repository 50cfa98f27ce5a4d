"""``[vendor] confirm = "manual"``: a vendor node whose accepts wait for its
owner, answered with ``intentcast deals DEAL --confirm|--decline`` (the web
app's Vendor page uses the same API: tests/daemon/test_webapp_vendor.py).
Two daemons on 127.0.0.1, as ``node run`` runs them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from intentcast.daemon.config import ConfigError, Settings, load_settings, render_config
from intentcast.daemon.layout import Home

from .test_commands import (
    KIEZ,
    cli,
    eventually,
    fails,
    init,
    offers_arrive,
    ok,
    ok_json,
    post_phone_intent,
    running,
)


def test_the_setting_is_written_read_back_and_checked(tmp_path: Path) -> None:
    home = Home(tmp_path)
    text = render_config(Settings())
    assert "# Who answers when a customer accepts one of your offers" in text
    home.config.write_text(text)
    assert load_settings(home).confirm == "auto"
    home.config.write_text(text.replace('confirm = "auto"', 'confirm = "manual"'))
    assert load_settings(home).confirm == "manual"
    for bad in ('"yes"', "true", '["manual"]'):
        home.config.write_text(text.replace('confirm = "auto"', f"confirm = {bad}"))
        with pytest.raises(ConfigError, match=r'vendor\.confirm must be "auto" or "manual"'):
            load_settings(home)


def test_accepts_wait_for_the_owner_who_confirms_or_declines(tmp_path: Path) -> None:
    shop, customer = tmp_path / "shop", tmp_path / "customer"
    init(shop, "--role", "vendor", "--catalog", KIEZ, "--confirm", "manual")
    with running(shop) as shop_info:
        init(customer, "--bootstrap", shop_info.addrs[0])
        with running(customer):
            eventually(
                lambda: ok_json("status", "--home", customer)["connected_peers"] >= 1,
                "the customer connects to the shop",
            )
            vendor = ok_json("status", "--home", shop)["vendor"]
            assert (vendor["confirm"], vendor["to_answer"]) == ("manual", 0)
            ids = []
            for _ in range(2):
                key = post_phone_intent(customer)["key"]
                offer = offers_arrive(customer, key)["ranked"][0]["offer"]["id"]
                deal = ok_json("accept", "--home", customer, offer[:10])
                ids.append(deal["deal"]["id"])
            eventually(
                lambda: ok_json("status", "--home", shop)["vendor"]["to_answer"] == 2,
                "both accepts wait for the shop's owner",
            )
            listing = ok("deals", "--home", shop).stdout
            assert listing.count("waits for your answer: intentcast deals") == 2
            # Each says by when: a day after the accept, the customer's node
            # counts it unanswered against the shop.
            assert listing.count("counts it as unanswered") == 2
            waiting = [d for d in ok_json("deals", "--home", shop)["deals"] if d["to_answer"]]
            day = 86_400
            assert all(
                time.time() + day - 300 < d["answer_by"] <= time.time() + day for d in waiting
            )
            usage = cli("deals", "--home", shop, "--confirm")
            assert usage.exit_code == 2 and "--confirm needs the DEAL" in usage.stderr
            answered = ok_json(
                "deals", "--home", shop, ids[0][:10], "--confirm", "--text", "Ships today."
            )["deal"]
            assert answered["state"] == "confirmed" and not answered["to_answer"]
            assert answered["answer_by"] is None
            ok("deals", "--home", shop, ids[1][:10], "--decline", "--text", "Sold out.")
            error = fails("deals", "--home", shop, ids[1][:10], "--confirm")
            assert "already declined" in error
            mine = eventually(
                lambda: (
                    (d := {x["id"]: x for x in ok_json("deals", "--home", customer)["deals"]})
                    and all(d[i]["reply"] for i in ids)
                    and d
                ),
                "the customer's node gets both answers",
            )
            assert (mine[ids[0]]["state"], mine[ids[0]]["reply"]["text"]) == (
                "confirmed",
                "Ships today.",
            )
            assert (mine[ids[1]]["state"], mine[ids[1]]["reply"]["text"]) == (
                "declined",
                "Sold out.",
            )
            assert ok_json("status", "--home", shop)["vendor"]["to_answer"] == 0
