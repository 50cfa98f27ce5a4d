"""The CLI against real daemons on loopback: ``intentcast init``, ``node
run``, and every command over the local API.

A module-wide market runs two daemons in threads (the real ``run_daemon``:
libp2p nodes, stores, hypercorn API): a vendor answering from the Kiez
Phones example catalog and a customer that bootstraps to it. Commands run
through click's CliRunner and reach the daemons over HTTP.
"""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from intentcast.cli import main
from intentcast.daemon.addresses import dialable_addrs
from intentcast.daemon.config import load_settings
from intentcast.daemon.layout import COOKIE_FILE, Home
from intentcast.daemon.process import DaemonInfo, run_daemon
from intentcast.sdk import client

ROOT = Path(__file__).resolve().parents[2]
KIEZ = ROOT / "examples" / "catalogs" / "kiez-phones.toml"
#: Generous bound for things that normally take well under a second; it only
#: keeps a broken test from hanging (no test asserts how fast anything is).
PATIENCE = 30.0
PROFILE = '[profile]\ncontact = "alice@example.org"\nshipping = "Hauptstr. 1, 10115 Berlin"\n'


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def ok_json(*args: str | Path) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def fails(*args: str | Path, code: int = 1) -> str:
    """Run a command that must fail; returns its one-line error."""
    result = cli(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + PATIENCE
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


def init(home: Path, *extra: str | Path) -> None:
    ok("init", "--home", home, "--listen", "/ip4/127.0.0.1/tcp/0", "--api-port", "0", *extra)


@contextmanager
def running(home: Path, **overrides: Any) -> Iterator[DaemonInfo]:
    """``run_daemon`` on ``home`` in a thread until the block exits."""
    ready: list[DaemonInfo] = []
    failed: list[BaseException] = []
    started = threading.Event()

    def on_ready(info: DaemonInfo) -> None:
        ready.append(info)
        started.set()

    def target() -> None:
        try:
            run_daemon(home, handle_signals=False, on_ready=on_ready, **overrides)
        except BaseException as exc:
            failed.append(exc)
            started.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert started.wait(PATIENCE), "the daemon did not start"
    if failed:
        raise failed[0]
    try:
        yield ready[0]
    finally:
        ready[0].stop()
        thread.join(PATIENCE)
        assert not thread.is_alive(), "the daemon did not stop"
        assert not failed, failed


@dataclass
class Market:
    customer: Path
    vendor: Path
    customer_info: DaemonInfo
    vendor_info: DaemonInfo


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    tmp = tmp_path_factory.mktemp("market")
    vendor, customer = tmp / "vendor", tmp / "customer"
    init(vendor, "--role", "vendor", "--catalog", KIEZ)
    with running(vendor) as vendor_info:
        init(customer, "--bootstrap", vendor_info.addrs[0])
        with (customer / "config.toml").open("a") as f:
            f.write(PROFILE.replace("[profile]\n", ""))  # the [profile] table is last
        with running(customer) as customer_info:
            eventually(
                lambda: ok_json("status", "--home", customer)["connected_peers"] >= 1,
                "the customer connects to its bootstrap vendor",
            )
            yield Market(customer, vendor, customer_info, vendor_info)


def post_phone_intent(home: Path, *extra: str) -> dict[str, Any]:
    intent: dict[str, Any] = ok_json(
        "intent", "post", "--home", home,
        "--category", "electronics/phones", "--title", "Google Pixel 8, 128 GB",
        "--attr", "brand=google", "--attr", "storage_gb=128",
        "--max-price", "600", "--currency", "EUR", "--region", "DE",
        "--term", "cc:no-tracking", "--pay", "prepay", *extra,
    )["intent"]  # fmt: skip
    return intent


def offers_arrive(home: Path, key: str) -> dict[str, Any]:
    found: dict[str, Any] = eventually(
        lambda: (d := ok_json("offers", "--home", home, key[:8]))["ranked"] and d,
        "an offer arrives",
    )
    return found


# --- init and node run ----------------------------------------------------------


def test_init_creates_a_private_home_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = ok("init", "--home", home, "--role", "customer", "--role", "relay")
    assert "intentcast node run --home" in result.stdout
    for name in ("customer.key", "vendor.key", "config.toml", "node.db"):
        mode = stat.S_IMODE((home / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    settings = load_settings(Home(home))
    assert settings.roles == ("customer", "relay")
    assert settings.api_port == 7646
    seed = (home / "customer.key").read_text()

    error = fails("init", "--home", home)
    assert "already a node home" in error and "--force" in error
    assert (home / "customer.key").read_text() == seed  # untouched

    ok("init", "--home", home, "--force")
    assert (home / "customer.key").read_text() != seed


def test_init_home_comes_from_the_environment(tmp_path: Path) -> None:
    home = tmp_path / "from-env"
    result = CliRunner(env={"INTENTCAST_HOME": str(home)}).invoke(main, ["init"])
    assert result.exit_code == 0, result.stderr
    assert (home / "config.toml").exists()


def test_node_refuses_key_files_readable_by_others(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home)
    (home / "customer.key").chmod(0o644)
    error = fails("node", "run", "--home", home)
    assert "refusing to start" in error and "chmod 600" in error
    assert not (home / "api.cookie").exists()
    (home / "customer.key").chmod(0o600)
    (home / "vendor.key").chmod(0o640)
    assert "vendor.key" in fails("node", "run", "--home", home)


def test_node_run_needs_a_home_and_a_good_config(tmp_path: Path) -> None:
    assert "intentcast init" in fails("node", "run", "--home", tmp_path / "none")
    home = tmp_path / "home"
    init(home, "--role", "vendor")
    config = (home / "config.toml").read_text()
    assert '# catalog = "catalog.toml"' in config
    (home / "config.toml").write_text(config.replace("# catalog =", "catalog ="))
    assert "cannot read the catalog" in fails("node", "run", "--home", home)
    (home / "config.toml").write_text("[node]\nroles = ['shopkeeper']\n")
    assert "roles must be some of customer, vendor, relay" in fails("node", "run", "--home", home)


def test_node_refuses_a_libp2p_port_in_use(tmp_path: Path) -> None:
    # py-libp2p binds with SO_REUSEPORT: without this check a second node
    # would share the port with the first one.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        home = tmp_path / "home"
        ok("init", "--home", home, "--listen", f"/ip4/127.0.0.1/tcp/{port}", "--api-port", "0")
        error = fails("node", "run", "--home", home)
        assert f"cannot listen on /ip4/127.0.0.1/tcp/{port}" in error
        assert "another node running" in error


def test_commands_say_how_to_start_the_daemon(tmp_path: Path) -> None:
    assert "create one with: intentcast init" in fails(
        "status", "--home", tmp_path / "none", code=3
    )
    home = tmp_path / "home"
    init(home)
    error = fails("intent", "list", "--home", home, code=3)
    assert "not running" in error and f"intentcast node run --home {home}" in error
    # A stale cookie (the daemon was killed) is told apart, with the same advice.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (home / "api.cookie").write_text(json.dumps({"url": f"http://127.0.0.1:{port}", "token": "x"}))
    error = fails("status", "--home", home, code=3)
    assert "stale api.cookie" in error and "intentcast node run" in error


def test_sigterm_stops_the_daemon_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from intentcast.cli import main; main()",
         "node", "run", "--home", str(home)],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        eventually((home / "api.cookie").exists, "the daemon starts")
        assert stat.S_IMODE((home / "api.cookie").stat().st_mode) == 0o600
        assert ok_json("status", "--home", home)["roles"] == ["customer"]
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=PATIENCE)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "SIGTERM received; stopping" in stderr and "node stopped" in stderr
    assert "Traceback" not in stderr
    assert not (home / "api.cookie").exists()


def test_a_second_daemon_on_the_same_home_is_refused(market: Market) -> None:
    error = fails("node", "run", "--home", market.customer)
    assert "already running" in error and "intentcast node stop" in error


def test_node_stop_stops_the_daemon_and_the_peer_id_survives_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home)
    with running(home) as first:
        assert "The node stopped." in ok("node", "stop", "--home", home).stdout
        assert not (home / "api.cookie").exists()
        fails("status", "--home", home, code=3)
    with running(home) as second:
        assert second.peer_id == first.peer_id  # peers can keep it as a bootstrap address
        assert second.token != first.token  # a new token at every start


