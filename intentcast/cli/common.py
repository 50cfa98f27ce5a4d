"""What every command shares: ``--home`` and ``--json``, printing, and the
daemon's client (:class:`intentcast.sdk.client.Client`) with its failures
turned into one line on stderr (:func:`client_errors`).

Deliberately light: it imports neither trio nor libp2p, so read commands
start fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from intentcast.sdk.client import Client, ClientError, NotRunning, default_home

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def home_option(fn: F) -> F:
    """``--home DIR`` (env ``INTENTCAST_HOME``; default: the user data dir)."""
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="INTENTCAST_HOME",
        default=lambda: str(default_home()),
        show_default="$INTENTCAST_HOME or the user data dir",
        help="The node home directory.",
    )(fn)


def json_option(fn: F) -> F:
    """``--json``: print the API's JSON instead of the human view."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of text."
    )(fn)


def console(*, err: bool = False) -> Console:
    """The one terminal library's console (rich) for tables, progress and
    colour: colour only on a terminal and never with ``NO_COLOR`` set (rich
    reads both); off a terminal, lines are not cut to a width."""
    stream = sys.stderr if err else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, highlight=False, soft_wrap=not tty, width=None if tty else 1000)


def table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    """A rich table of ``columns`` (those in ``right`` right-aligned), drawn
    plainly: a bold header, no borders, so output piped to a file stays text."""
    t = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    for name in columns:
        t.add_column(name, justify="right" if name in right else "left", no_wrap=True)
    return t


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_answer(data: Any, as_json: bool, show: Callable[[Any], None]) -> None:
    """Print a command's answer: the JSON document with ``--json``, else
    what ``show`` makes of it for a person."""
    if as_json:
        print_json(data)
    else:
        show(data)


def print_each(items: Sequence[T], line: Callable[[T], None], empty: str) -> None:
    """``line`` for every item of a list, or ``empty`` when there is none."""
    if not items:
        click.echo(empty)
    for item in items:
        line(item)


class NodeNotRunning(click.ClickException):
    """No daemon answers for this home: exit code 3."""

    exit_code = 3


@contextmanager
def client_errors() -> Iterator[None]:
    """Turn a failed call to the daemon into a one-line click error
    (:class:`NodeNotRunning`, exit code 3, when no daemon answers)."""
    try:
        yield
    except NotRunning as exc:
        raise NodeNotRunning(str(exc)) from None
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None


def check_amount(text: str, flag: str) -> str:
    """``text`` if it is a non-negative amount (``600``, ``599.90``), else a
    one-line error naming ``flag``; the node checks the decimals the
    currency allows."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise click.ClickException(f"{flag}: {text[:40]!r} is not an amount, e.g. 600 or 599.90")
    if amount < 0:
        raise click.ClickException(f"{flag}: {text[:40]!r} is negative; give 0 or more")
    return text.strip()


def short(hex_id: str) -> str:
    """The first 12 hex digits of an id: what tables show and commands accept."""
    return hex_id[:12]


def plural(n: int, noun: str) -> str:
    """``1 offer``, ``2 offers``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


__all__ = [
    "Client",
    "NodeNotRunning",
    "check_amount",
    "client_errors",
    "console",
    "default_home",
    "home_option",
    "json_option",
    "plural",
    "print_answer",
    "print_each",
    "print_json",
    "short",
    "table",
]
