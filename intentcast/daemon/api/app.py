"""The starlette app: the guard before every route (Host, token or web
session, JSON bodies, body deadline), the routes from the endpoint table
(:mod:`.endpoints`), and errors in one JSON shape."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Final

import trio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intentcast.node import NetworkError, NodeError
from intentcast.protocol import (
    IllegalTransition,
    InvalidMessage,
)
from intentcast.store import StoreError

# The web app (daemon/web): its pages, its sign-in, and the endpoints it adds.
from ..remote import RemoteVendorError
from ..web import Access, SecurityHeaders, WebSessions, csrf_refused, web_access, web_routes
from .context import ApiContext, Created, Handler
from .endpoints import ENDPOINTS
from .errors import ApiError, BodyTimeout, BodyTooLarge, error_response

log = logging.getLogger(__name__)


#: Paths anyone on 127.0.0.1 may GET without the token: the API's
#: description holds no secret (and a client generator needs it first).
PUBLIC: Final = frozenset({"/openapi.json", "/docs"})
#: Longest a request body may take to arrive, and its largest size: a body
#: that stalls after its headers is cut off with 408, not held open.
BODY_SECONDS: Final = 5.0
MAX_BODY: Final = 1 << 20


def _json_type(value: bytes) -> bool:
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class _Guard:
    """ASGI middleware, before any route: a loopback ``Host`` (a page on
    another site cannot reach the API by DNS rebinding), the bearer token
    (but for :data:`PUBLIC`, the web app's own pages, and a signed-in
    browser with its CSRF token: :func:`~intentcast.daemon.web.web_access`),
    JSON bodies only (415), and a body that comes within
    :data:`BODY_SECONDS` and :data:`MAX_BODY` (408, 413)."""

    def __init__(self, app: ASGIApp, token: str, web: WebSessions) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        receive, send = _close_if_unread(headers, receive, send)
        host = headers.get(b"host", b"").decode("latin-1").rsplit(":", 1)[0]
        public = scope["method"] in ("GET", "HEAD") and scope["path"] in PUBLIC
        content_type = headers.get(b"content-type")
        if host not in ("127.0.0.1", "localhost"):
            response = error_response(
                403, "forbidden-host", "the API answers only requests to 127.0.0.1"
            )
        elif (
            not public
            and b"authorization" not in headers
            and (access := web_access(scope, headers, self.web)) is not Access.NO_SESSION
        ):
            # No token: the app's public page, or a signed-in browser.
            if access is Access.BAD_CSRF:
                await csrf_refused()(scope, receive, send)
                return
            await self.app(scope, _deadline(receive), send)
            return
        elif not public and not hmac.compare_digest(
            headers.get(b"authorization", b""), self.expected
        ):
            response = error_response(
                401,
                "unauthorized",
                "missing or wrong token: send 'Authorization: Bearer <token>' with the "
                "token from api.cookie in the node home",
                headers={"WWW-Authenticate": "Bearer"},
            )
        elif content_type is not None and not _json_type(content_type):
            shown = content_type.decode("latin-1")[:60]
            response = error_response(
                415,
                "unsupported-media-type",
                f"bodies are JSON: send 'Content-Type: application/json', not {shown!r}",
            )
        else:
            await self.app(scope, _deadline(receive), send)
            return
        await response(scope, receive, send)


def _close_if_unread(
    headers: dict[bytes, bytes], receive: Receive, send: Send
) -> tuple[Receive, Send]:
    """``receive`` and ``send`` for one request such that an answer that
    starts before the request's body was read whole says ``Connection:
    close``. The server (hypercorn) closes such a connection once the answer
    is out, as it must (the unread body would be taken for the next request);
    without the header a client sends its next request into the closing
    socket and reads "server disconnected" instead of an answer. A refusal
    (Host, token, CSRF, media type, 408, 413) answers without reading the
    body, and the body of a small request may still be on its way."""
    length = headers.get(b"content-length", b"0").strip()
    unread = b"transfer-encoding" in headers or length not in (b"", b"0")

    async def tracked() -> Message:
        nonlocal unread
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            unread = False
        return message

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start" and unread:
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"connection", b"close")],
            }
        await send(message)

    return tracked, closing


class _Body:
    """What has come of one request's body."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.size = 0
        self.done = False


def _deadline(receive: Receive) -> Receive:
    """``receive`` that raises :class:`BodyTimeout` when the body has not
    come within :data:`BODY_SECONDS`, :class:`BodyTooLarge` past :data:`MAX_BODY`."""
    body = _Body()

    async def bounded() -> Message:
        if body.done:
            return await receive()
        if body.deadline is None:
            body.deadline = trio.current_time() + BODY_SECONDS
        message: Message | None = None
        with trio.move_on_at(body.deadline):
            message = await receive()
        if message is None:
            raise BodyTimeout(
                f"the request body did not arrive within {BODY_SECONDS:.0f} s; send it whole"
            )
        if message["type"] == "http.request":
            body.size += len(message.get("body", b""))
            if body.size > MAX_BODY:
                raise BodyTooLarge(f"the request body is over {MAX_BODY} bytes")
            body.done = not message.get("more_body", False)
        else:
            body.done = True
        return message

    return bounded


def _endpoint(ctx: ApiContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request, ctx)
        except ClientDisconnect:
            # The client went away (before its body was whole): nothing to
            # answer, nothing wrong with the node.
            log.info("API client left during %s %s", request.method, request.url.path)
            return Response(status_code=499)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message)
        except RemoteVendorError as exc:
            # An attached bot's request the remote vendor refuses.
            return error_response(exc.status, exc.code, str(exc))
        except InvalidMessage as exc:
            return error_response(400, "invalid", str(exc))
        except IllegalTransition as exc:
            return error_response(409, "refused", str(exc))
        except NodeError as exc:
            return error_response(409, "refused", str(exc))
        except NetworkError as exc:
            return error_response(502, "network", str(exc))
        except StoreError as exc:
            log.error("store error: %s", exc)
            return error_response(500, "store", str(exc))
        except Exception:
            log.exception("API request %s %s failed", request.method, request.url.path)
            return error_response(500, "internal", "internal error; see the node's log")
        if isinstance(result, Response):
            return result
        try:
            if isinstance(result, Created):
                return JSONResponse(result.body, status_code=201)
            return JSONResponse(result)
        except (ValueError, TypeError):  # a value JSON cannot carry: a bug of ours
            log.exception(
                "API answer to %s %s cannot be rendered", request.method, request.url.path
            )
            return error_response(500, "internal", "internal error; see the node's log")

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (404, 405) in the API's shape, with their
    headers (405 says what is ``Allow``ed)."""
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
    path = request.url.path
    message = f"no such endpoint: {request.method} {path[:200]}; see /openapi.json"
    if exc.status_code == 404 and path.endswith("/") and len(path) > 1:
        message += f" (without the slash: {path.rstrip('/')[:200]})"
    if exc.status_code != 404:
        message = f"{exc.detail}: {request.method} {path[:200]}"
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("API request %s %s failed", request.method, request.url.path)
    return error_response(500, "internal", "internal error; see the node's log")


def build_app(ctx: ApiContext) -> ASGIApp:
    """The ASGI app of the local API for ``ctx``."""
    routes = [Route(e.path, _endpoint(ctx, e.handler), methods=[e.method]) for e in ENDPOINTS]
    app = Starlette(
        routes=[*routes, *web_routes(ctx.web)],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
    )
    # No 307 to the path without its slash: a 404 that names it, in JSON.
    app.router.redirect_slashes = False
    return SecurityHeaders(_Guard(app, ctx.token, ctx.web))