def test_wildcard_listen_addresses_are_shown_as_dialable_ones() -> None:
    addrs = dialable_addrs(["/ip4/0.0.0.0/tcp/4001/p2p/X", "/ip4/10.0.0.5/tcp/1/p2p/X"])
    assert addrs[0] == "/ip4/127.0.0.1/tcp/4001/p2p/X"
    assert addrs[-1] == "/ip4/10.0.0.5/tcp/1/p2p/X"
    assert not any("0.0.0.0" in a for a in addrs)


# --- the local API --------------------------------------------------------------


def test_api_wants_the_token_on_every_request(market: Market) -> None:
    info = market.customer_info
    cookie = json.loads((market.customer / "api.cookie").read_text())
    assert cookie["token"] == info.token and cookie["url"] == info.url
    assert stat.S_IMODE((market.customer / "api.cookie").stat().st_mode) == 0o600
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": info.token}):
        for path in ("/v1/status", "/v1/intents", "/nowhere"):
            response = httpx.get(info.url + path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.json()["error"]["code"] == "unauthorized"
    # The API's description holds no secret: it needs no token (issue 19).
    assert httpx.get(info.url + "/openapi.json").status_code == 200
    response = httpx.post(info.url + "/v1/intents", json={"title": "x"})
    assert response.status_code == 401
    good = {"Authorization": f"Bearer {info.token}"}
    assert httpx.get(info.url + "/v1/status", headers=good).status_code == 200
    # A page that rebinds its own host name to 127.0.0.1 is refused too.
    evil = httpx.get(info.url + "/v1/status", headers={**good, "Host": "evil.example"})
    assert evil.status_code == 403
    assert evil.json()["error"]["code"] == "forbidden-host"


def test_open_gives_a_one_time_link_to_a_session_cookie(market: Market) -> None:
    url = ok("open", "--print-url", "--home", market.customer).stdout.strip()
    assert url.startswith(market.customer_info.url + "/app/login?code=")
    assert market.customer_info.token not in url
    first = httpx.get(url)
    assert first.status_code == 303 and first.headers["location"] == "/app/"
    assert "HttpOnly" in first.headers["set-cookie"]
    assert httpx.get(url).status_code == 401  # spent
    intents = httpx.get(market.customer_info.url + "/v1/intents", cookies=first.cookies)
    assert intents.status_code == 200


def test_api_errors_have_one_shape_and_openapi_lists_the_endpoints(market: Market) -> None:
    info = market.customer_info
    good = {"Authorization": f"Bearer {info.token}"}
    doc = httpx.get(info.url + "/openapi.json", headers=good).json()
    assert doc["openapi"].startswith("3.")
    from intentcast.daemon.api import ENDPOINTS

    for e in ENDPOINTS:
        operation = doc["paths"][e.path][e.method.lower()]
        assert operation["summary"], e.path
    assert doc["paths"]["/v1/events"]["get"]["parameters"][0]["name"] == "since"
    cases = [
        ("GET", "/nowhere", None, 404, "not-found"),
        ("DELETE", "/v1/status", None, 405, "method-not-allowed"),
        ("GET", "/v1/intents/ffffffff", None, 404, "not-found"),
        ("POST", "/v1/intents", {"title": "x"}, 400, "invalid"),
        ("GET", "/v1/events?since=x", None, 400, "invalid"),
    ]
    for method, path, body, status, code in cases:
        response = httpx.request(method, info.url + path, headers=good, json=body)
        assert response.status_code == status, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == code and error["message"], (path, error)
    bad_json = httpx.post(info.url + "/v1/intents", headers=good, content=b"{nope")
    assert bad_json.json()["error"]["message"] == "the body is not valid JSON"


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address: str = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_api_listens_on_loopback_only(market: Market) -> None:
    url = httpx.URL(market.customer_info.url)
    assert url.host == "127.0.0.1"
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError), socket.create_connection((address, url.port), timeout=5):
        pass


