"""After the deal: ``relationships``, ``relationship``, ``message``,
``update-detail`` and ``forget`` (docs/daemon.md, "Relationships")."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click

from intentcast.protocol.relationship import MESSAGE_TYPES
from intentcast.protocol.vocab import DISCLOSURE_FIELDS

from .common import (
    Client,
    home_option,
    json_option,
    plural,
    print_answer,
    print_each,
    short,
)


def _when(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d")


def _matching(client: Client, who: str) -> list[dict[str, Any]]:
    """The relationships with vendor ``who`` (a name, any case, or a part of
    one) or of the deal whose id starts with ``who``."""
    rels: list[dict[str, Any]] = client.get("/v1/relationships")["relationships"]
    wanted = who.strip().lower()
    by_deal = [r for r in rels if len(wanted) >= 4 and r["deal"].startswith(wanted)]
    found = by_deal or [r for r in rels if wanted and wanted in r["vendor"].lower()]
    if not found:
        known = ", ".join(sorted({r["vendor"] for r in rels})) or "none yet"
        raise click.ClickException(f"no relationship with {who!r}; vendors: {known}")
    return found


def _state(r: dict[str, Any]) -> str:
    if r["deleted"] is not None:
        return f"deleted {_when(r['deleted'])}"
    if r["forget_asked"] is not None:
        return "asked to forget"
    if r["overdue"]:
        return f"OVERDUE: delete by {_when(r['delete_due'])}"
    if r["silent"]:
        return f"not acknowledged: {', '.join(r['silent'])}"
    return "live"


def print_relationship(r: dict[str, Any], *, thread: bool) -> None:
    """Who knows what about me under one deal, and (``thread``) the messages."""
    click.echo(f"{r['vendor']}  deal {short(r['deal'])}  since {_when(r['opened'])}  {_state(r)}")
    for name, held in sorted(r["holds"].items()):
        value = held["value"] if held["value"] is not None else "(deleted or removed)"
        ack = "" if held["acknowledged"] else "  (not acknowledged)"
        if r["role"] == "customer" and r["deleted"] is not None:
            ack = "  (the vendor deleted it)"
        click.echo(f"    {name}: {value}{ack}")
    if r["delete_due"] is not None:
        click.echo(f"    cc:delete-after-deal: delete by {_when(r['delete_due'])}")
    if not thread:
        return
    for m in r.get("thread") or []:
        who = "you" if (m["from"] == "me") == (r["role"] == "customer") else r["vendor"]
        content = m["content"]
        if content is None:
            text = "(deleted)"
        elif m["kind"] == "deal-message":
            text = f"[{content['type']}] {content['text']}"
        elif m["kind"] == "profile-update":
            value = content["value"] if content["value"] is not None else "(removed)"
            text = f"{content['field']} is now {value}"
        elif m["kind"] == "forget":
            text = f"please forget me {content['reason']}".rstrip()
        elif content.get("deleted") is not None:
            text = f"deleted {', '.join(content['fields']) or 'nothing more'}"
        else:
            text = f"acknowledged {', '.join(content['fields'])}"
        answered = "  (acknowledged)" if m["answered_by"] else ""
        click.echo(f"    {_when(m['created'])}  {who}: {text}{answered}")


@click.command()
@home_option
@json_option
def relationships(home: Path, as_json: bool) -> None:
    """Who knows what about you: every vendor you made a deal with, what it
    holds (and whether it acknowledged your latest value), and the
    delete-after-deal deadlines, overdue ones marked. On a vendor's node:
    what the shop holds under each deal."""
    print_answer(Client(home).get("/v1/relationships"), as_json, _print_relationships)


def _print_relationships(data: dict[str, Any]) -> None:
    empty = "no relationships yet: a confirmed deal starts one"
    print_each(data["relationships"], lambda r: print_relationship(r, thread=False), empty)


@click.command()
@home_option
@json_option
@click.argument("vendor")
def relationship(home: Path, as_json: bool, vendor: str) -> None:
    """One VENDOR (a name or part of one, or a deal id): what it knows
    about you and the messages of each deal."""
    client = Client(home)
    found = [
        client.get(f"/v1/relationships/{r['deal']}")["relationship"]
        for r in _matching(client, vendor)
    ]
    print_answer({"relationships": found}, as_json, _print_threads)


def _print_threads(data: dict[str, Any]) -> None:
    for r in data["relationships"]:
        print_relationship(r, thread=True)


@click.command()
@home_option
@json_option
@click.argument("deal")
@click.argument("text")
@click.option(
    "--type",
    "kind",
    type=click.Choice(MESSAGE_TYPES),
    default="other",
    show_default=True,
    help="status: where is my order; cancel; return. A vendor: shipped, delivered.",
)
def message(home: Path, as_json: bool, deal: str, text: str, kind: str) -> None:
    """Send TEXT on DEAL (its id or prefix, or the vendor's name), sealed to
    the other side; it answers when its node is next online."""
    client = Client(home)
    matches = _matching(client, deal)
    if len(matches) > 1:
        ids = ", ".join(short(r["deal"]) for r in matches)
        raise click.ClickException(f"{deal!r} has {len(matches)} deals ({ids}); give the deal id")
    data = client.post(
        f"/v1/relationships/{matches[0]['deal']}/messages", {"text": text, "type": kind}
    )
    said = f"sent to {matches[0]['vendor']}; see: intentcast relationship {short(deal)}"
    print_answer(data, as_json, lambda _: click.echo(said))


@click.command("update-detail")
@home_option
@json_option
@click.argument("field", type=click.Choice(sorted(DISCLOSURE_FIELDS)), required=False)
@click.argument("value", required=False)
@click.option("--old", help="Only vendors that hold exactly this old value.")
@click.option("--remove", is_flag=True, help="Remove FIELD at every vendor that holds it.")
@click.option(
    "--resend",
    is_flag=True,
    help="Send again what a vendor has not acknowledged (of FIELD, or of every field).",
)
def update_detail(  # noqa: PLR0917  (click passes options positionally)
    home: Path,
    as_json: bool,
    field: str | None,
    value: str | None,
    old: str | None,
    remove: bool,
    resend: bool,
) -> None:
    """Change FIELD to VALUE once, for every vendor that holds it under a
    live relationship (and only those): e.g. `intentcast update-detail
    shipping "Neue Str. 2, Berlin"`. Each vendor's node acknowledges;
    `intentcast relationships` shows who has not, and --resend sends again."""
    client = Client(home)
    if resend:
        if value is not None or remove or old is not None:
            raise click.UsageError("--resend takes at most a FIELD")
        data = client.post("/v1/details/resend", {} if field is None else {"field": field})
    else:
        if field is None or (value is None) != remove:
            raise click.UsageError("give FIELD and VALUE, or FIELD --remove, or --resend")
        body: dict[str, Any] = {"field": field, "value": value}
        if old is not None:
            body["old"] = old
        data = client.post("/v1/details", body)
    print_answer(data, as_json, _print_updates)


def _print_updates(data: dict[str, Any]) -> None:
    if not data["sent"]:
        click.echo("no vendor holds another value of it: nothing sent")
        return
    vendors = ", ".join(sorted({s["vendor"] for s in data["sent"]}))
    click.echo(f"sent {plural(len(data['sent']), 'update')}: {vendors}")


@click.command()
@home_option
@json_option
@click.argument("vendor")
@click.option("--reason", default="", help="Why (sent to the vendor).")
def forget(home: Path, as_json: bool, vendor: str, reason: str) -> None:
    """Ask VENDOR (a name or part of one, or a deal id) to delete what it
    holds about you, for every deal with it. Its node deletes and answers
    with a signed statement of deletion (see `intentcast relationship`)."""
    client = Client(home)
    sent = []
    for r in _matching(client, vendor):
        if r["role"] != "customer" or r["deleted"] is not None:
            continue
        sent += client.post(f"/v1/relationships/{r['deal']}/forget", {"reason": reason})["sent"]
    print_answer({"sent": sent}, as_json, _print_forget)


def _print_forget(data: dict[str, Any]) -> None:
    sent = data["sent"]
    if not sent:
        click.echo("nothing to ask: the vendor has already deleted what it held")
        return
    click.echo(f"asked {sent[0]['vendor']} to forget you ({plural(len(sent), 'deal')})")


COMMANDS = (relationships, relationship, message, update_detail, forget)
