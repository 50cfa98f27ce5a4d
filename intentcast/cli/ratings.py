"""``rate``, ``ratings`` and ``ratings reply``: deal-backed ratings from
the command line (docs/daemon.md, "Ratings")."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click

from .common import Client, home_option, json_option, print_answer, short

_STARS = click.FloatRange(0, 5)


@click.command()
@home_option
@json_option
@click.argument("deal")
@click.option("--stars", type=_STARS, required=True, help="Overall, 0-5 (4.5 is fine).")
@click.option("--described", type=_STARS, help="As described, 0-5.")
@click.option("--on-time", type=_STARS, help="On time, 0-5.")
@click.option("--communication", type=_STARS, help="Communication, 0-5.")
@click.option("--text", default="", help="A short text, at most 280 characters.")
def rate(  # noqa: PLR0917  (click passes options positionally)
    home: Path,
    as_json: bool,
    deal: str,
    stars: float,
    described: float | None,
    on_time: float | None,
    communication: float | None,
    text: str,
) -> None:
    """Rate a confirmed DEAL (id or prefix) in public. The rating is signed
    with the deal's one-time intent key and leaves at a random time within
    about two days, so it cannot be tied to you or to when you wrote it.
    Rating a deal again replaces your earlier rating."""
    body: dict[str, Any] = {"stars": stars, "text": text}
    for name, value in (
        ("described", described),
        ("on_time", on_time),
        ("communication", communication),
    ):
        if value is not None:
            body[name] = value
    print_answer(Client(home).post(f"/v1/deals/{deal}/rate", body), as_json, _print_rated)


def _print_rated(data: dict[str, Any]) -> None:
    r = data["rating"]
    when = datetime.datetime.fromtimestamp(r["send_at"], datetime.UTC).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"rated deal {short(r['deal'])}: {r['stars']:.2f} stars; "
        f"it leaves at a random time, this one {when} UTC"
    )


def print_ratings(data: dict[str, Any]) -> None:
    s = data["standing"]
    named = f"{s['name']} ({short(s['vendor_key'])})" if s.get("name") else short(s["vendor_key"])
    click.echo(f"vendor {named}: {s['line']}")
    own = s["own_deals"]
    if any(own.values()):
        click.echo(
            f"  your own deals with it: {own['confirmed']} confirmed, {own['declined']} declined, "
            f"{own['pending']} unanswered"
        )
    for r in data["ratings"]:
        dims = ", ".join(f"{k} {v:.2f}" for k, v in r["dimensions"].items())
        click.echo(f"  {short(r['deal'])}  {r['stars']:.2f} stars" + (f" ({dims})" if dims else ""))
        if r["text"]:
            click.echo(f"      {r['text']}")
        if r["reply"]:
            click.echo(f"      reply: {r['reply']}")


@click.group(invoke_without_command=True)
@home_option
@json_option
@click.option("--vendor", help="A vendor's key (default: this node's own vendor).")
@click.pass_context
def ratings(ctx: click.Context, home: Path, as_json: bool, vendor: str | None) -> None:
    """A vendor's verified ratings and standing (this node's own vendor
    unless --vendor names another), or reply to one."""
    if ctx.invoked_subcommand is not None:
        return
    query = f"?vendor={vendor}" if vendor else ""
    print_answer(Client(home).get(f"/v1/ratings{query}"), as_json, print_ratings)


@ratings.command()
@home_option
@json_option
@click.argument("deal")
@click.argument("text")
def reply(home: Path, as_json: bool, deal: str, text: str) -> None:
    """Reply in public to the rating of your DEAL (id or prefix); a later
    reply replaces it."""
    data = Client(home).post(f"/v1/ratings/{deal}/reply", {"text": text})
    print_answer(data, as_json, _print_replied)


def _print_replied(data: dict[str, Any]) -> None:
    click.echo(f"replied to the rating of deal {short(data['reply']['deal'])}")
