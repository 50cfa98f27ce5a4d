"""The API's endpoint table and its OpenAPI document: every route with its
handler, request model, answer model and query parameters (:data:`ENDPOINTS`);
the document and the reference page are built from it, so neither can miss
an endpoint nor say other than what the API checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

# The web app (daemon/web) adds the endpoints it needs beyond the CLI's.
from ..web.handlers import (
    MAX_VENDOR_OFFERS,
    VendorCatalog,
    VendorOffers,
    Vocab,
    WebLogin,
    WebLogout,
    WebSession,
    vendor_catalog,
    vendor_offers,
    vocab,
    web_login,
    web_logout,
    web_session,
)
from . import answers, models
from .context import ApiContext, Handler
from .docs import docs_page
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
from .ratings import (
    Rate,
    RateAnswer,
    RatingReplyBody,
    ReplyAnswer,
    VendorRatings,
    rate_deal,
    reply_to_rating,
    vendor_ratings,
)
from .relationships import (
    DetailUpdate,
    Forget,
    RelationshipAnswer,
    Relationships,
    Resend,
    Sent,
    ThreadMessage,
    forget,
    list_relationships,
    resend_details,
    send_message,
    show_relationship,
    update_detail,
)
from .schemas import component_schemas
from .vendor import (
    MAX_WORK_POLL,
    Answered,
    Attached,
    Detached,
    VendorAnswer,
    VendorAttach,
    VendorReply,
    VendorSession,
    Work,
    confirm_deal,
    decline_deal,
    vendor_answer,
    vendor_attach,
    vendor_detach,
    vendor_work,
)

# --- the OpenAPI document and page ----------------------------------------------


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
    Endpoint("GET", "/v1/status", status, answer=answers.Status),
    Endpoint("POST", "/v1/stop", stop, answer=answers.Stopping),
    Endpoint("GET", "/v1/peers", peers, answer=answers.Peers),
    Endpoint("POST", "/v1/peers", connect, body=models.Connect, answer=answers.Connected),
    Endpoint(
        "GET",
        "/v1/events",
        events,
        answer=answers.Events,
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
        answer=answers.Intents,
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
        answer=answers.Posted,
        status=201,
    ),
    Endpoint("GET", "/v1/intents/{key}", show_intent, answer=answers.IntentAnswer),
    Endpoint(
        "POST",
        "/v1/intents/{key}/amend",
        amend_intent,
        body=models.IntentChanges,
        answer=answers.IntentAnswer,
    ),
    Endpoint(
        "POST",
        "/v1/intents/{key}/withdraw",
        withdraw_intent,
        body=models.Withdraw,
        answer=answers.IntentAnswer,
    ),
    Endpoint("GET", "/v1/intents/{key}/offers", offers, answer=answers.Offers),
    Endpoint(
        "POST", "/v1/offers/{offer}/accept", accept, body=models.Accept, answer=answers.DealAnswer
    ),
    Endpoint(
        "GET",
        "/v1/deals",
        list_deals,
        answer=answers.Deals,
        query=(
            Query(
                "role",
                {"type": "string", "enum": ["customer", "vendor"]},
                "only the deals of this side (default: both)",
            ),
        ),
    ),
    Endpoint("GET", "/v1/deals/{deal}", show_deal, answer=answers.DealAnswer),
    Endpoint("POST", "/v1/deals/{deal}/rate", rate_deal, body=Rate, answer=RateAnswer),
    Endpoint(
        "GET",
        "/v1/ratings",
        vendor_ratings,
        answer=VendorRatings,
        query=(
            Query(
                "vendor",
                {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                "the vendor's key (default: this node's own vendor)",
            ),
        ),
    ),
    Endpoint(
        "POST",
        "/v1/ratings/{deal}/reply",
        reply_to_rating,
        body=RatingReplyBody,
        answer=ReplyAnswer,
    ),
    Endpoint("GET", "/v1/relationships", list_relationships, answer=Relationships),
    Endpoint("GET", "/v1/relationships/{deal}", show_relationship, answer=RelationshipAnswer),
    Endpoint(
        "POST",
        "/v1/relationships/{deal}/messages",
        send_message,
        body=ThreadMessage,
        answer=Sent,
    ),
    Endpoint(
        "POST",
        "/v1/relationships/{deal}/forget",
        forget,
        body=Forget,
        answer=Sent,
    ),
    Endpoint("POST", "/v1/details", update_detail, body=DetailUpdate, answer=Sent),
    Endpoint("POST", "/v1/details/resend", resend_details, body=Resend, answer=Sent),
    Endpoint(
        "POST",
        "/v1/deals/{deal}/confirm",
        confirm_deal,
        body=VendorReply,
        answer=answers.DealAnswer,
    ),
    Endpoint(
        "POST",
        "/v1/deals/{deal}/decline",
        decline_deal,
        body=VendorReply,
        answer=answers.DealAnswer,
    ),
    Endpoint(
        "POST",
        "/v1/vendor/attach",
        vendor_attach,
        body=VendorAttach,
        answer=Attached,
        status=201,
    ),
    Endpoint(
        "GET",
        "/v1/vendor/work",
        vendor_work,
        answer=Work,
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
        body=VendorAnswer,
        answer=Answered,
    ),
    Endpoint(
        "POST",
        "/v1/vendor/detach",
        vendor_detach,
        body=VendorSession,
        answer=Detached,
    ),
    Endpoint(
        "GET",
        "/v1/vendor/offers",
        vendor_offers,
        answer=VendorOffers,
        query=(
            Query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_VENDOR_OFFERS},
                f"the newest N offers only (at most {MAX_VENDOR_OFFERS}, the default)",
            ),
        ),
    ),
    Endpoint("GET", "/v1/vendor/catalog", vendor_catalog, answer=VendorCatalog),
    Endpoint("GET", "/v1/vocab", vocab, answer=Vocab),
    Endpoint("POST", "/v1/web/login", web_login, answer=WebLogin),
    Endpoint("GET", "/v1/web/session", web_session, answer=WebSession),
    Endpoint("POST", "/v1/web/logout", web_logout, answer=WebLogout),
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
    schemas = component_schemas()
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


__all__ = ["ENDPOINTS", "Endpoint", "Query", "openapi_document"]
