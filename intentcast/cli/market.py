"""``offers``, ``accept`` and ``deals``: the customer's side of the market,
and the views ``intent post --wait`` shares."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from .common import Client, home_option, json_option, plural, print_json, short

_CRITERIA = ("price", "speed", "reputation", "terms", "attributes")


def print_offers(data: dict[str, Any]) -> None:
    """The ranked table (score breakdown, explanation) and the rejected offers."""
    intent = data["intent"]
    terms = intent["terms"]
    click.echo(
        click.style("Ranked offers", bold=True)
        + f" for {short(intent['key'])} {intent['title']!r} (at most {terms['max_price_text']}"
        + (f"; {', '.join(terms['customer_terms'])}" if terms["customer_terms"] else "")
        + ")"
    )
    if not data["ranked"]:
        click.echo("  none yet")
    else:
        header = "  ".join(f"{c[:5]:>5}" for c in _CRITERIA)
        click.echo(
            f"  {'#':>2}  {'offer':12}  {'vendor':20}  {'price':>13}  {'score':>5}  {header}"
        )
        for r in data["ranked"]:
            o = r["offer"]
            parts = "  ".join(f"{r['breakdown'][c]:5.1f}" for c in _CRITERIA)
            click.echo(
                f"  {r['rank']:>2}  {short(o['id']):12}  {o['vendor'][:20]:20}  "
                f"{o['price_text']:>13}  {r['score']:5.1f}  {parts}"
            )
        click.echo("  Why:")
        for r in data["ranked"]:
            click.echo(f"    {r['explanation']}")
    if data["rejected"]:
        click.echo(click.style("Rejected offers", bold=True))
        for r in data["rejected"]:
            click.echo(f"  {short(r['offer']['id'])}  {r['explanation']}")


def wait_for_offers(client: Client, key: str, since: int, seconds: float) -> dict[str, Any]:
    """Show offers for intent ``key`` as they arrive for up to ``seconds``
    (on a terminal, with a countdown line); returns the final ranking."""
    live = sys.stderr.isatty()
    deadline = time.monotonic() + seconds
    seen: set[str] = set()
    started = time.monotonic()

    def progress(left: float) -> None:
        if live:
            bar = "#" * round(20 * (1 - left / seconds))
            click.echo(
                f"\r  [{bar:20}] {left:4.1f} s left, {plural(len(seen), 'offer')} ",
                nl=False,
                err=True,
            )

    click.echo(f"Waiting {seconds:.0f} s for offers...", err=True)
    while (left := deadline - time.monotonic()) > 0:
        progress(left)
        events, since = client.events(since, min(left, 0.5 if live else 5.0))
        if not any(e["kind"] == "offer-received" for e in events):
            continue
        data = client.get(f"/v1/intents/{key}/offers")
        for entry in [*data["ranked"], *data["rejected"]]:
            offer = entry["offer"]
            if offer["id"] not in seen:
                seen.add(offer["id"])
                click.echo(
                    ("\r\x1b[K" if live else "")
                    + f"  [{time.monotonic() - started:5.1f} s] offer {len(seen)}: "
                    f"{offer['vendor']}, {offer['item']['title']}, {offer['price_text']}",
                    err=True,
                )
    if live:
        click.echo("\r\x1b[K", nl=False, err=True)
    click.echo(f"{plural(len(seen), 'offer')} in {seconds:.0f} s.", err=True)
    final: dict[str, Any] = client.get(f"/v1/intents/{key}/offers")
    return final


@click.command()
@home_option
@json_option
@click.argument("intent")
def offers(home: Path, as_json: bool, intent: str) -> None:
    """Offers for INTENT (id or prefix): ranked, with score breakdown, and
    rejected, with reasons."""
    data = Client(home).get(f"/v1/intents/{intent}/offers")
    if as_json:
        print_json(data)
    else:
        print_offers(data)


def print_deal(d: dict[str, Any]) -> None:
    """One deal: what, from whom, its state, what was disclosed, the answer."""
    o = d["offer"]
    click.echo(
        f"{short(d['id'])}  {d['state']:9}  {d['role']:8}  {o['vendor']}: {o['item']['title']}, "
        f"{d['price_text']} ({d['payment_mode']})"
    )
    disclosed = ", ".join(f"{k}={v}" for k, v in sorted(d["disclosed"].items()))
    click.echo(f"    disclosed: {disclosed or 'nothing'}")
    if d["reply"] is not None:
        click.echo(f"    {d['reply']['kind']}: {d['reply']['text']}")


@click.command()
@home_option
@json_option
@click.argument("offer")
@click.option(
    "--disclose",
    default="",
    help="What the vendor may learn: names from [profile] in config.toml "
    "(contact,shipping) or name=value pairs, comma separated.",
)
@click.option("--payment-mode", help="Payment mode (default: the first both sides accept).")
@click.option(
    "--wait",
    type=click.FloatRange(0, 300),
    default=0,
    help="Seconds to wait for the vendor to confirm or decline.",
)
def accept(  # noqa: PLR0917  (click passes options positionally)
    home: Path, as_json: bool, offer: str, disclose: str, payment_mode: str | None, wait: float
) -> None:
    """Accept OFFER (id or prefix), disclosing only what --disclose names."""
    client = Client(home)
    since = client.events(0, 0)[1]
    body: dict[str, Any] = {"disclose": [d.strip() for d in disclose.split(",") if d.strip()]}
    if payment_mode:
        body["payment_mode"] = payment_mode
    deal = client.post(f"/v1/offers/{offer}/accept", body)["deal"]
    deadline = time.monotonic() + wait
    while deal["reply"] is None and (left := deadline - time.monotonic()) > 0:
        events, since = client.events(since, min(left, 5.0))
        if any(e["kind"] in ("deal-confirmed", "deal-declined") for e in events):
            deal = client.get(f"/v1/deals/{deal['id']}")["deal"]
    if as_json:
        print_json({"deal": deal})
        return
    print_deal(deal)
    if deal["reply"] is None:
        click.echo(f"Waiting for the vendor; see: intentcast deals {short(deal['id'])}")


@click.command()
@home_option
@json_option
@click.argument("deal", required=False)
def deals(home: Path, as_json: bool, deal: str | None) -> None:
    """Your deals (as customer and as vendor), or one DEAL by id or prefix."""
    client = Client(home)
    data = client.get(f"/v1/deals/{deal}") if deal else client.get("/v1/deals")
    if as_json:
        print_json(data)
        return
    found = [data["deal"]] if deal else data["deals"]
    if not found:
        click.echo("no deals yet")
    for d in found:
        print_deal(d)
