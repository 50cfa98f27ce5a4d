"""The starlette app: token check, routes, the endpoint table and OpenAPI."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from intentcast.node import NetworkError, NodeError
from intentcast.protocol import (
    IllegalTransition,
    InvalidMessage,
)
from intentcast.store import StoreError

# The web app (daemon/web): its pages, its sign-in, and the endpoints it adds.
from ..web import Access, SecurityHeaders, WebSessions, csrf_refused, web_access, web_routes
from ..web.handlers import (
    vendor_catalog,
    vendor_offers,
    vocab,
    web_login,
    web_logout,
    web_session,
)
from .context import ApiContext, Created, Handler
from .errors import ApiError, error_response
from .handlers import (
    accept,
    amend_intent,
    connect,
    events,
    list_deals,
    list_intents,
    offers,
    peers,
    post_intent,
    show_deal,
    show_intent,
    status,
    stop,
    withdraw_intent,
)
from .schemas import SCHEMAS
from .vendor import vendor_answer, vendor_attach, vendor_detach, vendor_work

log = logging.getLogger(__name__)


class _RequireToken:
    """ASGI middleware: every request needs the bearer token and a loopback
    ``Host`` (a page on another site cannot reach the API by DNS rebinding)."""

    def __init__(self, app: ASGIApp, token: str, web: WebSessions) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            response = error_response(
                403, "forbidden-host", "the API answers only requests to 127.0.0.1"
            )
        elif (
            b"authorization" not in headers
            and (access := web_access(scope, headers, self.web)) is not Access.NO_SESSION
        ):
            # No token: the app's public page, or a signed-in browser.
            if access is Access.BAD_CSRF:
                await csrf_refused()(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        elif not hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
            response = error_response(
                401,
                "unauthorized",
                "missing or wrong token: send 'Authorization: Bearer <token>' with the "
                "token from api.cookie in the node home",
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def _endpoint(ctx: ApiContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request, ctx)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message)
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
        if isinstance(result, Created):
            return JSONResponse(result.body, status_code=201)
        return JSONResponse(result)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
    message = f"no such endpoint: {request.method} {request.url.path}; see /openapi.json"
    if exc.status_code != 404:
        message = f"{exc.detail}: {request.method} {request.url.path}"
    return error_response(exc.status_code, code, message)


def build_app(ctx: ApiContext) -> ASGIApp:
    """The ASGI app of the local API for ``ctx``."""
    routes = [Route(e.path, _endpoint(ctx, e.handler), methods=[e.method]) for e in ENDPOINTS]
    app = Starlette(
        routes=[*routes, *web_routes(ctx.web)], exception_handlers={HTTPException: _http_error}
    )
    return SecurityHeaders(_RequireToken(app, ctx.token, ctx.web))


# --- id prefixes ----------------------------------------------------------------


async def openapi(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API."""
    return openapi_document(ctx.version)


# --- OpenAPI --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route of the API; the OpenAPI document is built from these and
    the handlers' docstrings, so it cannot miss an endpoint."""

    method: str
    path: str
    handler: Handler
    #: Name of the request body's schema under ``components.schemas``.
    body: str | None = None
    query: tuple[tuple[str, str], ...] = ()


ENDPOINTS: Final = (
    Endpoint("GET", "/openapi.json", openapi),
    Endpoint("GET", "/v1/status", status),
    Endpoint("POST", "/v1/stop", stop),
    Endpoint("GET", "/v1/peers", peers),
    Endpoint("POST", "/v1/peers", connect, body="Connect"),
    Endpoint("GET", "/v1/events", events, query=(("since", "integer"), ("timeout", "number"))),
    Endpoint("GET", "/v1/intents", list_intents, query=(("limit", "integer"),)),
    Endpoint("POST", "/v1/intents", post_intent, body="IntentDraft"),
    Endpoint("GET", "/v1/intents/{key}", show_intent),
    Endpoint("POST", "/v1/intents/{key}/amend", amend_intent, body="IntentDraft"),
    Endpoint("POST", "/v1/intents/{key}/withdraw", withdraw_intent, body="Withdraw"),
    Endpoint("GET", "/v1/intents/{key}/offers", offers),
    Endpoint("POST", "/v1/offers/{offer}/accept", accept, body="Accept"),
    Endpoint("GET", "/v1/deals", list_deals),
    Endpoint("GET", "/v1/deals/{deal}", show_deal),
    Endpoint("POST", "/v1/vendor/attach", vendor_attach, body="VendorAttach"),
    Endpoint(
        "GET",
        "/v1/vendor/work",
        vendor_work,
        query=(("session", "string"), ("timeout", "number")),
    ),
    Endpoint("POST", "/v1/vendor/work/{work}", vendor_answer, body="VendorAnswer"),
    Endpoint("POST", "/v1/vendor/detach", vendor_detach, body="VendorSession"),
    Endpoint("GET", "/v1/vendor/offers", vendor_offers),
    Endpoint("GET", "/v1/vendor/catalog", vendor_catalog),
    Endpoint("GET", "/v1/vocab", vocab),
    Endpoint("POST", "/v1/web/login", web_login),
    Endpoint("GET", "/v1/web/session", web_session),
    Endpoint("POST", "/v1/web/logout", web_logout),
)


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _operation(e: Endpoint) -> dict[str, Any]:
    doc = (e.handler.__doc__ or "").strip()
    op: dict[str, Any] = {
        "summary": doc.split("\n")[0].rstrip("."),
        "description": " ".join(doc.split()),
        "responses": {
            "201" if e.handler in (post_intent, vendor_attach) else "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "default": {"description": "Error", "content": _ref("Error")},
        },
    }
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": "the work item's id"
            if name == "work"
            else "id or unambiguous hex prefix (4+ digits)",
            "schema": {"type": "string"},
        }
        for name in re.findall(r"{(\w+)}", e.path)
    ]
    params += [{"name": n, "in": "query", "schema": {"type": t}} for n, t in e.query]
    if params:
        op["parameters"] = params
    if e.body is not None:
        op["requestBody"] = {"content": _ref(e.body)}
    return op


def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI document: paths from :data:`ENDPOINTS` and the handlers'
    docstrings, schemas written by hand (``docs/daemon.md`` explains each call)."""
    paths: dict[str, dict[str, Any]] = {}
    for e in ENDPOINTS:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "intentcast node local API",
            "version": version,
            "description": "Local API of an intentcast node: 127.0.0.1 only, bearer token "
            "from the home's api.cookie. Ids may be unambiguous hex prefixes.",
        },
        "servers": [{"url": "http://127.0.0.1:7646"}],
        "security": [{"cookieToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cookieToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the token in <home>/api.cookie, new at every start",
                }
            },
            "schemas": SCHEMAS,
        },
    }
