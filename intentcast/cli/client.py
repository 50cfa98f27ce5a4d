"""The CLI's side of the local API: find the home, read its cookie, call the
daemon over HTTP, turn every failure into one line on stderr.

Deliberately light: it imports neither trio nor libp2p, so read commands
start fast (the daemon's side is ``intentcast.node.daemon`` and ``.api``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import click
import httpx
import platformdirs

#: The file the running daemon writes into its home
#: (``intentcast.node.daemon.COOKIE_FILE``; a test checks they agree).
COOKIE_FILE: Final = "api.cookie"
#: How long a request may take beyond its own long-poll timeout.
REQUEST_TIMEOUT: Final = 30.0

F = TypeVar("F", bound=Callable[..., Any])


def default_home() -> Path:
    """The node home: ``$INTENTCAST_HOME`` or the platform's user data dir."""
    env = os.environ.get("INTENTCAST_HOME")
    return Path(env) if env else Path(platformdirs.user_data_dir("intentcast"))


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


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


class NotRunning(click.ClickException):
    """No daemon answers for this home."""

    exit_code = 3


class ApiFailure(click.ClickException):
    """The daemon answered with an error."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _start_hint(home: Path) -> str:
    flag = "" if home == default_home() else f" --home {home}"
    return f"start it with: intentcast node run{flag}"


class Client:
    """Calls the daemon of ``home`` with the token from its cookie."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home).expanduser()
        self.cookie = cookie = self.home / COOKIE_FILE
        try:
            data = json.loads(cookie.read_text())
            self.url: str = data["url"]
            token: str = data["token"]
        except FileNotFoundError:
            if not (self.home / "config.toml").exists():
                raise NotRunning(
                    f"no node home at {self.home}; create one with: intentcast init"
                    + ("" if self.home == default_home() else f" --home {self.home}")
                ) from None
            raise NotRunning(
                f"the node is not running (home {self.home}); {_start_hint(self.home)}"
            ) from None
        except (OSError, ValueError, KeyError, TypeError):
            raise NotRunning(
                f"cannot read {cookie}; restart the node: {_start_hint(self.home)}"
            ) from None
        self._headers = {"Authorization": f"Bearer {token}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Any:
        """Call the API; returns the decoded JSON. Raises :class:`NotRunning`
        or :class:`ApiFailure`."""
        try:
            response = httpx.request(
                method,
                self.url + path,
                json=body,
                params=params,
                headers=self._headers,
                timeout=timeout,
            )
        except httpx.ConnectError:
            raise NotRunning(
                f"the node is not running (no answer at {self.url}; stale {COOKIE_FILE}); "
                + _start_hint(self.home)
            ) from None
        except httpx.TimeoutException:
            raise click.ClickException(f"the node did not answer within {timeout:.0f} s") from None
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot talk to the node: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            raise click.ClickException(
                f"the node answered HTTP {response.status_code} without JSON"
            ) from None
        if response.is_error:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise ApiFailure(
                str(error.get("message", f"HTTP {response.status_code}")),
                str(error.get("code", "http")),
                response.status_code,
            )
        return data

    def get(self, path: str, **params: Any) -> Any:
        """``GET path?params``."""
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None) -> Any:
        """``POST path`` with a JSON body."""
        return self.request("POST", path, body=body if body is not None else {})

    def events(self, since: int, timeout: float) -> tuple[list[dict[str, Any]], int]:
        """Events after ``since``, waiting up to ``timeout`` s; and the last seq."""
        data = self.request(
            "GET",
            "/v1/events",
            params={"since": since, "timeout": timeout},
            timeout=timeout + REQUEST_TIMEOUT,
        )
        return data["events"], data["last"]


def short(hex_id: str) -> str:
    """The first 12 hex digits of an id: what tables show and commands accept."""
    return hex_id[:12]


def plural(n: int, noun: str) -> str:
    """``1 offer``, ``2 offers``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
