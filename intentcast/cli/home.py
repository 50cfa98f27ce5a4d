"""``intentcast init``, ``node run|stop``, ``vendor run``, ``status``, ``peers``."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from .common import (
    Client,
    NodeNotRunning,
    default_home,
    home_option,
    json_option,
    plural,
    print_answer,
    short,
)


@click.command()
@home_option
@click.option(
    "--role",
    "roles",
    type=click.Choice(["customer", "vendor", "relay"]),
    multiple=True,
    help="What the node does (repeatable). Default: customer.",
)
@click.option(
    "--listen",
    multiple=True,
    help="libp2p listen multiaddr (repeatable). Default: /ip4/0.0.0.0/tcp/4001.",
)
@click.option(
    "--bootstrap", multiple=True, help="Peer multiaddr ending in /p2p/<id> to keep connected."
)
@click.option(
    "--api-port",
    type=click.IntRange(0, 65535),
    default=7646,
    show_default=True,
    help="Port of the local API on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Vendor catalog (TOML) for the vendor role.",
)
@click.option(
    "--confirm",
    type=click.Choice(["auto", "manual"]),
    default="auto",
    show_default=True,
    help="Who answers accepts of the vendor's offers: the catalog or bot (auto), or you "
    "(manual: in the web app's Vendor page or with intentcast deals DEAL --confirm).",
)
@click.option(
    "--offer-feed/--no-offer-feed",
    default=True,
    show_default=True,
    help="Take every offer, once, from one relay's or vendor's feed and follow no offer "
    "topic: no topic links two of your intents, at about the bytes of following 2. "
    "--no-offer-feed: follow --offer-buckets topics instead. docs/privacy.md, section 12.",
)
@click.option(
    "--offer-buckets",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="With --no-offer-feed: how many of the 16 offer topics the customer follows. "
    "More: two of your intents are harder to link by the topic their offers come on "
    "(16: not at all), at more bandwidth (16: about 10 times that of 2). "
    "docs/privacy.md, section 11.",
)
@click.option("--force", is_flag=True, help="Replace an existing home; its keys are lost.")
def init(  # noqa: PLR0917  (click passes options positionally)
    home: Path,
    roles: tuple[str, ...],
    listen: tuple[str, ...],
    bootstrap: tuple[str, ...],
    api_port: int,
    catalog: Path | None,
    confirm: str,
    offer_feed: bool,
    offer_buckets: int,
    force: bool,
) -> None:
    """Create a node home: key files (mode 0600), config.toml, database."""
    from intentcast.daemon.config import DEFAULT_LISTEN  # noqa: PLC0415
    from intentcast.daemon.errors import DaemonError  # noqa: PLC0415
    from intentcast.daemon.home import init_home  # noqa: PLC0415

    try:
        created = init_home(
            home,
            roles=roles or ("customer",),
            listen=listen or DEFAULT_LISTEN,
            bootstrap=bootstrap,
            api_port=api_port,
            catalog=catalog.resolve() if catalog is not None else None,
            force=force,
            confirm=confirm,
            offer_buckets=offer_buckets,
            offer_feed=offer_feed,
        )
    except DaemonError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot create {home}: {exc.strerror}") from None
    click.echo(f"Created a node home in {created.path}")
    click.echo(f"  keys:   {created.customer_key.name}, {created.vendor_key.name} (mode 0600)")
    click.echo(f"  config: {created.config}")
    click.echo("Start the node with: intentcast node run" + _home_flag(created.path))


def _home_flag(home: Path) -> str:
    return "" if Path(home) == default_home().expanduser().resolve() else f" --home {home}"


def _logging(verbose: bool) -> None:
    """Readable logs on stderr (debug with ``--verbose``)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("hypercorn", "libp2p", "multiaddr", "intentcast.daemon.api.server", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(home: Path, verbose: bool, bot: Path | None = None, **overrides: Any) -> None:
    """Run the daemon over ``home`` (with the vendor bot in ``bot``, if given)."""
    from intentcast.daemon.errors import DaemonError  # noqa: PLC0415
    from intentcast.daemon.process import run_daemon  # noqa: PLC0415
    from intentcast.sdk import BotError, BotLoadError, run_bot  # noqa: PLC0415
    from intentcast.store import StoreError  # noqa: PLC0415

    _logging(verbose)
    try:
        if bot is not None:
            run_bot(home, bot)
        else:
            run_daemon(home, **overrides)
    except (DaemonError, StoreError, BotError, BotLoadError) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:  # Ctrl-C before the node was up (after: a clean stop)
        raise click.exceptions.Exit(130) from None


@click.group()
def node() -> None:
    """Run and stop the node daemon."""


@node.command("run")
@home_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logs.")
def node_run(home: Path, verbose: bool) -> None:
    """Run the node and its local API in the foreground (Ctrl-C stops it)."""
    _run(home, verbose)


@node.command("stop")
@home_option
def node_stop(home: Path) -> None:
    """Stop the running node daemon."""
    client = Client(home)
    client.post("/v1/stop")
    deadline = time.monotonic() + 30
    while client.cookie.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    click.echo("The node stopped." if not client.cookie.exists() else "The node is stopping.")


@click.group()
def vendor() -> None:
    """Run a vendor node that answers intents."""


@vendor.command("run")
@home_option
@click.argument("bot", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer from this TOML catalog (a no-code shop).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logs.")
def vendor_run(home: Path, bot: Path | None, catalog: Path | None, verbose: bool) -> None:
    """Run this home's node as a vendor: a Python bot (BOT.py, see docs/bots.md)
    or a TOML catalog (--catalog)."""
    if bot is not None and catalog is not None:
        raise click.UsageError("give a BOT.py or --catalog, not both")
    if bot is not None:
        _run(home, verbose, bot=bot)
        return
    if catalog is None:
        raise click.UsageError("give the bot or catalog to answer from: BOT.py or --catalog FILE")
    _run(home, verbose, catalog=catalog.resolve(), roles=("vendor",))


@vendor.command("attach")
@home_option
@click.argument("bot", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="Debug logs.")
def vendor_attach(home: Path, bot: Path, verbose: bool) -> None:
    """Answer the intents of the node already running over this home with
    the Python bot BOT.py (see docs/bots.md). The node must run the vendor
    role without a catalog; the bot keeps running across node restarts
    (Ctrl-C detaches it)."""
    from intentcast.sdk import (  # noqa: PLC0415  (trio only when attaching)
        AttachError,
        BotError,
        BotLoadError,
        DaemonNotRunning,
        attach_bot,
    )

    _logging(verbose)
    try:
        attach_bot(home, bot)
    except DaemonNotRunning as exc:
        raise NodeNotRunning(str(exc)) from None
    except (AttachError, BotError, BotLoadError) as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        raise click.exceptions.Exit(130) from None


@click.command()
@home_option
@json_option
def status(home: Path, as_json: bool) -> None:
    """The running node at a glance."""
    print_answer(Client(home).get("/v1/status"), as_json, _print_status)


def _print_status(data: dict[str, Any]) -> None:
    roles = ", ".join(data["roles"])
    click.echo(f"node      {data['peer_id']} ({roles}), up {data['uptime_seconds']:.0f} s")
    for addr in data["addrs"]:
        click.echo(f"address   {addr}")
    click.echo(f"peers     {data['connected_peers']} connected")
    intents = ", ".join(f"{n} {state}" for state, n in sorted(data["intents"].items()))
    deals = ", ".join(f"{n} {state}" for state, n in sorted(data["deals"].items()))
    click.echo(f"intents   {intents or 'none'}")
    click.echo(f"deals     {deals or 'none'}")
    if data.get("offer_feed") is not None:
        click.echo(f"privacy   {offer_feed_line(data['offer_feed']['source'])}")
    elif data.get("offer_buckets") is not None:
        click.echo(f"privacy   {offer_topics_line(len(data['offer_buckets']))}")
    v = data["vendor"]
    if v is not None and v["bot"] is not None and not v["bot"]["attached"]:
        click.echo(
            f"vendor    waiting for a bot (intentcast vendor attach BOT.py), "
            f"{plural(v['offers_made'], 'offer')} made"
        )
    elif v is not None:
        how = " (attached bot)" if v["bot"] is not None else ""
        click.echo(
            f"vendor    {v['name']}{how} in {', '.join(v['categories'])}, "
            f"{plural(v['offers_made'], 'offer')} made"
        )
    if v is not None and data["connected_peers"] and not v.get("intent_peers"):
        click.echo(
            "warning   no peer carries intents (customers take no part in their gossip): "
            "this shop hears none; connect a relay or another vendor "
            "(intentcast peers --connect ADDR)"
        )
    click.echo(f"home      {data['home']}")


def offer_feed_line(source: str | None) -> str:
    """What taking the offers from a feed means (docs/privacy.md, section 12)."""
    where = f"from {source}" if source else "none yet: waiting for a relay or vendor peer"
    return f"takes every offer from a feed ({where}): no topic links your intents"


def offer_topics_line(followed: int) -> str:
    """What following ``followed`` of the offer bucket topics means for the
    customer's intents (docs/privacy.md, section 11)."""
    from intentcast.peer.topics import BUCKETS  # noqa: PLC0415

    if followed >= BUCKETS:
        return f"follows all {BUCKETS} offer topics: no topic links your intents"
    return (
        f"follows {followed} of {BUCKETS} offer topics: two of your intents share one "
        f"{BUCKETS / followed:.3g} times as often as two strangers' "
        "(more: [privacy] offer_buckets in config.toml)"
    )


@click.command()
@home_option
@json_option
@click.option("--connect", "addr", help="Dial this peer multiaddr (ending in /p2p/<id>) first.")
def peers(home: Path, as_json: bool, addr: str | None) -> None:
    """Connected, known and banned peers."""
    client = Client(home)
    if addr is not None:
        answer = client.post("/v1/peers", {"addr": addr})
        if not as_json and answer.get("already_connected"):
            click.echo(
                f"already connected to {answer['peer_id']}; {addr} answers, but was not "
                "dialled (libp2p keeps one connection per peer) and is not stored"
            )
        elif not as_json:
            click.echo(f"connected to {answer['peer_id']}")
    print_answer(client.get("/v1/peers"), as_json, _print_peers)


def _print_peers(data: dict[str, Any]) -> None:
    click.echo(f"{len(data['connected'])} connected")
    for p in data["connected"]:
        click.echo(f"  {p['peer_id']}  {' '.join(p['addrs'])}")
    others = [p for p in data["known"] if not p["connected"]]
    if others:
        click.echo(f"{len(others)} known, not connected")
        for p in others:
            click.echo(f"  {p['peer_id']}  failures {p['failures']}")
    for p in data["banned"]:
        click.echo(f"banned {short(p['peer_id'])} for {p['seconds_left']} s more")
