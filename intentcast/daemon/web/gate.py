"""What the API's token check asks of the web app: whether a request
without the bearer token may pass (a public page of the app, or a
signed-in browser with its CSRF token), and the security headers every
answer carries."""

from __future__ import annotations

import enum
from http.cookies import CookieError, SimpleCookie
from typing import Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .sessions import CSRF_HEADER, Session, WebSessions, cookie_name

#: Paths anyone on 127.0.0.1 may fetch: the app's page and its static
#: files (no data in them) and the sign-in exchange (it needs a code).
PUBLIC_PREFIXES: Final = ("/app/",)
PUBLIC_PATHS: Final = frozenset({"/", "/app", "/favicon.ico"})
#: Methods that change nothing (the rest need the CSRF token).
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})

#: Strict: only this origin's own files; no inline script or style, no
#: frames, forms post nowhere else, no plugins.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


class Access(enum.Enum):
    """What :func:`web_access` decides for a request without the token."""

    PUBLIC = "public"  #: a page of the app or its files: no data
    SESSION = "session"  #: a signed-in browser (with its CSRF token if it changes state)
    NO_SESSION = "no-session"  #: neither: the API's usual 401
    BAD_CSRF = "bad-csrf"  #: a signed-in browser's change without its CSRF token or from elsewhere


def _port(scope: Scope) -> int:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else 0


def session_of(
    scope: Scope, headers: dict[bytes, bytes], sessions: WebSessions
) -> tuple[str, Session] | None:
    """The session id and session of the request's cookie, or None."""
    raw = headers.get(b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(cookie_name(_port(scope)))
    if morsel is None:
        return None
    session = sessions.get(morsel.value)
    return None if session is None else (morsel.value, session)


def web_access(scope: Scope, headers: dict[bytes, bytes], sessions: WebSessions) -> Access:
    """Whether a request without the bearer token may pass, and why not."""
    path = scope.get("path", "")
    method = scope.get("method", "GET")
    if method in SAFE_METHODS and (path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)):
        return Access.PUBLIC
    found = session_of(scope, headers, sessions)
    if found is None:
        return Access.NO_SESSION
    if method in SAFE_METHODS:
        return Access.SESSION
    origin = headers.get(b"origin")
    host = headers.get(b"host", b"")
    if origin is not None and origin != b"http://" + host:
        return Access.BAD_CSRF
    csrf = headers.get(CSRF_HEADER.encode())
    if not sessions.csrf_ok(found[1], None if csrf is None else csrf.decode("latin-1")):
        return Access.BAD_CSRF
    return Access.SESSION


def csrf_refused() -> JSONResponse:
    """The answer to a signed-in browser's change without its CSRF token."""
    return JSONResponse(
        {
            "error": {
                "code": "csrf",
                "message": "a change from the web app needs its X-CSRF-Token header "
                "(from GET /v1/web/session) and must come from this origin",
            }
        },
        status_code=403,
    )


class SecurityHeaders:
    """ASGI middleware: every answer carries :data:`SECURITY_HEADERS` (and
    ``Cache-Control: no-store`` unless it is one of the app's static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/app/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "Access",
    "SecurityHeaders",
    "csrf_refused",
    "session_of",
    "web_access",
]
