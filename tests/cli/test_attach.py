"""``intentcast vendor attach BOT.py``: a bot in its own process answers for
a node daemon that is already running (the vendor role, no catalog).

Real daemons on loopback (in threads, as in test_commands) and the real
command in a child process, as a shop starts it next to its node.
"""

from __future__ import annotations

import json
import subprocess
import time
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

import httpx

from .test_bots import vendor_bot
from .test_commands import KIEZ, PATIENCE, ROOT, eventually, fails, init, ok, ok_json, running

BIKE_REPAIR = ROOT / "examples" / "bots" / "bike_repair.py"


def attached(home: Path, bot: Path, log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """``intentcast vendor attach --home HOME BOT`` in a child process."""
    return vendor_bot(home, bot, log, how="attach")


def bot_status(home: Path) -> dict[str, Any]:
    bot: dict[str, Any] = ok_json("status", "--home", home)["vendor"]["bot"]
    return bot


def bike_intent(home: Path, title: str) -> dict[str, Any]:
    intent: dict[str, Any] = ok_json(
        "intent", "post", "--home", home,
        "--category", "services/repair/bikes", "--title", title,
        "--max-price", "60", "--currency", "EUR", "--region", "DE",
        "--deliver-within", "8", "--term", "cc:no-tracking", "--pay", "pay-on-delivery",
    )["intent"]  # fmt: skip
    return intent


def offers_for(home: Path, key: str, at_least: int) -> dict[str, Any]:
    def arrived() -> dict[str, Any] | None:
        data: dict[str, Any] = ok_json("offers", "--home", home, key[:8])
        return data if len(data["ranked"]) >= at_least else None

    found: dict[str, Any] = eventually(arrived, f"{at_least} offers for {key[:8]}")
    return found


def test_a_bot_attaches_to_a_running_vendor_node_and_sells(tmp_path: Path) -> None:
    vendor, customer = tmp_path / "vendor", tmp_path / "customer"
    init(vendor, "--role", "vendor")  # no catalog: the node waits for a bot
    with running(vendor) as vendor_info:
        assert bot_status(vendor) == {"attached": False, "name": None, "attached_seconds": None}
        assert "waiting for a bot" in ok("status", "--home", vendor).stdout
        init(customer, "--bootstrap", vendor_info.addrs[0])
        (customer / "config.toml").write_text(
            (customer / "config.toml").read_text() + 'contact = "bo@example.org"\n'
        )  # the [profile] table is last
        with running(customer):
            eventually(
                lambda: ok_json("status", "--home", customer)["connected_peers"] >= 1,
                "the customer connects to the vendor node",
            )
            time.sleep(1.2)  # a gossipsub heartbeat: the mesh forms
            # Posted while no bot is attached (the vendor node does not follow
            # the topic yet; it may hold the intent from relaying it on its
            # stem): a bot that attaches later still answers it, from the
            # node's cache or from its peers by sync.
            early = bike_intent(customer, "Bike service, brakes squeak")
            time.sleep(1.0)
            assert ok_json("offers", "--home", customer, early["key"][:8])["ranked"] == []

            log = tmp_path / "bot.log"
            with attached(vendor, BIKE_REPAIR, log) as child:
                eventually(lambda: bot_status(vendor)["attached"], "the bot attaches")
                assert bot_status(vendor)["name"] == "Kiez Rad Service"
                status = ok("status", "--home", vendor).stdout
                assert "Kiez Rad Service (attached bot) in services" in status

                caught_up = offers_for(customer, early["key"], 2)
                titles = [r["offer"]["item"]["title"] for r in caught_up["ranked"]]
                assert all(t.startswith("Bike service: brakes, gears") for t in titles), titles

                later = bike_intent(customer, "Gears skip, please service my bike")
                offers = offers_for(customer, later["key"], 2)
                assert offers["rejected"] == []
                best = offers["ranked"][0]["offer"]["id"]
                deal = ok_json(
                    "accept", "--home", customer, best[:10],
                    "--disclose", "contact", "--wait", str(PATIENCE),
                )["deal"]  # fmt: skip
                assert deal["state"] == "confirmed"
                assert deal["reply"]["text"].startswith("Booked for ")
                # After the deal the attached bot answers on the deal's thread.
                ok("message", "--home", customer, deal["id"][:12], "When?", "--type", "status")
                answer = eventually(
                    lambda: [
                        m for m in ok_json("relationship", "--home", customer, deal["id"][:12])[
                            "relationships"][0]["thread"] if m["from"] == "them"
                    ],
                    "the bot answers the customer's question",
                )  # fmt: skip
                assert answer[0]["content"]["text"].startswith("You are booked for ")

                # A second bot is refused while the first one polls.
                second_log = tmp_path / "second.log"
                with attached(vendor, BIKE_REPAIR, second_log) as second:
                    assert second.wait(PATIENCE) == 1
                assert "'Kiez Rad Service' is attached to this node" in second_log.read_text()
                assert child.poll() is None, log.read_text()
            assert child.returncode == 0, log.read_text()
            # Ctrl-C detached it: the node says so at once.
            assert bot_status(vendor)["attached"] is False
            assert ok_json("status", "--home", vendor)["deals"] == {"confirmed": 1}
    assert "attached to the node at http://127.0.0.1:" in log.read_text()


def test_an_attached_bot_survives_a_restart_of_its_node(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    init(vendor, "--role", "vendor")
    log = tmp_path / "bot.log"
    with ExitStack() as first_run:
        first_run.enter_context(running(vendor))
        with attached(vendor, BIKE_REPAIR, log) as child:
            eventually(lambda: bot_status(vendor)["attached"], "the bot attaches")
            first_run.close()  # the node stops; the bot waits for it
            eventually(lambda: "the node is not reachable" in log.read_text(), "the bot waits")
            assert child.poll() is None, log.read_text()
            with running(vendor):  # a new API port and token
                eventually(lambda: bot_status(vendor)["attached"], "the bot attaches again")
                assert bot_status(vendor)["name"] == "Kiez Rad Service"
    assert child.returncode == 0, log.read_text()


def test_attach_says_why_a_node_will_not_take_a_bot(tmp_path: Path) -> None:
    nowhere = tmp_path / "none"
    init(nowhere)
    error = fails("vendor", "attach", "--home", nowhere, BIKE_REPAIR, code=3)
    assert "the node is not running" in error and "intentcast node run" in error

    shop = tmp_path / "shop"
    init(shop, "--role", "vendor", "--catalog", KIEZ)
    customer = tmp_path / "customer"
    init(customer)
    with running(shop), running(customer):
        error = fails("vendor", "attach", "--home", shop, BIKE_REPAIR)
        assert "already answers as 'Kiez Phones'" in error, error
        error = fails("vendor", "attach", "--home", customer, BIKE_REPAIR)
        assert "no vendor role" in error and "intentcast vendor run BOT.py" in error
    broken = tmp_path / "broken.py"
    broken.write_text("from intentcast.sdk import VendorBot\nclass Shop(VendorBot)\n")
    assert fails("vendor", "attach", "--home", shop, broken).startswith(
        f"Error: {broken}:2: syntax error"
    )


def test_the_work_api_refuses_bad_requests_by_name(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    init(vendor, "--role", "vendor")
    with running(vendor):
        cookie = json.loads((vendor / "api.cookie").read_text())
        api = httpx.Client(
            base_url=cookie["url"], headers={"Authorization": f"Bearer {cookie['token']}"}
        )

        def error(response: httpx.Response) -> tuple[int, str, str]:
            e = response.json()["error"]
            return response.status_code, e["code"], e["message"]

        attach = "/v1/vendor/attach"
        bad = {"name": "Shop", "categories": ["groceries"]}
        status, code, message = error(api.post(attach, json=bad))
        assert (status, code) == (400, "invalid") and "'groceries' not one of" in message
        status, code, _ = error(api.post(attach, json={"name": "", "categories": ["services"]}))
        assert (status, code) == (400, "invalid")
        status, code, _ = error(api.get("/v1/vendor/work", params={"session": "forged"}))
        assert (status, code) == (410, "session-gone")

        session = api.post(attach, json={"name": "Shop", "categories": ["services"]}).json()
        assert session["categories"] == ["services"]
        params = {"session": session["session"], "timeout": 0}
        assert api.get("/v1/vendor/work", params=params).json() == {"work": []}
        body = {"session": session["session"], "offers": ["not base64!"]}
        status, code, _ = error(api.post("/v1/vendor/work/nope", json=body))
        assert (status, code) == (410, "session-gone")  # no such work item
        assert api.post("/v1/vendor/detach", json={"session": session["session"]}).json() == {
            "detached": True
        }
        status, code, _ = error(api.get("/v1/vendor/work", params=params))
        assert (status, code) == (410, "session-gone")