def test_cli_and_daemon_agree_on_the_cookie_file() -> None:
    assert client.COOKIE_FILE == COOKIE_FILE


# --- the market through the CLI ---------------------------------------------------


def test_status_and_peers(market: Market) -> None:
    status = ok_json("status", "--home", market.customer)
    assert status["roles"] == ["customer"]
    assert status["peer_id"] == market.customer_info.peer_id
    assert status["vendor"] is None
    text = ok("status", "--home", market.customer).stdout
    assert market.customer_info.peer_id in text and "connected" in text
    # It takes its offers from a feed (the default), the vendor's here (once
    # open: a second after they connect), and follows no offer topic; what
    # that means for its intents.
    assert status["offer_buckets"] == []
    shop = market.vendor_info.peer_id
    eventually(
        lambda: ok_json("status", "--home", market.customer)["offer_feed"] == {"source": shop},
        "the feed from the shop",
    )
    text = ok("status", "--home", market.customer).stdout
    assert f"privacy   takes every offer from a feed (from {shop}): no topic links" in text

    vendor = ok_json("status", "--home", market.vendor)
    assert vendor["vendor"]["name"] == "Kiez Phones"
    assert vendor["offer_buckets"] is None and vendor["offer_feed"] is None
    peers = ok_json("peers", "--home", market.customer)
    assert market.vendor_info.peer_id in {p["peer_id"] for p in peers["connected"]}
    assert market.vendor_info.peer_id in ok("peers", "--home", market.customer).stdout
    error = fails("peers", "--home", market.customer, "--connect", "/ip4/1.2.3.4")
    assert "not a peer address" in error


