"""The customer's and vendor's web app, served by the daemon on its API
address (``docs/daemon.md``, "The web app"): a page and its plain JS and
CSS, vendored into the package; sign-in by a one-time link
(``intentcast open``) that exchanges for an HttpOnly session cookie; CSRF
token on every change; a strict Content-Security-Policy. The page uses
only the documented API (``/v1/...``)."""

from .gate import Access, SecurityHeaders, csrf_refused, web_access
from .routes import web_routes
from .sessions import WebSessions, cookie_name

__all__ = [
    "Access",
    "SecurityHeaders",
    "WebSessions",
    "cookie_name",
    "csrf_refused",
    "web_access",
    "web_routes",
]
