"""What a new user tripped over (issue 19), each through the real CLI
against real daemons on 127.0.0.1: no-offer hints, an honest ``peers
--connect``, ``init`` that checks, flag names in errors, a second daemon,
unknown config keys, ``accept --price``, the small things."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from intentcast.cli import main
from intentcast.daemon.config import ConfigError, Settings, load_settings, render_config
from intentcast.daemon.layout import Home
from intentcast.daemon.process import DaemonInfo, run_daemon
from intentcast.matching.constraints import accept_terms
from intentcast.matching.hints import KnownVendor, default_payment_modes, why_no_offers
from intentcast.protocol import Terms

from .test_commands import (
    KIEZ,
    PATIENCE,
    cli,
    eventually,
    fails,
    init,
    offers_arrive,
    ok,
    ok_json,
    running,
)

Haggle = tuple[Path, Path, DaemonInfo]

#: A shop that takes pay-on-delivery, and name-your-price down to a floor.
HAGGLE = """
[shop]
name = "Haggle Phones"
currency = "EUR"
ships_to = ["DE"]
delivery_days = 2
payment_modes = ["pay-on-delivery"]

[[item]]
sku = "px8"
category = "electronics/phones"
title = "Google Pixel 8, 128 GB"
keywords = ["pixel", "google", "phone"]
attributes = { brand = "google", storage_gb = 128 }
price = 50000
floor = 42000
stock = 5
"""


@pytest.fixture(scope="module")
def haggle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Haggle]:
    tmp = tmp_path_factory.mktemp("haggle")
    catalog = tmp / "haggle.toml"
    catalog.write_text(HAGGLE)
    shop, customer = tmp / "shop", tmp / "customer"
    init(shop, "--role", "vendor", "--catalog", catalog)
    with running(shop) as shop_info:
        init(customer, "--bootstrap", shop_info.addrs[0])
        with running(customer) as customer_info:
            eventually(
                lambda: ok_json("status", "--home", customer)["connected_peers"] >= 1,
                "the customer connects",
            )
            yield customer, shop, customer_info


def post(home: Path, *extra: str) -> Any:
    return ok_json(
        "intent", "post", "--home", home, "--category", "electronics/phones",
        "--title", "Google Pixel 8, 128 GB", "--attr", "brand=google",
        "--max-price", "600", "--currency", "eur", "--region", "DE", *extra,
    )  # fmt: skip


# --- 1. why no offers ----------------------------------------------------------------


def vendor(name: str, *modes: str, terms: tuple[str, ...] = (), ships: str = "DE") -> KnownVendor:
    return KnownVendor(
        key=name.encode().ljust(32, b"."),
        name=name,
        payment_modes=frozenset(modes),
        customer_terms=frozenset(terms),
        ships_to=frozenset({ships}),
        categories=frozenset({"services/repair"}),
    )


def test_hints_name_the_choices_fewer_known_vendors_accept() -> None:
    vendors = [
        vendor("a", "pay-after-delivery", terms=("cc:no-tracking",)),
        vendor("b", "pay-after-delivery", "pay-on-delivery"),
        vendor("c", "prepay", "pay-after-delivery", ships="FR"),
    ]
    assert default_payment_modes(vendors) == ("pay-after-delivery",)
    assert default_payment_modes([]) is None
    terms = Terms(max_price=8000, currency="EUR", region="DE", customer_terms=("cc:no-tracking",))
    hints = why_no_offers(terms, ("services", "repair"), vendors)
    by_field = {h.field: h for h in hints}
    pay = by_field["payment_modes"]
    assert (pay.value, pay.accepted_by, pay.instead, pay.instead_accepted_by) == (
        "prepay",
        1,
        "pay-after-delivery",
        3,
    )
    assert "1 of the 3 vendors your node knows take prepay" in pay.message
    assert by_field["customer_terms"].accepted_by == 1
    assert by_field["region"].accepted_by == 2
    assert "category" not in by_field  # all three answered in services/repair
    assert [h.accepted_by for h in hints] == sorted(h.accepted_by for h in hints)


def test_a_post_with_no_offers_says_what_kept_them_away(haggle: Haggle) -> None:
    customer, _, _ = haggle
    # The node learns the shop from its offer (no prepay) ...
    key = post(customer, "--pay", "pay-on-delivery")["intent"]["key"]
    offers_arrive(customer, key)
    # ... so a post that names another mode, and a term it never agreed to,
    # gets hints naming both, from what the node knew already.
    result = ok(
        "intent", "post", "--home", customer, "--category", "electronics/phones",
        "--title", "Google Pixel 8, 128 GB", "--max-price", "600", "--currency", "EUR",
        "--region", "DE", "--pay", "prepay", "--term", "cc:no-profiling", "--wait", "1",
    )  # fmt: skip
    out = result.stdout
    assert "No offers." in out
    assert "payment: 0 of the 1 vendor your node knows take prepay" in out
    assert "try --pay pay-on-delivery" in out
    assert "term cc:no-profiling: 0 of the 1 vendor" in out


def test_payment_modes_default_to_the_one_most_known_vendors_take(haggle: Haggle) -> None:
    customer, _, _ = haggle
    key = post(customer, "--pay", "pay-on-delivery")["intent"]["key"]
    offers_arrive(customer, key)  # the node now knows the shop
    answer = post(customer)
    modes = ["pay-on-delivery"]  # what the shop's offer said it takes
    assert answer["defaults"] == {"payment_modes": modes}
    assert answer["intent"]["terms"]["payment_modes"] == modes
    text = ok(
        "intent", "post", "--home", customer, "--category", "electronics/phones",
        "--title", "x phone", "--max-price", "600", "--currency", "EUR", "--region", "DE",
    ).stdout  # fmt: skip
    assert "--pay pay-on-delivery chosen for you" in text


def test_with_no_known_vendor_the_default_is_named_as_chosen(tmp_path: Path) -> None:
    home = tmp_path / "alone"
    init(home)
    with running(home):
        out = ok(
            "intent", "post", "--home", home, "--category", "services/repair",
            "--title", "bike brake repair", "--max-price", "80", "--currency", "EUR",
            "--region", "DE", "--deliver-within", "7", "--wait", "0.5",
        ).stdout  # fmt: skip
    assert "--pay prepay chosen for you" in out
    assert "prepay was chosen for you by default (--pay not given)" in out
    assert "your node knows no vendors yet" in out


# --- 2. peers --connect ----------------------------------------------------------------


def test_connect_to_a_connected_peer_by_a_dead_address_is_not_reported_as_a_dial(
    haggle: Haggle,
) -> None:
    customer, _, _ = haggle
    shop_peer = ok_json("peers", "--home", customer)["connected"][0]["peer_id"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"/ip4/127.0.0.1/tcp/{s.getsockname()[1]}/p2p/{shop_peer}"
    error = fails("peers", "--home", customer, "--connect", dead)
    assert "cannot reach" in error and "connected by another address" in error
    known = ok_json("peers", "--home", customer)["known"]
    assert not any(dead in p["addrs"] for p in known)
    shop_addr = ok_json("status", "--home", haggle[1])["addrs"][0]
    text = ok("peers", "--home", customer, "--connect", shop_addr).stdout
    assert text.startswith(f"already connected to {shop_peer}")
    assert "not dialled" in text


def test_a_malformed_peer_address_is_invalid_not_a_network_error(haggle: Haggle) -> None:
    import httpx

    info: DaemonInfo = haggle[2]
    good = {"Authorization": f"Bearer {info.token}"}
    for addr in ("nonsense", "/ip4/1.2.3.4", "/ip4/127.0.0.1/tcp/1/p2p/xyz"):
        response = httpx.post(info.url + "/v1/peers", headers=good, json={"addr": addr})
        assert response.status_code == 400, (addr, response.text)
        assert response.json()["error"]["code"] == "invalid"


# --- 3. init checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--listen", "notamultiaddr"), "'notamultiaddr' is not a listen address"),
        (("--listen", "/ip4/127.0.0.1/udp/4001"), "is not a listen address"),
        (("--bootstrap", "/ip4/127.0.0.1/tcp/4001"), "is not a peer address"),
        (("--catalog", "/nonexistent.toml"), "cannot read the catalog /nonexistent.toml"),
    ],
)
def test_init_refuses_what_node_run_would(
    tmp_path: Path, flags: tuple[str, ...], named: str
) -> None:
    home = tmp_path / "home"
    assert named in fails("init", "--home", home, *flags)
    assert not (home / "config.toml").exists()


def test_init_writes_the_offer_buckets_the_node_then_follows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for value, named in (("0", "0 is not in the range 1<=x<=16"), ("all", "'all' is not")):
        result = cli("init", "--home", home, "--offer-buckets", value)
        assert result.exit_code == 2 and named in result.stderr, result.stderr
        assert not (home / "config.toml").exists()
    ok("init", "--home", home, "--offer-buckets", "16")
    assert load_settings(Home(home)).offer_buckets == 16
    assert load_settings(Home(home)).offer_feed is True  # the default
    ok("init", "--home", home, "--force", "--no-offer-feed")
    assert load_settings(Home(home)).offer_feed is False


def test_init_refuses_an_invalid_catalog(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[shop]\nname = "x"\n[[item]]\nsku = "a"\n')
    assert "bad.toml" in fails("init", "--home", tmp_path / "home", "--catalog", bad)


def test_a_bad_bootstrap_in_config_stops_node_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init(home)
    config = home / "config.toml"
    config.write_text(config.read_text().replace("bootstrap = []", 'bootstrap = ["/ip4/1.2.3.4"]'))
    assert "is not a peer address" in fails("node", "run", "--home", home)


# --- 4. errors name flags ----------------------------------------------------------------


def test_errors_name_flags_and_valid_values_are_listed(haggle: Haggle) -> None:
    customer = haggle[0]
    base = ["intent", "post", "--home", str(customer), "--category", "electronics/phones",
            "--title", "x"]  # fmt: skip
    error = fails(*base, "--max-price", "-5", "--currency", "EUR", "--region", "DE")
    assert error == "Error: --max-price: '-5' is negative; give 0 or more"
    assert "give --max-price, --currency and --region" in fails(*base)
    assert "give --region" in fails(*base, "--max-price", "5", "--currency", "EUR")
    assert "give --currency" in fails(*base, "--max-price", "5", "--currency", "XYZ",
                                      "--region", "DE")  # fmt: skip
    assert post(customer)["intent"]["terms"]["currency"] == "EUR"  # given as "eur"
    help_text = ok("intent", "post", "--help").stdout
    assert "pay-after-delivery" in help_text and "cc:no-tracking" in help_text
    assert "Invalid value for '--pay'" in cli(*base, "--pay", "cash").stderr


# --- 5. a second daemon ----------------------------------------------------------------


def test_a_second_daemon_is_told_a_node_runs_not_that_a_port_is_taken(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ok("init", "--home", home, "--listen", f"/ip4/127.0.0.1/tcp/{port}", "--api-port", "0")
    with running(home):
        error = fails("node", "run", "--home", home)
        assert "already running" in error and "Address already in use" not in error


def test_a_taken_api_port_stops_the_daemon_before_the_node_starts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        init_args = ("--listen", "/ip4/127.0.0.1/tcp/0", "--api-port", str(port))
        ok("init", "--home", home, *init_args)
        ready = threading.Event()
        with pytest.raises(Exception, match=f"cannot listen on 127.0.0.1:{port}"):
            run_daemon(home, handle_signals=False, on_ready=lambda _: ready.set())
        assert not ready.is_set()


# --- 6. unknown config keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[node]\ncolour = "blue"\n', "unknown key colour in [node]; its keys are roles"),
        ("[api]\nport = 0\nhost = 1\n", "unknown key host in [api]"),
        ('colour = "blue"\n', "unknown table [colour]"),
        ("[nodes]\nroles = []\n", "unknown table [nodes]"),
    ],
)
def test_unknown_config_keys_are_named(tmp_path: Path, text: str, named: str) -> None:
    home = Home(tmp_path)
    home.config.write_text(text)
    with pytest.raises(ConfigError, match=r"config\.toml") as caught:
        load_settings(home)
    assert named in str(caught.value)


def test_the_written_config_keeps_its_comments_and_reads_back(tmp_path: Path) -> None:
    import tomlkit

    text = render_config(load_settings_default())
    doc = tomlkit.parse(text)
    doc["api"]["port"] = 7700
    again = tomlkit.dumps(doc)
    assert "# The local HTTP API listens on 127.0.0.1 only" in again
    home = Home(tmp_path)
    home.config.write_text(again)
    assert load_settings(home).api_port == 7700


def load_settings_default() -> Settings:
    return Settings()


# --- 7. accept with a price ----------------------------------------------------------------


def test_accept_pays_the_floor_the_ranking_showed_or_the_price_named(haggle: Haggle) -> None:
    customer = haggle[0]
    key = post(customer, "--pay", "name-your-price")["intent"]["key"]
    best = offers_arrive(customer, key)["ranked"][0]
    assert "420.00 EUR" in best["explanation"]  # the floor is what it is ranked at
    deal = ok_json("accept", "--home", customer, best["offer"]["id"][:10])["deal"]
    assert (deal["payment_mode"], deal["price"]) == ("name-your-price", 42_000)

    key = post(customer, "--pay", "name-your-price")["intent"]["key"]
    offer = offers_arrive(customer, key)["ranked"][0]["offer"]["id"]
    error = fails("accept", "--home", customer, offer[:10], "--price", "400")
    assert "outside" in error or "refused" in error
    deal = ok_json("accept", "--home", customer, offer[:10], "--price", "450.50")["deal"]
    assert (deal["payment_mode"], deal["price"]) == ("name-your-price", 45_050)
    assert deal["price_text"] == "450.50 EUR"


def test_accept_terms_follow_the_ranking() -> None:
    from intentcast.protocol import Offer

    class FakeOffer:  # only the fields accept_terms reads
        price = 500
        price_floor = 420
        payment_modes = ("name-your-price", "prepay")

    o: Offer = FakeOffer()  # type: ignore[assignment]
    assert accept_terms(o, ("name-your-price",), None, None) == ("name-your-price", 420)
    assert accept_terms(o, ("prepay",), None, None) == ("prepay", 500)
    assert accept_terms(o, ("prepay", "name-your-price"), "prepay", None) == ("prepay", 500)
    assert accept_terms(o, ("name-your-price",), None, 450) == ("name-your-price", 450)


# --- 9. small things ----------------------------------------------------------------


def test_status_counts_offers_in_good_english(haggle: Haggle) -> None:
    shop = haggle[1]
    text = ok("status", "--home", shop).stdout
    made = ok_json("status", "--home", shop)["vendor"]["offers_made"]
    assert (f"{made} offer made" if made == 1 else f"{made} offers made") in text


def test_the_offers_table_has_whole_headers_and_agrees_with_why(haggle: Haggle) -> None:
    customer = haggle[0]
    key = post(customer, "--pay", "name-your-price")["intent"]["key"]
    best = offers_arrive(customer, key)["ranked"][0]
    text = ok("offers", "--home", customer, key[:8]).stdout
    header = next(line for line in text.splitlines() if "score" in line and "offer" in line)
    assert header.split().count("price") == 1
    for name in ("reputation", "attributes", "cost"):
        assert name in header
    row = next(line for line in text.splitlines() if best["offer"]["id"][:12] in line)
    for name in ("price", "speed", "reputation", "terms", "attributes"):
        shown = best["shown"][name]
        assert shown in row.split()
        assert f"{name} {shown}/" in best["explanation"]
    assert "\x1b[" not in text  # not a terminal: no escape codes


def test_no_color_and_shell_completion() -> None:
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(main, ["--help"])
    assert "\x1b[" not in result.stdout
    script = CliRunner(env={"_INTENTCAST_COMPLETE": "bash_source"}).invoke(
        main, [], prog_name="intentcast"
    )
    assert "_INTENTCAST_COMPLETE=bash_complete" in script.stdout


def test_the_license_is_mit() -> None:
    from .test_commands import ROOT

    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "the intentcast authors" in text


_ = (KIEZ, PATIENCE)
