"""``intentcast vendor run BOT.py``: the bike-repair example bot runs as its
own process (the real command, as a user starts it) and a customer daemon
on loopback posts an intent, ranks the bot's offers and books a slot."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .test_commands import PATIENCE, ROOT, cli, eventually, fails, init, ok, ok_json, running

BIKE_REPAIR = ROOT / "examples" / "bots" / "bike_repair.py"


@contextmanager
def vendor_bot(
    home: Path, bot: Path, log: Path, how: str = "run"
) -> Iterator[subprocess.Popen[bytes]]:
    """``intentcast vendor run|attach --home HOME BOT`` in a child process,
    until the block exits (then SIGTERM, as Ctrl-C would)."""
    command = [sys.executable, "-c", "from intentcast.cli import main; main()"]
    with log.open("wb") as out:
        child = subprocess.Popen(
            [*command, "vendor", how, "--home", str(home), str(bot)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def cookie_of(home: Path, child: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    def ready() -> dict[str, str] | None:
        if child.poll() is not None:
            raise AssertionError(f"vendor run exited {child.returncode}:\n{log.read_text()}")
        try:
            data: dict[str, str] = json.loads((home / "api.cookie").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data

    found: dict[str, str] = eventually(ready, "vendor run starts its node")
    return found


def test_vendor_run_bot_answers_a_real_customer(tmp_path: Path) -> None:
    vendor, customer, log = tmp_path / "vendor", tmp_path / "customer", tmp_path / "vendor.log"
    init(vendor)
    with vendor_bot(vendor, BIKE_REPAIR, log) as child:
        cookie_of(vendor, child, log)
        status = ok_json("status", "--home", vendor)
        assert status["roles"] == ["vendor"]
        assert status["vendor"]["name"] == "Kiez Rad Service"
        assert status["vendor"]["categories"] == ["services"]
        init(customer, "--bootstrap", status["addrs"][0])
        (customer / "config.toml").write_text(
            (customer / "config.toml").read_text() + 'contact = "bo@example.org"\n'
        )  # the [profile] table is last
        with running(customer):
            eventually(
                lambda: ok_json("status", "--home", customer)["connected_peers"] >= 1,
                "the customer connects to the bot's node",
            )
            time.sleep(1.2)  # a gossipsub heartbeat: the mesh forms
            intent = ok_json(
                "intent", "post", "--home", customer,
                "--category", "services/repair/bikes", "--title", "Bike service, brakes squeak",
                "--max-price", "60", "--currency", "EUR", "--region", "DE",
                "--deliver-within", "8", "--term", "cc:no-tracking", "--pay", "pay-on-delivery",
            )["intent"]  # fmt: skip
            offers = eventually(
                lambda: (
                    (d := ok_json("offers", "--home", customer, intent["key"][:8]))["ranked"]
                    and len(d["ranked"]) >= 2
                    and d
                ),
                "the bot's two slots arrive",
            )
            assert offers["rejected"] == []
            titles = [r["offer"]["item"]["title"] for r in offers["ranked"]]
            assert all(t.startswith("Bike service: brakes, gears") for t in titles), titles
            best = offers["ranked"][0]["offer"]["id"]
            deal = ok_json(
                "accept", "--home", customer, best[:10],
                "--disclose", "contact", "--wait", str(PATIENCE),
            )["deal"]  # fmt: skip
            assert deal["state"] == "confirmed"
            assert deal["reply"]["text"].startswith("Booked for ")
        assert ok_json("status", "--home", vendor)["deals"] == {"confirmed": 1}
    assert child.returncode == 0, log.read_text()
    assert f"answers intents in services from {BIKE_REPAIR}" in log.read_text()


def test_vendor_run_says_what_is_wrong_with_the_bot(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home)
    missing = tmp_path / "missing.py"
    assert fails("vendor", "run", "--home", home, missing) == f"Error: {missing}: no such file"

    broken = tmp_path / "broken.py"
    broken.write_text("from intentcast.sdk import VendorBot\nclass Shop(VendorBot)\n")
    assert fails("vendor", "run", "--home", home, broken).startswith(
        f"Error: {broken}:2: syntax error"
    )

    empty = tmp_path / "empty.py"
    empty.write_text("PRICE = 100\n")
    assert "no bot found" in fails("vendor", "run", "--home", home, empty)

    result = cli("vendor", "run", "--home", home, BIKE_REPAIR, "--catalog", BIKE_REPAIR)
    assert result.exit_code == 2 and "not both" in result.stderr
    assert not (home / "api.cookie").exists()


def test_vendor_run_help_names_bots() -> None:
    assert "BOT.py" in ok("vendor", "run", "--help").stdout
