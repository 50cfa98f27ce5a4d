"""The web app's logins and sessions: one-time sign-in codes that exchange
for an HttpOnly session cookie, and the CSRF token of each session.

The API token never reaches the browser. ``intentcast open`` asks the
daemon (with the token) for a one-time code, opens the browser on
``/app/login?code=...``; that request spends the code and gets a session
cookie (``HttpOnly; SameSite=Strict``) named after the API's port, so two
nodes on one machine keep separate sessions. Every state-changing request
of a session must carry its CSRF token in ``X-CSRF-Token`` (the page reads
it from ``GET /v1/web/session``, which a page of another origin cannot read).

Everything lives in the daemon's memory: a restart ends every session, as
it ends the old token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

#: Seconds a sign-in code stays usable (it is spent by its first use).
LOGIN_SECONDS: Final = 60.0
#: Seconds a session lives without a request before it ends.
IDLE_SECONDS: Final = 12 * 3600.0
#: Sign-in codes waiting at most; sessions at most (oldest dropped first).
MAX_CODES: Final = 16
MAX_SESSIONS: Final = 32
#: The header that carries a session's CSRF token.
CSRF_HEADER: Final = "x-csrf-token"


def cookie_name(port: int) -> str:
    """The session cookie's name for the API on ``port`` (cookies are not
    kept apart by port, so the port is in the name)."""
    return f"intentcast-session-{port}"


@dataclass(slots=True)
class Session:
    """One signed-in browser: its CSRF token and when it was last used."""

    csrf: str
    created: float
    used: float


class WebSessions:
    """Sign-in codes and sessions of one daemon run (in memory only)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._codes: OrderedDict[str, float] = OrderedDict()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def new_code(self, seconds: float = LOGIN_SECONDS) -> str:
        """A fresh one-time sign-in code, usable for ``seconds``."""
        code = secrets.token_urlsafe(32)
        self._codes[code] = self._clock() + seconds
        while len(self._codes) > MAX_CODES:
            self._codes.popitem(last=False)
        return code

    def redeem(self, code: str) -> tuple[str, Session] | None:
        """Spend ``code``: a new session id and session, or None when the
        code is unknown, spent or expired."""
        now = self._clock()
        found = None
        for known in list(self._codes):  # a handful; compared in constant time
            if hmac.compare_digest(known.encode(), code.encode()):
                found = known
        if found is None:
            return None
        expires = self._codes.pop(found)
        if now > expires:
            return None
        sid = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32), created=now, used=now)
        self._sessions[sid] = session
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return sid, session

    def get(self, sid: str) -> Session | None:
        """The live session ``sid`` (its idle time restarts), or None."""
        session = self._sessions.get(sid)
        if session is None:
            return None
        now = self._clock()
        if now - session.used > IDLE_SECONDS:
            del self._sessions[sid]
            return None
        session.used = now
        return session

    def end(self, sid: str) -> bool:
        """Sign the session ``sid`` out; False if there was none."""
        return self._sessions.pop(sid, None) is not None

    def csrf_ok(self, session: Session, header: str | None) -> bool:
        """Whether ``header`` carries ``session``'s CSRF token."""
        return header is not None and hmac.compare_digest(session.csrf.encode(), header.encode())


__all__ = [
    "CSRF_HEADER",
    "IDLE_SECONDS",
    "LOGIN_SECONDS",
    "Session",
    "WebSessions",
    "cookie_name",
]
