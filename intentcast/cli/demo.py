"""``intentcast demo``: a whole market on 127.0.0.1, in one command.

Five real nodes (libp2p over Noise, gossipsub, one SQLite store each): a
customer and four vendor bots. The customer posts an intentcast, sealed
offers arrive, the customer's node ranks them and explains why, accepts the
best disclosing only contact and shipping, and the vendor confirms.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

if TYPE_CHECKING:  # the node (trio, libp2p) loads only when the demo runs
    from intentcast.demo import DemoReport, DemoStep

from intentcast.matching import explain
from intentcast.matching.formatting import format_money

from .common import console


def _heading(text: str) -> None:
    """A bold line (rich: bold only on a terminal, and never with NO_COLOR)."""
    console().print(f"[bold]{escape(text)}[/bold]")


def _print_step(step: DemoStep) -> None:
    at = escape(f"[{step.at:5.2f} s]")
    console().print(f"{at} [bold]{escape(step.actor)}[/bold]: {escape(step.text)}")


def _print_report(report: DemoReport) -> None:
    assert report.ranking is not None and report.intent is not None
    terms = report.intent.message.terms
    click.echo()
    console().print(
        "[bold]Ranked offers[/bold]"
        + escape(
            f" (your terms: at most {format_money(terms.max_price, terms.currency)}, "
            f"{', '.join(terms.customer_terms)})"
        )
    )
    for entry in report.ranking.ranked:
        click.echo("  " + explain(entry))
    _heading("Rejected offers")
    for rejected in report.ranking.rejected:
        click.echo("  " + explain(rejected))
    deal, theirs = report.customer_deal, report.vendor_deal
    _heading("Deal")
    if deal is None or theirs is None or deal.reply is None:
        click.echo("  no confirmed deal")
        return
    o = deal.offer.message
    click.echo(
        f"  {o.vendor_name}: {o.item.title}, {format_money(o.price, o.currency)}; "
        f"state {deal.state.value} on your node, {theirs.state.value} on the vendor's"
    )
    click.echo(f"  the vendor signed your terms: {', '.join(o.customer_terms)}")
    learned = ", ".join(f"{k}={v}" for k, v in sorted(theirs.accept.message.disclosure.items()))
    click.echo(f"  what {o.vendor_name} learned about you: {learned} (and nothing else)")
    click.echo(
        f"  signed agreement record on both nodes: intent {deal.intent.id.hex()[:12]}, "
        f"offer {deal.offer.id.hex()[:12]}, accept {deal.accept.id.hex()[:12]}, "
        f"{deal.reply.kind.value} {deal.reply.id.hex()[:12]}"
    )
    click.echo(f"Done in {report.seconds:.1f} s.")


def summary(report: DemoReport) -> dict[str, Any]:
    """The ``--json`` form of a demo run."""
    assert report.ranking is not None and report.intent is not None
    deal = report.customer_deal
    return {
        "nodes": report.nodes,
        "intent": {
            "id": report.intent.id.hex(),
            "title": report.intent.message.title,
            "mint_ms": round(report.mint_ms, 1),
        },
        "offers_arrived_ms": [round(t * 1000, 1) for t, _ in report.offers_seen],
        "ranked": [
            {
                "rank": r.rank,
                "vendor": r.offer.message.vendor_name,
                "price": r.offer.message.price,
                "score": round(r.score, 2),
                "explanation": explain(r),
            }
            for r in report.ranking.ranked
        ],
        "rejected": [
            {
                "vendor": r.offer.message.vendor_name,
                "reasons": [v.message for v in r.violations],
                "explanation": explain(r),
            }
            for r in report.ranking.rejected
        ],
        "accepted": None
        if deal is None
        else {
            "vendor": deal.offer.message.vendor_name,
            "price": deal.offer.message.price,
            "state": deal.state.value,
            "vendor_state": None if report.vendor_deal is None else report.vendor_deal.state.value,
            "disclosed": sorted(deal.accept.message.disclosure),
        },
        "seconds": round(report.seconds, 2),
    }


@click.command()
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of the story."
)
@click.option(
    "--offer-wait",
    type=click.FloatRange(0.5, 60),
    default=4.0,
    show_default=True,
    help="Seconds the customer waits for offers.",
)
@click.option(
    "--open",
    "open_app",
    is_flag=True,
    help="Keep the market running and open the customer's web app in the browser: "
    "watch the offers arrive, accept one yourself. Ctrl-C stops it.",
)
def demo(as_json: bool, offer_wait: float, open_app: bool) -> None:
    """Run a whole market on 127.0.0.1: a customer and four vendor bots
    (real libp2p nodes with their own keys and databases). One intentcast
    goes from post to ranked offers to a confirmed deal."""
    from intentcast.demo import run_demo  # noqa: PLC0415  (keeps every other command fast)

    logging.basicConfig(level=logging.ERROR)
    if open_app:
        _demo_in_browser()
        return
    with tempfile.TemporaryDirectory(prefix="intentcast-demo-") as tmp:
        report = run_demo(
            Path(tmp), step=(lambda _s: None) if as_json else _print_step, offer_wait=offer_wait
        )
    if as_json:
        click.echo(json.dumps(summary(report), indent=2))
    else:
        _print_report(report)
    if report.customer_deal is None or report.customer_deal.reply is None:
        raise click.ClickException("the demo ended without a confirmed deal")


#: Seconds the printed sign-in link of the vendor's app stays usable.
VENDOR_LINK_SECONDS = 600.0


def _demo_in_browser() -> None:
    """``demo --open``: the market keeps running; the customer's app opens
    in the browser, the customer posts the demo intent a few seconds later,
    and the rest is the user's (accept, deals, post more)."""
    from intentcast.daemon.web.serve import Served, serve_with  # noqa: PLC0415
    from intentcast.demo import DemoApps, run_demo_apps  # noqa: PLC0415

    from .web import open_browser  # noqa: PLC0415

    def ready(apps: DemoApps[Served]) -> None:
        login = apps.customer.login_url()
        click.echo(
            "A market of five nodes runs on 127.0.0.1: you are the customer; "
            "Kiez Phones, Second Life Phones, Velo Werk and Flash Deals are vendor bots."
        )
        if open_browser(login):
            click.echo(f"Opened your web app: {apps.customer.url}/app/")
        else:
            click.echo(f"Open your web app (the link works once, within a minute):\n  {login}")
        click.echo(
            f"Kiez Phones' vendor view (works once, within "
            f"{VENDOR_LINK_SECONDS / 60:.0f} minutes):\n  "
            f"{apps.vendor.login_url(VENDOR_LINK_SECONDS)}"
        )
        click.echo(
            f"The CLI reaches the nodes too: intentcast status --home {apps.homes['customer']}"
        )
        click.echo(
            "The customer posts an intent in 3 s; accept an offer in the browser. Ctrl-C stops."
        )

    with tempfile.TemporaryDirectory(prefix="intentcast-demo-") as tmp:
        try:
            run_demo_apps(Path(tmp), serve=serve_with, on_ready=ready, post_sample_after=3.0)
        except* KeyboardInterrupt:  # Ctrl-C, inside the nodes' nurseries
            click.echo("\nstopped")
