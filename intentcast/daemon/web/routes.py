"""The app's own routes: its page, its static files and the sign-in
exchange (``GET /app/login?code=...``). They hold no data: everything the
page shows comes from the documented API (``/v1/...``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .sessions import IDLE_SECONDS, WebSessions, cookie_name

#: The app's files, vendored into the package (no CDN: it works offline).
STATIC: Final = Path(str(files("intentcast.daemon.web") / "static"))

_EXPIRED: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>intentcast: sign-in link spent</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/app/static/app.css"></head>
<body><main class="narrow"><h1>This sign-in link was used or has expired</h1>
<p>A sign-in link works once, within a minute. Run <code>intentcast open</code>
again for a new one.</p></main></body></html>
"""


def web_routes(sessions: WebSessions) -> list[BaseRoute]:
    """The app's routes, for the API's starlette app."""

    async def root(request: Request) -> Response:
        return RedirectResponse("/app/", status_code=303)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def login(request: Request) -> Response:
        redeemed = sessions.redeem(request.query_params.get("code", ""))
        if redeemed is None:
            return HTMLResponse(_EXPIRED, status_code=401)
        sid, _session = redeemed
        port = request.scope["server"][1]
        response = RedirectResponse("/app/", status_code=303)
        response.set_cookie(
            cookie_name(port),
            sid,
            max_age=int(IDLE_SECONDS),
            path="/",
            httponly=True,
            samesite="strict",
        )
        return response

    return [
        Route("/", root, methods=["GET"]),
        Route("/app", root, methods=["GET"]),
        Route("/app/", page, methods=["GET"]),
        Route("/app/login", login, methods=["GET"]),
        Mount("/app/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


__all__ = ["STATIC", "web_routes"]
