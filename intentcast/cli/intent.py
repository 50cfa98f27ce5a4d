"""``intent post|list|show|withdraw|amend``: the customer's intentcasts.

A draft is the JSON the API takes (``docs/daemon.md``, "Intent drafts"),
built from flags or read from a TOML or JSON file; flags override the file.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from intentcast.protocol.vocab import CURRENCIES, KNOWN_CUSTOMER_TERMS, PAYMENT_MODES
from intentcast.sdk.client import ApiFailure

from .categories import check_draft_category
from .common import (
    Client,
    check_amount,
    home_option,
    json_option,
    plural,
    print_answer,
    print_each,
    print_json,
    short,
)
from .market import print_no_offer_hints, print_offers, wait_for_offers

F = TypeVar("F", bound=Callable[..., Any])


def _attribute(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="--attr")
    value: Any = raw.strip()
    if value.lower() in ("true", "false"):
        value = value.lower() == "true"
    elif _INTEGER.fullmatch(value):
        value = int(value)
    return name.strip(), value


#: What --attr reads as a whole number (ASCII digits, a few at most); any
#: other text ("²", "--5", 5,000 digits) stays text.
_INTEGER: Final = re.compile(r"-?[0-9]{1,18}")


def _currency(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The code in upper case: ``eur`` is EUR (the node names a code it does not know)."""
    return None if value is None else value.strip().upper()


#: The flag that sets each field of a draft, for errors the node names by field.
FLAGS: Final = {
    "terms.max_price": "--max-price",
    "terms.currency": "--currency",
    "terms.region": "--region",
    "terms.deliver_within_days": "--deliver-within",
    "terms.deliver_by": "--deliver-within",
    "terms.customer_terms": "--term",
    "terms.payment_modes": "--pay",
    "terms.min_stars": "--min-stars",
    "terms.min_rating": "--min-stars",
    "lifetime_days": "--lifetime-days",
    "category": "--category",
    "title": "--title",
    "description": "--description",
    "attributes": "--attr",
    "quantity": "--quantity",
}


@contextmanager
def flag_errors() -> Iterator[None]:
    """An error the node gives about a draft field, told with the flag
    that sets it (``terms.region: required; give --region``)."""
    try:
        yield
    except ApiFailure as exc:
        message = str(exc)
        field = message.split(":", 1)[0].strip()
        if field == "terms" and "required" in message:
            message = "terms: required; give --max-price, --currency and --region"
        elif field in FLAGS:
            message = f"{message.rstrip('.')}; give {FLAGS[field]}"
        raise click.ClickException(message) from None


