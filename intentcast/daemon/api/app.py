"""The starlette app: token check, routes, the endpoint table and OpenAPI."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import trio
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from . import models
from .context import ApiContext, Created, Handler
from .docs import docs_page
from .errors import ApiError, BodyTimeout, BodyTooLarge, error_response
from .handlers import (
    MAX_LIST,
    MAX_POLL,
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
from .vendor import MAX_WORK_POLL, vendor_answer, vendor_attach, vendor_detach, vendor_work

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


# --- OpenAPI --------------------------------------------------------------------


async def openapi(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API (no token needed: it holds no secret)."""
    return openapi_document(ctx.version, server=_origin(request), now=ctx.node.now())


async def docs(request: Request, ctx: ApiContext) -> Response:
    """This API's reference as a page (no token, no external assets)."""
    return HTMLResponse(
        docs_page(openapi_document(ctx.version, server=_origin(request), now=ctx.node.now()))
    )


def _origin(request: Request) -> str:
    """The address this request came to: the node's real API address."""
    server = request.scope.get("server")
    if server:
        return f"http://127.0.0.1:{server[1]}"
    return str(request.base_url).rstrip("/")


@dataclass(frozen=True, slots=True)
class Query:
    """One query parameter of an endpoint."""

    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route of the API; the OpenAPI document is built from these, the
    handlers' docstrings and the models (:mod:`.models`), so it cannot miss
    an endpoint nor say other than what the API checks."""

    method: str
    path: str
    handler: Handler
    #: The request body's model (validated before the handler looks anything up).
    body: type[BaseModel] | None = None
    #: The answer's model.
    answer: type[BaseModel] | None = None
    status: int = 200
    query: tuple[Query, ...] = ()
    #: Needs no token (the API's description).
    public: bool = False


_SECONDS = {"type": "number", "minimum": 0}
ENDPOINTS: Final = (
    Endpoint("GET", "/openapi.json", openapi, public=True),
    Endpoint("GET", "/docs", docs, public=True),
    Endpoint("GET", "/v1/status", status, answer=models.Status),
    Endpoint("POST", "/v1/stop", stop, answer=models.Stopping),
    Endpoint("GET", "/v1/peers", peers, answer=models.Peers),
    Endpoint("POST", "/v1/peers", connect, body=models.Connect, answer=models.Connected),
    Endpoint(
        "GET",
        "/v1/events",
        events,
        answer=models.Events,
        query=(
            Query("since", {"type": "integer", "minimum": 0}, "events after this number"),
            Query(
                "timeout",
                {**_SECONDS, "maximum": MAX_POLL},
                f"seconds to wait for one (at most {MAX_POLL:.0f})",
            ),
        ),
    ),
    Endpoint(
        "GET",
        "/v1/intents",
        list_intents,
        answer=models.Intents,
        query=(
            Query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIST},
                "the newest N intents only",
            ),
        ),
    ),
    Endpoint(
        "POST",
        "/v1/intents",
        post_intent,
        body=models.IntentDraft,
        answer=models.Posted,
        status=201,
    ),
    Endpoint("GET", "/v1/intents/{key}", show_intent, answer=models.IntentAnswer),
    Endpoint(
        "POST",
        "/v1/intents/{key}/amend",
        amend_intent,
        body=models.IntentChanges,
        answer=models.IntentAnswer,
    ),
    Endpoint(
        "POST",
        "/v1/intents/{key}/withdraw",
        withdraw_intent,
        body=models.Withdraw,
        answer=models.IntentAnswer,
    ),
    Endpoint("GET", "/v1/intents/{key}/offers", offers, answer=models.Offers),
    Endpoint(
        "POST", "/v1/offers/{offer}/accept", accept, body=models.Accept, answer=models.DealAnswer
    ),
    Endpoint("GET", "/v1/deals", list_deals, answer=models.Deals),
    Endpoint("GET", "/v1/deals/{deal}", show_deal, answer=models.DealAnswer),
    Endpoint(
        "POST",
        "/v1/vendor/attach",
        vendor_attach,
        body=models.VendorAttach,
        answer=models.Attached,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/vendor/work",
        vendor_work,
        answer=models.Work,
        query=(
            Query(
                "session",
                {"type": "string", "minLength": 1, "maxLength": 100},
                "the session the attach returned",
                required=True,
            ),
            Query(
                "timeout",
                {**_SECONDS, "maximum": MAX_WORK_POLL},
                f"seconds to wait for work (at most {MAX_WORK_POLL:.0f})",
            ),
        ),
    ),
    Endpoint(
        "POST",
        "/v1/vendor/work/{work}",
        vendor_answer,
        body=models.VendorAnswer,
        answer=models.Answered,
    ),
    Endpoint(
        "POST",
        "/v1/vendor/detach",
        vendor_detach,
        body=models.VendorSession,
        answer=models.Detached,
    ),
    Endpoint("GET", "/v1/vendor/offers", vendor_offers, answer=models.VendorOffers),
    Endpoint("GET", "/v1/vendor/catalog", vendor_catalog, answer=models.VendorCatalog),
    Endpoint("GET", "/v1/vocab", vocab, answer=models.Vocab),
    Endpoint("POST", "/v1/web/login", web_login, answer=models.WebLogin),
    Endpoint("GET", "/v1/web/session", web_session, answer=models.WebSession),
    Endpoint("POST", "/v1/web/logout", web_logout, answer=models.WebLogout),
)

_PATH_PARAMS: Final = {
    "work": ("the work item's id", {"type": "string", "pattern": models.WORK_ID}),
}
_ID_PARAM: Final = (
    "id or unambiguous hex prefix (4+ digits)",
    {"type": "string", "pattern": models.HEX_ID},
)


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _operation(e: Endpoint) -> dict[str, Any]:
    doc = (e.handler.__doc__ or "").strip()
    ok: dict[str, Any] = {"description": "OK"}
    if e.answer is not None:
        ok["content"] = _ref(e.answer.__name__)
    elif e.handler is docs:
        ok["content"] = {"text/html": {"schema": {"type": "string"}}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    op: dict[str, Any] = {
        "operationId": f"{e.method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', e.path)}".rstrip("_"),
        "summary": doc.split("\n")[0].rstrip("."),
        "description": " ".join(doc.split()),
        "responses": {
            str(e.status): ok,
            "default": {"description": "Error", "content": _ref("Error")},
        },
    }
    if e.public:
        op["security"] = []
    params = []
    for name in re.findall(r"{(\w+)}", e.path):
        description, schema = _PATH_PARAMS.get(name, _ID_PARAM)
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": description,
                "schema": schema,
            }
        )
    params += [
        {
            "name": q.name,
            "in": "query",
            "required": q.required,
            "description": q.description,
            "schema": q.schema,
        }
        for q in e.query
    ]
    if params:
        op["parameters"] = params
    if e.body is not None:
        op["requestBody"] = {"required": True, "content": _ref(e.body.__name__)}
    return op


def openapi_document(
    version: str, *, server: str = "http://127.0.0.1:7646", now: int | None = None
) -> dict[str, Any]:
    """The OpenAPI document: paths from :data:`ENDPOINTS` and the handlers'
    docstrings, schemas from :mod:`.models` (``docs/daemon.md`` explains
    each call). ``server`` is the API's real address; ``now`` (the node's
    clock) bounds ``deliver_by``, which must not lie in the past."""
    paths: dict[str, dict[str, Any]] = {}
    for e in ENDPOINTS:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e)
    schemas = models.component_schemas()
    if now is not None:
        for name in ("Terms", "TermsChanges"):
            schemas[name]["properties"]["deliver_by"]["minimum"] = now + 600
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "intentcast node local API",
            "version": version,
            "description": "Local API of an intentcast node: 127.0.0.1 only, bearer token "
            "from the home's api.cookie. Ids may be unambiguous hex prefixes. Every error "
            'has one shape: {"error": {"code": ..., "message": ...}}.',
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server, "description": "this node's local API"}],
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
            "schemas": schemas,
        },
    }