def test_post_with_wait_shows_offers_then_the_ranked_table(market: Market) -> None:
    result = ok(
        "intent", "post", "--home", market.customer,
        "--category", "electronics/phones", "--title", "Pixel 8 for my sister",
        "--attr", "brand=google", "--max-price", "600.00", "--currency", "EUR",
        "--region", "DE", "--deliver-within", "5", "--wait", "2",
    )  # fmt: skip
    out = result.stdout
    assert "Posted " in out and "(at most 600.00 EUR)" in out
    assert "Ranked offers" in out
    assert "Waiting 2 s for offers" in result.stderr
    key = out.split()[1]
    # On a very slow machine the offer may come after the wait; it still comes.
    data = offers_arrive(market.customer, key)
    assert data["ranked"][0]["offer"]["vendor"] == "Kiez Phones"


def test_intent_list_show_and_offers(market: Market) -> None:
    intent = post_phone_intent(market.customer, "--description", "any colour")
    key = intent["key"]
    assert intent["state"] == "open" and intent["terms"]["max_price"] == 60_000
    listed = ok_json("intent", "list", "--home", market.customer)["intents"]
    assert key in {i["key"] for i in listed}
    assert key[:12] in ok("intent", "list", "--home", market.customer).stdout
    shown = ok_json("intent", "show", "--home", market.customer, key[:6])["intent"]
    assert shown["description"] == "any colour"
    assert "cc:no-tracking" in ok("intent", "show", "--home", market.customer, key[:6]).stdout

    data = offers_arrive(market.customer, key)
    [best] = data["ranked"]
    assert best["rank"] == 1
    assert sum(best["breakdown"].values()) == pytest.approx(best["score"], abs=0.05)
    assert best["explanation"].startswith("#1 Kiez Phones")
    table = ok("offers", "--home", market.customer, key[:8]).stdout
    assert "Ranked offers" in table and best["offer"]["id"][:12] in table
    assert "Score" in table  # the explanation with the breakdown


def test_accept_discloses_only_what_is_named_and_the_deal_is_confirmed(market: Market) -> None:
    key = post_phone_intent(market.customer)["key"]
    offer_id = offers_arrive(market.customer, key)["ranked"][0]["offer"]["id"]
    error = fails("accept", "--home", market.customer, offer_id[:10], "--disclose", "birthday")
    assert "nothing to send for 'birthday'" in error and "[profile]" in error

    deal = ok_json(
        "accept", "--home", market.customer, offer_id[:10],
        "--disclose", "contact,shipping", "--wait", str(PATIENCE),
    )["deal"]  # fmt: skip
    assert deal["disclosed"] == {
        "contact": "alice@example.org",
        "shipping": "Hauptstr. 1, 10115 Berlin",
    }
    assert deal["state"] == "confirmed" and deal["reply"]["kind"] == "confirm"

    mine = ok_json("deals", "--home", market.customer)["deals"]
    assert deal["id"] in {d["id"] for d in mine}
    text = ok("deals", "--home", market.customer, deal["id"][:8]).stdout
    assert "confirmed" in text and "contact=alice@example.org" in text
    # The vendor's node holds the same agreement and learned only these two fields.
    theirs = eventually(
        lambda: [
            d for d in ok_json("deals", "--home", market.vendor)["deals"] if d["id"] == deal["id"]
        ],
        "the vendor records the deal",
    )
    assert theirs[0]["role"] == "vendor"
    assert theirs[0]["disclosed"] == deal["disclosed"]
    error = fails("accept", "--home", market.customer, offer_id[:10], "--disclose", "contact")
    assert "cannot accept offers" in error
    assert "nothing to withdraw" in fails("intent", "withdraw", "--home", market.customer, key)


