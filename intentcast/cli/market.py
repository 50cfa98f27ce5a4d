"""``offers``, ``accept`` and ``deals``: the customer's side of the market,
and the views ``intent post --wait`` shares."""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from intentcast.protocol.vocab import PAYMENT_MODES

from .common import (
    Client,
    check_amount,
    console,
    home_option,
    json_option,
    plural,
    print_answer,
    print_each,
    print_json,
    short,
    table,
)

_CRITERIA = ("price", "speed", "reputation", "terms", "attributes")
_RIGHT = ("  #", "cost", "score", *_CRITERIA)


def print_offers(data: dict[str, Any]) -> None:
    """The ranked table (score breakdown, explanation) and the rejected offers."""
    intent = data["intent"]
    terms = intent["terms"]
    out = console()
    out.print(
        "[bold]Ranked offers[/bold]"
        + escape(
            f" for {short(intent['key'])} {intent['title']!r} (at most {terms['max_price_text']}"
            + (f"; {', '.join(terms['customer_terms'])}" if terms["customer_terms"] else "")
            + ")"
        )
    )
    if not data["ranked"]:
        out.print("  none yet")
    else:
        # The money column is "cost" and the score's parts keep their whole
        # names: one "price" column, nothing cut to five letters.
        rows = table("  #", "offer", "vendor", "cost", "score", *_CRITERIA, right=_RIGHT)
        for r in data["ranked"]:
            o = r["offer"]
            shown = r["shown"]
            rows.add_row(
                f"  {r['rank']}",
                short(o["id"]),
                escape(o["vendor"][:30]),
                o["price_text"],
                shown["score"],
                *(shown[c] for c in _CRITERIA),
            )
        out.print(rows)
        out.print("  Why:")
        for r in data["ranked"]:
            out.print(escape(f"    {r['explanation']}"))
            if r.get("vendor_rating"):
                out.print(escape(f"      {r['offer']['vendor']}: {r['vendor_rating']}"))
    if data["rejected"]:
        out.print("[bold]Rejected offers[/bold]")
        for r in data["rejected"]:
            out.print(escape(f"  {short(r['offer']['id'])}  {r['explanation']}"))


#: Flags of ``intent post`` for each field a hint names.
HINT_FLAGS = {
    "payment_modes": "--pay",
    "customer_terms": "--term",
    "region": "--region",
    "category": "--category",
}


def print_no_offer_hints(data: dict[str, Any], defaulted: dict[str, Any]) -> None:
    """After a wait with no offer: which of the post's choices (and the
    defaults chosen for it) fewer vendors this node knows accept. Only what
    the node knows already; nothing is asked of any vendor."""
    out = console()
    out.print("[bold]No offers.[/bold] What may keep vendors away:")
    for name, value in defaulted.items():
        flag = HINT_FLAGS.get(name, name)
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        out.print(
            escape(
                f"  - {shown} was chosen for you by default ({flag} not given); a vendor "
                f"that takes none of it stays silent: give {flag} to choose"
            )
        )
    for h in data.get("hints", []):
        advice = f" (try {HINT_FLAGS[h['field']]} {h['instead']})" if h["instead"] else ""
        out.print(escape(f"  - {h['message']}{advice}"))
    known = data.get("known_vendors", 0)
    if not known:
        out.print(
            "  - your node knows no vendors yet (it learns them from the offers it "
            "opens); perhaps none is in this category or connected: see intentcast peers"
        )
    elif not data.get("hints"):
        out.print(
            escape(
                f"  - every one of the {plural(known, 'vendor')} your node knows "
                "accepts these choices; perhaps none has it, or none is connected"
            )
        )


