"""The ``intentcast`` command line."""

from __future__ import annotations

from typing import Any

import click

from intentcast import __version__

from .categories import categories
from .common import client_errors
from .demo import demo
from .home import init, node, peers, status, vendor
from .intent import intent
from .market import accept, deals, offers
from .ratings import rate, ratings
from .relationships import COMMANDS as RELATIONSHIP_COMMANDS
from .web import open_app


class _Main(click.Group):
    """The command group; a failed call to the daemon ends any command
    with one line on stderr (:func:`.common.client_errors`)."""

    def invoke(self, ctx: click.Context) -> Any:
        with client_errors():
            return super().invoke(ctx)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intentcast")
def main() -> None:
    """intentcast: say what you want, on your terms; vendors compete to serve you.

    A peer-to-peer marketplace node for the intention economy. Start with
    `intentcast demo`.
    """


for command in (
    init,
    node,
    intent,
    offers,
    accept,
    deals,
    rate,
    ratings,
    peers,
    status,
    vendor,
    demo,
    categories,
    open_app,
    *RELATIONSHIP_COMMANDS,
):
    main.add_command(command)

__all__ = ["main"]