def draft_options(fn: F) -> F:
    """The flags that make or change an intent draft."""
    options = [
        click.option(
            "--file",
            "draft_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Read the draft from a TOML or JSON file (flags override it).",
        ),
        click.option("--category", help="Category path, e.g. electronics/phones."),
        click.option("--title", help="What you want, in a few words."),
        click.option("--description", help="More detail."),
        click.option("--attr", "attrs", multiple=True, help="Wanted attribute NAME=VALUE."),
        click.option("--quantity", type=click.IntRange(1), help="How many."),
        click.option(
            "--max-price",
            callback=lambda _ctx, _param, v: None if v is None else check_amount(v, "--max-price"),
            help="Most you pay for the whole quantity, e.g. 600 or 599.90.",
        ),
        click.option(
            "--currency",
            callback=_currency,
            shell_complete=lambda _c, _p, text: sorted(
                c for c in CURRENCIES if c.startswith(text.upper())
            ),
            help="ISO 4217 currency code, any case: EUR, USD, GBP, CHF, ...",
        ),
        click.option("--region", help="Where it goes: country code (DE) or geohash."),
        click.option("--deliver-within", type=click.FloatRange(min=0, min_open=True), help="Days."),
        click.option(
            "--term",
            "cterms",
            multiple=True,
            shell_complete=lambda _c, _p, text: [
                t for t in KNOWN_CUSTOMER_TERMS if t.startswith(text)
            ],
            help="Customer term every offer must accept (repeatable): "
            + ", ".join(sorted(KNOWN_CUSTOMER_TERMS))
            + ", or namespace:slug.",
        ),
        click.option(
            "--pay",
            "pay",
            multiple=True,
            type=click.Choice(sorted(PAYMENT_MODES), case_sensitive=False),
            help="Payment mode you accept (repeatable). Default: the one most vendors "
            "your node knows take (prepay when it knows none).",
        ),
        click.option("--min-stars", type=click.FloatRange(0, 5), help="Minimum vendor rating."),
        click.option(
            "--lifetime-days",
            type=click.FloatRange(min=0, min_open=True),
            help="Days the intent stays live.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def load_draft_file(path: Path) -> dict[str, Any]:
    """The draft in a TOML or JSON file, as JSON the API takes; raises
    :class:`click.ClickException` with one line for anything else."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror}") from None
    try:
        loaded = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    except RecursionError:
        raise click.ClickException(f"{path}: nested too deeply") from None
    if not isinstance(loaded, dict):
        raise click.ClickException(f"{path}: must hold one object (an intent draft)")
    try:
        # Only what JSON carries: TOML dates, NaN and infinities are refused here.
        json.dumps(loaded, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise click.ClickException(f"{path}: a value the draft cannot carry: {exc}") from None
    except RecursionError:
        raise click.ClickException(f"{path}: nested too deeply") from None
    return loaded


#: The flags that set one value of the draft: the flag, the draft's key,
#: and whether the key is one of the draft's ``terms``.
_VALUE_FLAGS: Final = (
    ("category", "category", False),
    ("title", "title", False),
    ("description", "description", False),
    ("quantity", "quantity", False),
    ("lifetime_days", "lifetime_days", False),
    ("max_price", "max_price", True),
    ("currency", "currency", True),
    ("region", "region", True),
    ("deliver_within", "deliver_within_days", True),
    ("min_stars", "min_stars", True),
)


def build_draft(draft_file: Path | None, **flags: Any) -> dict[str, Any]:
    """The JSON draft from an optional file and the flags given."""
    draft: dict[str, Any] = {}
    if draft_file is not None:
        draft = load_draft_file(draft_file)
    given_terms = draft.get("terms") or {}
    if not isinstance(given_terms, dict):
        raise click.ClickException(
            f"{draft_file}: terms must be a table (max_price, currency, region, ...)"
        )
    terms: dict[str, Any] = dict(given_terms)
    for flag, key, in_terms in _VALUE_FLAGS:
        if flags.get(flag) is not None:
            (terms if in_terms else draft)[key] = flags[flag]
    if flags.get("attrs"):
        given_attributes = draft.get("attributes", {})
        if not isinstance(given_attributes, dict):
            raise click.ClickException(f"{draft_file}: attributes must be a table")
        draft["attributes"] = {
            **given_attributes,
            **dict(map(_attribute, flags["attrs"])),
        }
    if flags.get("cterms"):
        terms["customer_terms"] = list(flags["cterms"])
    if flags.get("pay"):
        terms["payment_modes"] = list(flags["pay"])
    if terms:
        draft["terms"] = terms
    return draft


@click.group()
def intent() -> None:
    """Post and manage your intentcasts."""


@intent.command()
@home_option
@json_option
@draft_options
@click.option(
    "--wait",
    type=click.FloatRange(0, 600),
    default=0,
    help="Seconds to watch offers arrive; then print the ranked offers.",
)
def post(home: Path, as_json: bool, draft_file: Path | None, wait: float, **flags: Any) -> None:
    """Sign and publish an intentcast (from flags or --file)."""
    draft = build_draft(draft_file, **flags)
    check_draft_category(draft)
    client = Client(home)
    since = client.events(0, 0)[1] if wait else 0
    with flag_errors():
        answer = client.post("/v1/intents", draft)
    posted, defaults = answer["intent"], answer.get("defaults", {})
    if not as_json:
        chosen = "; ".join(
            f"{FLAGS.get('terms.' + k, k)} {', '.join(v)} chosen for you"
            for k, v in defaults.items()
        )
        click.echo(
            f"Posted {short(posted['key'])} {posted['title']!r} in {posted['category']} "
            f"(at most {posted['terms']['max_price_text']}{'; ' + chosen if chosen else ''})"
        )
    if not wait:
        if as_json:
            print_json({"intent": posted, "defaults": defaults})
        return
    data = wait_for_offers(client, posted["key"], since, wait)
    if as_json:
        print_json({**data, "defaults": defaults})
        return
    print_offers(data)
    if not data["ranked"] and not data["rejected"]:
        print_no_offer_hints(data, defaults)


def print_intent_line(i: dict[str, Any]) -> None:
    """One row of ``intent list``."""
    click.echo(
        f"{short(i['key'])}  {i['state']:9}  {plural(i['offers'], 'offer'):>10}  "
        f"{i['terms']['max_price_text']:>13}  {i['category']:24}  {i['title']}"
    )


@intent.command("list")
@home_option
@json_option
def list_(home: Path, as_json: bool) -> None:
    """Your intentcasts, newest first."""
    print_answer(Client(home).get("/v1/intents"), as_json, _print_intents)


def _print_intents(data: dict[str, Any]) -> None:
    empty = "no intents yet; post one with: intentcast intent post --help"
    print_each(data["intents"], print_intent_line, empty)


@intent.command()
@home_option
@json_option
@click.argument("key")
def show(home: Path, as_json: bool, key: str) -> None:
    """One intentcast, by id or prefix."""
    print_answer(Client(home).get(f"/v1/intents/{key}"), as_json, _print_intent)


def _print_intent(data: dict[str, Any]) -> None:
    i = data["intent"]
    t = i["terms"]
    click.echo(f"{i['title']}  ({i['state']}, revision {i['revision']})")
    click.echo(f"  key         {i['key']}")
    click.echo(f"  category    {i['category']}, quantity {i['quantity']}")
    if i["description"]:
        click.echo(f"  description {i['description']}")
    if i["attributes"]:
        attrs = ", ".join(f"{k}={v}" for k, v in i["attributes"].items())
        click.echo(f"  attributes  {attrs}")
    click.echo(f"  at most     {t['max_price_text']}, to {t['region']}")
    click.echo(f"  terms       {', '.join(t['customer_terms']) or 'none'}")
    click.echo(f"  payment     {', '.join(t['payment_modes'])}")
    click.echo(f"  offers      {i['offers']} (see: intentcast offers {short(i['key'])})")


@intent.command()
@home_option
@json_option
@click.argument("key")
@click.option("--reason", default="", help="Why (published with the withdrawal).")
def withdraw(home: Path, as_json: bool, key: str, reason: str) -> None:
    """Take an intentcast off the market, everywhere."""
    data = Client(home).post(f"/v1/intents/{key}/withdraw", {"reason": reason})
    print_answer(data, as_json, lambda d: click.echo(f"Withdrew {_named(d['intent'])}"))


def _named(i: dict[str, Any]) -> str:
    return f"{short(i['key'])} {i['title']!r}"


@intent.command()
@home_option
@json_option
@click.argument("key")
@draft_options
def amend(home: Path, as_json: bool, key: str, draft_file: Path | None, **flags: Any) -> None:
    """Publish a new revision of an intentcast with the changes given."""
    draft = build_draft(draft_file, **flags)
    with flag_errors():
        data = Client(home).post(f"/v1/intents/{key}/amend", draft)
    print_answer(data, as_json, _print_amended)


def _print_amended(data: dict[str, Any]) -> None:
    i = data["intent"]
    click.echo(f"Amended {_named(i)}: now revision {i['revision']}")
