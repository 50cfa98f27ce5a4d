"""The one client of a daemon's local API: find the home, read its cookie,
call the daemon over HTTP, turn every failure into one :class:`ClientError`
saying what to do.

Deliberately light: it imports neither trio nor libp2p nor the store, so
the CLI's read commands start fast. The CLI calls it with
:class:`Client`; an attached bot (:mod:`.attach`) reads the cookie with
:func:`read_cookie` and decodes answers with :func:`decode` over its own
async connection. The daemon's side is :mod:`intentcast.daemon`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import platformdirs

from intentcast.daemon.layout import COOKIE_FILE, Home

#: How long a request may take beyond its own long-poll timeout.
REQUEST_TIMEOUT: Final = 30.0


class ClientError(Exception):
    """A call to the daemon failed; the message is one line saying why."""


class NotRunning(ClientError):
    """No daemon answers for this home (no home, no cookie, a stale cookie)."""


class ApiFailure(ClientError):
    """The daemon answered with an error: its ``code`` and HTTP ``status``."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class BadResponse(ClientError):
    """The daemon answered something that is not the API's JSON."""


def default_home() -> Path:
    """The node home: ``$INTENTCAST_HOME`` or the platform's user data dir."""
    env = os.environ.get("INTENTCAST_HOME")
    return Path(env) if env else Path(platformdirs.user_data_dir("intentcast"))


def start_hint(home: Path) -> str:
    """How to start the node of ``home``."""
    flag = "" if home == default_home() else f" --home {home}"
    return f"start it with: intentcast node run{flag}"


@dataclass(frozen=True, slots=True)
class Cookie:
    """Where the daemon of a home listens, and its token."""

    url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The headers that authenticate a request."""
        return {"Authorization": f"Bearer {self.token}"}


def read_cookie(home: Path) -> Cookie:
    """The cookie of the daemon running over ``home``; :class:`NotRunning`
    (saying how to create or start it) when there is none to read."""
    home = Path(home).expanduser()
    cookie = Home(home).cookie
    try:
        data = json.loads(cookie.read_text())
        return Cookie(str(data["url"]), str(data["token"]))
    except FileNotFoundError:
        if not Home(home).config.exists():
            raise NotRunning(
                f"no node home at {home}; create one with: intentcast init"
                + ("" if home == default_home() else f" --home {home}")
            ) from None
        raise NotRunning(f"the node is not running (home {home}); {start_hint(home)}") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise NotRunning(f"cannot read {cookie}; restart the node: {start_hint(home)}") from None


def decode(response: httpx.Response) -> Any:
    """The JSON of an API answer; :class:`BadResponse` if it has none and
    :class:`ApiFailure` with the API's error code if it is an error."""
    try:
        data = response.json()
    except ValueError:
        raise BadResponse(f"the node answered HTTP {response.status_code} without JSON") from None
    if response.is_error:
        error = data.get("error", {}) if isinstance(data, dict) else {}
        error = error if isinstance(error, dict) else {}
        raise ApiFailure(
            str(error.get("message") or f"HTTP {response.status_code}"),
            str(error.get("code", "http")),
            response.status_code,
        )
    return data


class Client:
    """Calls the daemon of ``home`` with the token from its cookie (blocking)."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home).expanduser()
        self.cookie = Home(self.home).cookie
        cookie = read_cookie(self.home)
        self.url = cookie.url
        self._headers = cookie.headers

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Any:
        """Call the API; returns the decoded JSON. Raises :class:`NotRunning`,
        :class:`ApiFailure` or another :class:`ClientError`."""
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
                + start_hint(self.home)
            ) from None
        except httpx.TimeoutException:
            raise ClientError(f"the node did not answer within {timeout:.0f} s") from None
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot talk to the node: {exc}") from None
        return decode(response)

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


__all__ = [
    "COOKIE_FILE",
    "REQUEST_TIMEOUT",
    "ApiFailure",
    "BadResponse",
    "Client",
    "ClientError",
    "Cookie",
    "NotRunning",
    "decode",
    "default_home",
    "read_cookie",
    "start_hint",
]
