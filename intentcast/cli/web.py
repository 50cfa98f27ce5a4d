"""``intentcast open``: the web app of the running node, in the browser.

It asks the daemon (with the token from ``api.cookie``) for a one-time
sign-in link and opens the browser on it; the link works once, within a
minute, and leaves the browser with a session cookie, never the token
(``docs/daemon.md``, "The web app").
"""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from .common import Client, home_option


def open_browser(url: str) -> bool:
    """Open ``url`` in the user's browser; False when there is none."""
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


@click.command("open")
@home_option
@click.option(
    "--print-url",
    "print_only",
    is_flag=True,
    help="Print the one-time link instead of opening a browser (it works once, within a minute).",
)
def open_app(home: Path, print_only: bool) -> None:
    """Open the node's web app in the browser, signed in by a one-time link."""
    login = Client(home).post("/v1/web/login")
    url = login["url"]
    if print_only:
        click.echo(url)
        return
    if open_browser(url):
        click.echo(f"Opened the web app in your browser ({url.split('/app/')[0]}/app/).")
    else:
        click.echo(
            f"No browser to open; open this link yourself (it works once, "
            f"within {login['expires_in']:.0f} s):\n{url}"
        )