def test_amend_makes_old_offers_rejected_with_reasons_and_withdraw(market: Market) -> None:
    key = post_phone_intent(market.customer)["key"]
    offers_arrive(market.customer, key)
    amended = ok_json("intent", "amend", "--home", market.customer, key[:8], "--max-price", "500")
    assert amended["intent"]["revision"] == 1
    assert amended["intent"]["terms"]["max_price"] == 50_000
    data = ok_json("offers", "--home", market.customer, key[:8])
    assert data["ranked"] == []
    [rejected] = data["rejected"]
    assert rejected["reasons"] and rejected["explanation"].startswith("Rejected Kiez Phones")
    assert "Rejected offers" in ok("offers", "--home", market.customer, key[:8]).stdout

    text = ok("intent", "withdraw", "--home", market.customer, key[:8], "--reason", "found one")
    assert text.stdout.startswith(f"Withdrew {key[:12]}")
    shown = ok_json("intent", "show", "--home", market.customer, key)["intent"]
    assert shown["state"] == "withdrawn"
    assert "already withdrawn" in fails("intent", "withdraw", "--home", market.customer, key)
    assert "only open intents" in fails(
        "intent", "amend", "--home", market.customer, key, "--title", "x"
    )


def test_post_from_a_file_and_flags_override_it(market: Market, tmp_path: Path) -> None:
    draft = tmp_path / "intent.toml"
    draft.write_text(
        'category = "electronics/phones"\ntitle = "From a file"\nlifetime_days = 2\n'
        '[terms]\nmax_price = "450.00"\ncurrency = "EUR"\nregion = "DE"\n'
        'customer_terms = ["cc:no-tracking"]\n[preferences]\nprice = 80\n'
    )
    intent = ok_json("intent", "post", "--home", market.customer, "--file", draft,
                     "--title", "From a file, amended by a flag")["intent"]  # fmt: skip
    assert intent["title"] == "From a file, amended by a flag"
    assert intent["terms"]["max_price"] == 45_000
    assert intent["preferences"]["price"] == 80
    assert intent["expires"] - intent["created"] == 2 * 86_400
    as_json = tmp_path / "intent.json"
    as_json.write_text(json.dumps({"category": ["home"], "title": "A lamp",
                                   "terms": {"max_price": 3000, "currency": "EUR",
                                             "region": "DE"}}))  # fmt: skip
    assert (
        ok_json("intent", "post", "--home", market.customer, "--file", as_json)["intent"][
            "category"
        ]
        == "home"
    )


def test_bad_intents_and_ids_fail_with_one_clear_line(market: Market) -> None:
    home = market.customer
    base: list[str | Path] = [
        "intent",
        "post",
        "--home",
        home,
        "--category",
        "electronics/phones",
        "--title",
        "x",
    ]
    assert "terms: required" in fails(*base)
    assert "terms.region: required" in fails(*base, "--max-price", "1", "--currency", "EUR")
    assert "terms.currency" in fails(*base, "--max-price", "1", "--currency", "XYZ",
                                     "--region", "DE")  # fmt: skip
    assert "too many decimals" in fails(*base, "--max-price", "1.005", "--currency", "EUR",
                                        "--region", "DE")  # fmt: skip
    assert "category" in fails("intent", "post", "--home", home, "--category", "nonsense",
                               "--title", "x", "--max-price", "1", "--currency", "EUR",
                               "--region", "DE")  # fmt: skip
    assert "not an id" in fails("intent", "show", "--home", home, "xyz!")
    assert "no intent of yours starts with 'ffffffff'" in fails("offers", "--home", home,
                                                                "ffffffff")  # fmt: skip
    assert "no offer you received" in fails("accept", "--home", home, "ffffffff")
    assert "no deal starts with" in fails("deals", "--home", home, "ffffffff")
    # --json does not change how errors look: one line on stderr.
    assert "not an id" in fails("intent", "show", "--home", home, "xyz!", "--json")
    some = ok_json("intent", "list", "--home", home)["intents"][0]["key"]
    assert "nothing to change" in fails("intent", "amend", "--home", home, some)