def wait_for_offers(client: Client, key: str, since: int, seconds: float) -> dict[str, Any]:
    """Show offers for intent ``key`` as they arrive for up to ``seconds``
    (on a terminal, with a progress bar); returns the final ranking."""
    err = console(err=True)
    deadline = time.monotonic() + seconds
    seen: set[str] = set()
    started = time.monotonic()
    err.print(f"Waiting {seconds:.0f} s for offers...")
    # A progress bar on a terminal only; off one, just the offers' lines.
    progress = Progress(
        TextColumn("  "),
        BarColumn(bar_width=20),
        TimeRemainingColumn(),
        TextColumn("{task.fields[found]}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("offers", total=seconds, found="0 offers")
        while (left := deadline - time.monotonic()) > 0:
            progress.update(task, completed=seconds - left, found=plural(len(seen), "offer"))
            events, since = client.events(since, min(left, 0.5 if err.is_terminal else 5.0))
            if not any(e["kind"] == "offer-received" for e in events):
                continue
            data = client.get(f"/v1/intents/{key}/offers")
            for entry in [*data["ranked"], *data["rejected"]]:
                offer = entry["offer"]
                if offer["id"] not in seen:
                    seen.add(offer["id"])
                    progress.console.print(
                        escape(
                            f"  [{time.monotonic() - started:5.1f} s] offer {len(seen)}: "
                            f"{offer['vendor']}, {offer['item']['title']}, {offer['price_text']}"
                        )
                    )
    err.print(f"{plural(len(seen), 'offer')} in {seconds:.0f} s.")
    final: dict[str, Any] = client.get(f"/v1/intents/{key}/offers")
    return final


@click.command()
@home_option
@json_option
@click.argument("intent")
def offers(home: Path, as_json: bool, intent: str) -> None:
    """Offers for INTENT (id or prefix): ranked, with score breakdown, and
    rejected, with reasons."""
    print_answer(Client(home).get(f"/v1/intents/{intent}/offers"), as_json, print_offers)


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
    elif d.get("to_answer"):
        click.echo(
            f"    waits for your answer: intentcast deals {short(d['id'])} --confirm|--decline"
        )
        by = datetime.datetime.fromtimestamp(d["answer_by"], datetime.UTC)
        click.echo(
            f"    answer by {by:%Y-%m-%d %H:%M} UTC: after that the customer's node "
            "counts it as unanswered"
        )
    if d.get("vendor_rating"):
        click.echo(f"    vendor: {d['vendor_rating']}")


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
@click.option(
    "--payment-mode",
    type=click.Choice(sorted(PAYMENT_MODES)),
    help="Payment mode (default: the first both sides accept).",
)
@click.option(
    "--price",
    help="The price you pay, e.g. 420 or 419.50 (name-your-price offers: at least "
    "the offer's floor; default: the offer's price).",
)
@click.option(
    "--wait",
    type=click.FloatRange(0, 300),
    default=0,
    help="Seconds to wait for the vendor to confirm or decline.",
)
def accept(  # noqa: PLR0917  (click passes options positionally)
    home: Path,
    as_json: bool,
    offer: str,
    disclose: str,
    payment_mode: str | None,
    price: str | None,
    wait: float,
) -> None:
    """Accept OFFER (id or prefix), disclosing only what --disclose names."""
    client = Client(home)
    since = client.events(0, 0)[1]
    body: dict[str, Any] = {"disclose": [d.strip() for d in disclose.split(",") if d.strip()]}
    if payment_mode:
        body["payment_mode"] = payment_mode
    if price is not None:
        body["price"] = check_amount(price, "--price")
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
@click.option(
    "--confirm",
    "answer",
    flag_value="confirm",
    help='Confirm DEAL: an accept of your offer that waits for you ([vendor] confirm = "manual").',
)
@click.option("--decline", "answer", flag_value="decline", help="Decline DEAL.")
@click.option(
    "--text", default="", help="The note (confirm) or reason (decline) the customer reads."
)
def deals(home: Path, as_json: bool, deal: str | None, answer: str | None, text: str) -> None:
    """Your deals (as customer and as vendor), or one DEAL by id or prefix;
    --confirm or --decline answers an accept that waits for you."""
    if answer is not None and deal is None:
        raise click.UsageError(f"--{answer} needs the DEAL to answer")
    client = Client(home)
    if answer is not None:
        data = client.post(f"/v1/deals/{deal}/{answer}", {"text": text})
    else:
        data = client.get(f"/v1/deals/{deal}") if deal else client.get("/v1/deals")
    print_answer(data, as_json, _print_deals)


def _print_deals(data: dict[str, Any]) -> None:
    print_each([data["deal"]] if "deal" in data else data["deals"], print_deal, "no deals yet")
