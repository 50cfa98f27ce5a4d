"""The relationship commands against real daemons (a customer and the Kiez
Phones catalog vendor on 127.0.0.1): who knows what about me, change my
details once, a message, forget me."""

from __future__ import annotations

from typing import Any

from .test_commands import (  # noqa: F401  (market is a fixture)
    PATIENCE,
    Market,
    eventually,
    fails,
    market,
    offers_arrive,
    ok,
    ok_json,
    post_phone_intent,
)

NEW = "Neue Str. 2, 10115 Berlin"


def relationship_with(home: Any, deal: str) -> dict[str, Any]:
    found: dict[str, Any] = ok_json("relationship", "--home", home, deal[:12])["relationships"][0]
    return found


def test_change_my_details_then_forget_me_from_the_command_line(market: Market) -> None:  # noqa: F811
    assert "no relationships yet" in ok("relationships", "--home", market.customer).stdout
    key = post_phone_intent(market.customer)["key"]
    offer_id = offers_arrive(market.customer, key)["ranked"][0]["offer"]["id"]
    deal = ok_json(
        "accept", "--home", market.customer, offer_id[:10],
        "--disclose", "contact,shipping", "--wait", str(PATIENCE),
    )["deal"]  # fmt: skip
    text = ok("relationships", "--home", market.customer).stdout
    assert "Kiez Phones" in text and "shipping: Hauptstr. 1, 10115 Berlin" in text

    sent = ok_json("update-detail", "--home", market.customer, "shipping", NEW)["sent"]
    assert [s["deal"] for s in sent] == [deal["id"]]
    # A field no vendor holds goes nowhere.
    assert ok_json("update-detail", "--home", market.customer, "phone", "+49 30 1")["sent"] == []
    eventually(
        lambda: relationship_with(market.customer, deal["id"])["holds"]["shipping"]["acknowledged"],
        "the vendor acknowledges the new address",
    )
    theirs = eventually(
        lambda: [
            r for r in ok_json("relationships", "--home", market.vendor)["relationships"]
            if r["deal"] == deal["id"]
        ],
        "the vendor's node lists the relationship",
    )  # fmt: skip
    assert theirs[0]["holds"]["shipping"]["value"] == NEW

    ok("message", "--home", market.customer, "kiez", "Where is my phone?", "--type", "status")
    shown = ok("relationship", "--home", market.customer, "Kiez").stdout
    assert "you: [status] Where is my phone?" in shown
    assert "you: shipping is now Neue Str. 2" in shown and "(acknowledged)" in shown
    error = fails("message", "--home", market.customer, "nobody", "hi")
    assert error == "Error: no relationship with 'nobody'; vendors: Kiez Phones"

    assert "asked Kiez Phones" in ok("forget", "--home", market.customer, deal["id"][:12]).stdout
    gone = eventually(
        lambda: (r := relationship_with(market.customer, deal["id"]))["deleted"] and r,
        "the vendor's statement of deletion arrives",
    )
    statement = [m for m in gone["thread"] if m["kind"] == "deal-ack" and m["content"]["deleted"]]
    assert statement and statement[0]["content"]["fields"] == ["contact", "shipping"]
    vendor_view = relationship_with(market.vendor, deal["id"])
    assert all(h["value"] is None for h in vendor_view["holds"].values())
    assert "deleted" in ok("relationships", "--home", market.customer).stdout