def test_ambiguous_prefixes_are_refused(market: Market) -> None:
    keys = [i["key"] for i in ok_json("intent", "list", "--home", market.customer)["intents"]]
    prefixes: dict[str, int] = {}
    for key in keys:
        prefixes[key[:4]] = prefixes.get(key[:4], 0) + 1
    shared = next((p for p, n in prefixes.items() if n > 1), None)
    if shared is None:  # 4 hex digits rarely collide; build the API's check directly
        from intentcast.daemon.api import Ambiguous, resolve

        with pytest.raises(Ambiguous, match="give more digits"):
            resolve("abcd", [(bytes.fromhex("abcd01"), 1), (bytes.fromhex("abcd02"), 2)], "x")
        return
    assert "give more digits" in fails("intent", "show", "--home", market.customer, shared)


def test_vendor_run_with_a_catalog_answers_intents(market: Market, tmp_path: Path) -> None:
    """``vendor run --catalog`` is ``node run`` as a vendor with that catalog
    (``run_daemon(catalog=, roles=)``); its offers reach a customer."""
    home = tmp_path / "bikes"
    init(home)  # a customer home: the catalog and role come from the command
    with running(home, catalog=ROOT / "examples" / "catalogs" / "velo-werk.toml",
                 roles=("vendor",)) as shop:  # fmt: skip
        status = ok_json("status", "--home", home)
        assert status["roles"] == ["vendor"] and status["vendor"]["name"] == "Velo Werk"
        ok("peers", "--home", market.customer, "--connect", shop.addrs[0])
        eventually(
            lambda: ok_json("status", "--home", home)["connected_peers"] >= 1,
            "the customer connects",
        )
        # A shop needs a peer that carries intents: a customer takes no part
        # in their gossip (docs/privacy.md, section 10); status says so ...
        assert ok_json("status", "--home", home)["vendor"]["intent_peers"] == 0
        assert "warning   no peer carries intents" in ok("status", "--home", home).stdout
        # ... until another vendor (or a relay) is among its peers.
        ok("peers", "--home", home, "--connect", market.vendor_info.addrs[0])
        eventually(
            lambda: ok_json("status", "--home", home)["vendor"]["intent_peers"] >= 1,
            "the other shop connects",
        )
        assert "no peer carries intents" not in ok("status", "--home", home).stdout
        key = ok_json(
            "intent", "post", "--home", market.customer, "--category", "sports/cycling/bikes",
            "--title", "city bike with basket", "--max-price", "300", "--currency", "EUR",
            "--region", "DE", "--term", "cc:no-tracking",
        )["intent"]["key"]  # fmt: skip
        best = offers_arrive(market.customer, key)["ranked"][0]
        assert best["offer"]["vendor"] == "Velo Werk"


def test_events_long_poll_returns_what_happened_since(market: Market) -> None:
    info = market.customer_info
    good = {"Authorization": f"Bearer {info.token}"}
    last = httpx.get(info.url + "/v1/events?timeout=0", headers=good).json()["last"]
    quiet = httpx.get(info.url + f"/v1/events?since={last}", headers=good).json()
    assert all(e["seq"] > last for e in quiet["events"])  # (a peer may connect meanwhile)
    intent = post_phone_intent(market.customer)
    response = httpx.get(
        info.url + f"/v1/events?since={last}&timeout={PATIENCE}", headers=good, timeout=60
    ).json()
    posted = [e for e in response["events"] if e["kind"] == "intent-posted"]
    assert [e["subject"] for e in posted] == [intent["id"]]
    assert all(e["seq"] > last for e in response["events"])
