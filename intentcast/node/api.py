"""The daemon's local HTTP JSON API (starlette, served by hypercorn on trio).

It listens on 127.0.0.1 only and wants ``Authorization: Bearer <token>`` on
every request, the token being the one in the home's ``api.cookie``
(0600, new at every start). Every error has one shape::

    {"error": {"code": "not-found", "message": "no intent of yours starts with 'ab12'"}}

Ids in paths may be short hex prefixes when they are unambiguous. The
OpenAPI document is served at ``/openapi.json``; the reference is
``docs/daemon.md``.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from intentcast.matching import RankedOffer, RejectedOffer, explain
from intentcast.matching.formatting import format_money, minor_unit_exponent
from intentcast.protocol import (
    IllegalTransition,
    Intent,
    IntentState,
    InvalidMessage,
    Offer,
    Preferences,
    Signed,
)
from intentcast.protocol import Terms as ProtocolTerms
from intentcast.protocol.fields import DAY
from intentcast.store import Deal, OwnIntent, ReceivedOffer, StoreError

from .base import NodeError
from .daemon import EventLog, Settings, dialable_addrs
from .node import Node
from .p2p import NetworkError

log = logging.getLogger(__name__)

#: Longest long poll of ``GET /v1/events`` (seconds).
MAX_POLL: Final = 60.0
#: Shortest id prefix accepted in a path.
MIN_PREFIX: Final = 4


class ApiError(Exception):
    """An error answered with the API's one JSON shape."""

    status = 400
    code = "bad-request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApiError):
    """No record matches the id (prefix) in the path."""

    status = 404
    code = "not-found"


class Ambiguous(ApiError):
    """An id prefix matches more than one record."""

    code = "ambiguous"


class BadDraft(ApiError):
    """A request body that is not a valid intent draft, accept or amendment."""

    code = "invalid"


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiContext:
    """What the API serves: the running node and the daemon around it."""

    node: Node
    token: str
    settings: Settings
    events: EventLog
    home: Path
    started: float
    stop: Callable[[], None]
    version: str


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The API's one error shape."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class _RequireToken:
    """ASGI middleware: every request needs the bearer token and a loopback
    ``Host`` (a page on another site cannot reach the API by DNS rebinding)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

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


@dataclass(frozen=True, slots=True)
class Created:
    """A handler's answer for a new resource: 201 Created."""

    body: dict[str, Any]


Handler = Callable[[Request, ApiContext], Awaitable[Any]]


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
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return _RequireToken(app, ctx.token)


# --- id prefixes ----------------------------------------------------------------

T = TypeVar("T")


def resolve(prefix: str, candidates: Iterable[tuple[bytes, T]], what: str) -> T:
    """The one candidate whose id starts with the hex ``prefix``.

    Raises :class:`BadDraft` for a prefix that is not hex or too short,
    :class:`NotFound` and :class:`Ambiguous` otherwise."""
    p = prefix.lower()
    if len(p) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in p):
        raise BadDraft(f"{prefix!r} is not an id: give at least {MIN_PREFIX} hex digits")
    found: dict[int, T] = {}
    for ident, value in candidates:
        if ident.hex().startswith(p):
            found[id(value)] = value
    if not found:
        raise NotFound(f"no {what} starts with {prefix!r}")
    if len(found) > 1:
        raise Ambiguous(f"{prefix!r} matches {len(found)} {what}s; give more digits")
    return next(iter(found.values()))


def _own_intent(ctx: ApiContext, prefix: str) -> OwnIntent:
    pairs: list[tuple[bytes, OwnIntent]] = []
    for own in ctx.node.store.intents.list():
        pairs += [(own.intent.signer, own), (own.intent.id, own)]
    return resolve(prefix, pairs, "intent of yours")


def _received(ctx: ApiContext, prefix: str) -> ReceivedOffer:
    pairs = [
        (r.offer.id, r)
        for own in ctx.node.store.intents.list()
        for r in ctx.node.store.offers.received(own.intent.signer)
    ]
    return resolve(prefix, pairs, "offer you received")


# --- JSON forms -----------------------------------------------------------------


def terms_json(t: ProtocolTerms) -> dict[str, Any]:
    """JSON form of an intent's terms (money in minor units, and as text)."""
    return {
        "max_price": t.max_price,
        "max_price_text": format_money(t.max_price, t.currency),
        "currency": t.currency,
        "region": t.region,
        "deliver_by": t.deliver_by,
        "customer_terms": list(t.customer_terms),
        "payment_modes": list(t.payment_modes),
        "min_stars": t.min_rating / 100,
    }


def intent_json(ctx: ApiContext, own: OwnIntent) -> dict[str, Any]:
    """JSON form of an own intent, with how many offers it has."""
    s, i = own.intent, own.intent.message
    return {
        "key": s.signer.hex(),
        "id": s.id.hex(),
        "state": own.state.value,
        "revision": i.revision,
        "title": i.title,
        "category": "/".join(i.category),
        "description": i.description,
        "attributes": dict(i.attributes),
        "quantity": i.quantity,
        "terms": terms_json(i.terms),
        "preferences": i.preferences.as_dict(),
        "created": i.created,
        "expires": i.expires,
        "offers": len(ctx.node.store.offers.received(s.signer)),
    }


def offer_json(offer: Signed[Offer]) -> dict[str, Any]:
    """JSON form of an opened offer."""
    o = offer.message
    return {
        "id": offer.id.hex(),
        "intent_id": o.intent_id.hex(),
        "vendor": o.vendor_name,
        "vendor_key": o.vendor_key.hex(),
        "item": {
            "title": o.item.title,
            "sku": o.item.sku,
            "description": o.item.description,
            "attributes": dict(o.item.attributes),
        },
        "quantity": o.quantity,
        "price": o.price,
        "price_text": format_money(o.price, o.currency),
        "currency": o.currency,
        "deliver_by": o.deliver_by,
        "ships_to": list(o.ships_to),
        "customer_terms": list(o.customer_terms),
        "payment_modes": list(o.payment_modes),
        "valid_until": o.valid_until,
    }


def ranked_json(r: RankedOffer) -> dict[str, Any]:
    """JSON form of a ranked offer: rank, score, breakdown and explanation."""
    return {
        "rank": r.rank,
        "score": round(r.score, 2),
        "breakdown": {k: round(v, 2) for k, v in r.breakdown.as_dict().items()},
        "out_of": {k: round(v, 2) for k, v in r.out_of.as_dict().items()},
        "price": r.price,
        "rating_stars": round(r.rating / 100, 2),
        "explanation": explain(r),
        "offer": offer_json(r.offer),
    }


def rejected_json(r: RejectedOffer) -> dict[str, Any]:
    """JSON form of a rejected offer with every broken term."""
    return {
        "reasons": [v.message for v in r.violations],
        "explanation": explain(r),
        "offer": offer_json(r.offer),
    }


def deal_json(deal: Deal) -> dict[str, Any]:
    """JSON form of a deal: the agreement and, if any, the vendor's answer."""
    reply = deal.reply
    answer = None
    if reply is not None:
        message = reply.message
        answer = {
            "kind": reply.kind.value,
            "id": reply.id.hex(),
            "text": getattr(message, "note", None) or getattr(message, "reason", ""),
        }
    a = deal.accept.message
    return {
        "id": deal.accept.id.hex(),
        "role": deal.role.value,
        "state": deal.state.value,
        "intent": {
            "key": deal.intent.signer.hex(),
            "id": deal.intent.id.hex(),
            "title": deal.intent.message.title,
        },
        "offer": offer_json(deal.offer),
        "payment_mode": a.payment_mode,
        "price": a.price,
        "price_text": format_money(a.price, deal.offer.message.currency),
        "disclosed": dict(a.disclosure),
        "reply": answer,
    }


# --- intent drafts --------------------------------------------------------------

_DRAFT_KEYS: Final = frozenset(
    {
        "category",
        "title",
        "description",
        "attributes",
        "quantity",
        "terms",
        "preferences",
        "lifetime_days",
    }
)
_TERMS_KEYS: Final = frozenset(
    {
        "max_price",
        "currency",
        "region",
        "deliver_by",
        "deliver_within_days",
        "customer_terms",
        "payment_modes",
        "min_stars",
    }
)


def _money(value: object, currency: str) -> int:
    """Minor units from an integer (already minor units) or a decimal string
    in major units (``"599.90"``)."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise BadDraft(f"terms.max_price: {value!r} is not an amount") from None
        minor = amount.scaleb(minor_unit_exponent(currency))
        if minor != minor.to_integral_value() or minor < 0:
            raise BadDraft(f"terms.max_price: {value!r} has too many decimals for {currency}")
        return int(minor)
    raise BadDraft("terms.max_price: give minor units (59990) or an amount string ('599.90')")


def _number(name: str, value: object) -> float:
    if type(value) not in (int, float) or not 0 < float(value) <= 3650:  # type: ignore[arg-type]
        raise BadDraft(f"{name}: must be a positive number of days")
    return float(value)  # type: ignore[arg-type]


def _terms(body: Mapping[str, Any], now: int, current: ProtocolTerms | None) -> ProtocolTerms:
    unknown = set(body) - _TERMS_KEYS
    if unknown:
        raise BadDraft(f"terms: unknown fields {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = (
        {}
        if current is None
        else {
            "max_price": current.max_price,
            "currency": current.currency,
            "region": current.region,
            "deliver_by": current.deliver_by,
            "customer_terms": current.customer_terms,
            "payment_modes": current.payment_modes,
            "min_rating": current.min_rating,
        }
    )
    currency = body.get("currency", fields.get("currency"))
    if not isinstance(currency, str):
        raise BadDraft("terms.currency: required, an ISO 4217 code such as EUR")
    fields["currency"] = currency
    if "max_price" in body:
        fields["max_price"] = _money(body["max_price"], currency)
    if "region" in body:
        fields["region"] = body["region"]
    if "deliver_by" in body:
        fields["deliver_by"] = body["deliver_by"]
    if "deliver_within_days" in body:
        days = _number("terms.deliver_within_days", body["deliver_within_days"])
        fields["deliver_by"] = now + int(days * DAY)
    for name in ("customer_terms", "payment_modes"):
        if name in body:
            value = body[name]
            if not isinstance(value, list | tuple):
                raise BadDraft(f"terms.{name}: must be a list")
            fields[name] = tuple(value)
    if "min_stars" in body:
        stars = body["min_stars"]
        if type(stars) not in (int, float):
            raise BadDraft("terms.min_stars: must be a number of stars (0 to 5)")
        fields["min_rating"] = round(float(stars) * 100)
    for required in ("max_price", "region"):
        if required not in fields:
            raise BadDraft(f"terms.{required}: required")
    return ProtocolTerms(**fields)


def intent_fields(body: object, *, now: int, current: Intent | None = None) -> dict[str, Any]:
    """Keyword arguments for ``Node.post_intent`` (``current`` None) or
    ``Node.amend`` (the changes to ``current``) from a JSON draft.

    Raises :class:`BadDraft` or :class:`~intentcast.protocol.InvalidMessage`."""
    if not isinstance(body, dict):
        raise BadDraft("the body must be a JSON object (an intent draft)")
    unknown = set(body) - _DRAFT_KEYS
    if unknown:
        raise BadDraft(f"unknown fields {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "category" in body:
        cat = body["category"]
        out["category"] = tuple(cat.split("/")) if isinstance(cat, str) else cat
    for name in ("title", "description", "attributes", "quantity"):
        if name in body:
            out[name] = body[name]
    if "terms" in body or current is None:
        terms = body.get("terms")
        if not isinstance(terms, dict):
            raise BadDraft("terms: required, an object with max_price, currency, region")
        out["terms"] = _terms(terms, now, None if current is None else current.terms)
    if "preferences" in body:
        prefs = body["preferences"]
        if not isinstance(prefs, dict):
            raise BadDraft("preferences: must be an object of weights")
        base = Preferences() if current is None else current.preferences
        unknown = set(prefs) - set(base.as_dict())
        if unknown:
            raise BadDraft(f"preferences: unknown criteria {', '.join(sorted(unknown))}")
        out["preferences"] = replace(base, **prefs)
    if "lifetime_days" in body:
        days = _number("lifetime_days", body["lifetime_days"])
        if current is None:
            out["lifetime"] = int(days * DAY)
        else:
            out["expires"] = now + int(days * DAY)
    if current is None:
        for required in ("category", "title"):
            if required not in out:
                raise BadDraft(f"{required}: required")
    elif not out:
        raise BadDraft("nothing to change: give at least one field")
    return out


# --- handlers -------------------------------------------------------------------


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return await request.json()
    except ValueError:
        raise BadDraft("the body is not valid JSON") from None


def _counts(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


async def status(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The node at a glance."""
    node, store = ctx.node, ctx.node.store
    vendor = node.vendor
    return {
        "version": ctx.version,
        "peer_id": node.peer_id,
        "addrs": dialable_addrs(node.addrs()),
        "roles": list(ctx.settings.roles),
        "home": str(ctx.home),
        "uptime_seconds": round(time.time() - ctx.started, 1),
        "connected_peers": len(node.p2p.connected_peers()),
        "intents": _counts(o.state.value for o in store.intents.list()),
        "deals": _counts(d.state.value for d in store.deals.list()),
        "vendor": None
        if vendor is None
        else {
            "name": vendor.name,
            "categories": list(vendor.categories),
            "catalog": None if ctx.settings.catalog is None else str(ctx.settings.catalog),
            "offers_made": len(store.offers.made()),
        },
        "events": ctx.events.last,
        "counters": dict(sorted(node.counters.items())),
    }


async def stop(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Stop the daemon (after this answer)."""
    ctx.stop()
    return {"stopping": True}


async def peers(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Connected peers, the address book, and banned peers."""
    node = ctx.node
    connected = set(node.p2p.connected_peers())
    known = {p.peer_id: p for p in node.store.peers.list()}
    mono = time.monotonic()
    return {
        "connected": [
            {
                "peer_id": peer,
                "addrs": list(known[peer].addrs) if peer in known else [],
            }
            for peer in sorted(connected)
        ],
        "known": [
            {
                "peer_id": p.peer_id,
                "addrs": list(p.addrs),
                "last_seen": p.last_seen,
                "failures": p.failures,
                "connected": p.peer_id in connected,
            }
            for p in known.values()
        ],
        "banned": [
            {"peer_id": peer, "seconds_left": max(0, round(until - mono))}
            for peer, until in sorted(node.p2p.limits.banned(mono).items())
        ],
    }


async def connect(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Dial a peer: ``{"addr": "/ip4/.../tcp/.../p2p/<id>"}``."""
    body = await _body(request)
    addr = body.get("addr") if isinstance(body, dict) else None
    if not isinstance(addr, str):
        raise BadDraft("addr: required, a multiaddr ending in /p2p/<peer id>")
    return {"peer_id": await ctx.node.connect(addr)}


async def events(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Events after ``since``, waiting up to ``timeout`` seconds for one."""
    try:
        since = int(request.query_params.get("since", "0"))
        timeout = min(float(request.query_params.get("timeout", "0")), MAX_POLL)
    except ValueError:
        raise BadDraft("since must be an integer and timeout a number of seconds") from None
    found = await ctx.events.wait_after(since, max(timeout, 0.0))
    return {"events": [e.as_json() for e in found], "last": ctx.events.last}


async def list_intents(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Own intents, newest first."""
    owns = sorted(ctx.node.store.intents.list(), key=lambda o: -o.counter)
    return {"intents": [intent_json(ctx, o) for o in owns]}


async def post_intent(request: Request, ctx: ApiContext) -> Created:
    """Sign and publish a new intent from a JSON draft."""
    fields = intent_fields(await _body(request), now=ctx.node.now())
    signed = await ctx.node.post_intent(**fields)
    own = ctx.node.store.intents.get(signed.signer)
    assert own is not None
    return Created({"intent": intent_json(ctx, own)})


async def show_intent(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """One own intent."""
    return {"intent": intent_json(ctx, _own_intent(ctx, request.path_params["key"]))}


async def amend_intent(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Publish the next revision of an own intent with the given changes."""
    own = _own_intent(ctx, request.path_params["key"])
    changes = intent_fields(await _body(request), now=ctx.node.now(), current=own.intent.message)
    signed = await ctx.node.amend(own.intent.signer, **changes)
    updated = ctx.node.store.intents.get(signed.signer)
    assert updated is not None
    return {"intent": intent_json(ctx, updated)}


async def withdraw_intent(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Take an own intent off the market: ``{"reason": "..."}`` (optional)."""
    own = _own_intent(ctx, request.path_params["key"])
    if own.state is IntentState.WITHDRAWN:
        raise NodeError("the intent is already withdrawn")
    if own.state in (IntentState.CLOSED, IntentState.EXPIRED):
        raise NodeError(f"the intent is {own.state.value}; there is nothing to withdraw")
    body = await _body(request)
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    if not isinstance(reason, str):
        raise BadDraft("reason: must be a string")
    await ctx.node.withdraw(own.intent.signer, reason=reason)
    updated = ctx.node.store.intents.get(own.intent.signer)
    assert updated is not None
    return {"intent": intent_json(ctx, updated)}


async def offers(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The offers for an own intent: ranked with breakdowns, rejected with reasons."""
    own = _own_intent(ctx, request.path_params["key"])
    ranking = ctx.node.offers_for(own.intent.signer)
    return {
        "intent": intent_json(ctx, own),
        "ranked": [ranked_json(r) for r in ranking.ranked],
        "rejected": [rejected_json(r) for r in ranking.rejected],
    }


def _disclosure(body: Mapping[str, Any], profile: Mapping[str, str]) -> dict[str, str]:
    raw = body.get("disclose", [])
    items: list[tuple[str, str | None]] = []
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        for entry in raw:
            name, sep, value = entry.partition("=")
            items.append((name.strip(), value if sep else None))
    else:
        raise BadDraft("disclose: a list of names (contact, shipping) or an object of values")
    out: dict[str, str] = {}
    for name, given in items:
        value = given
        if value is None:
            if name not in profile:
                raise BadDraft(
                    f'disclose: nothing to send for {name!r}: add {name} = "..." under '
                    f"[profile] in config.toml, or give {name}=VALUE"
                )
            value = profile[name]
        if not isinstance(value, str):
            raise BadDraft(f"disclose: the value of {name!r} must be a string")
        out[name] = value
    return out


async def accept(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Accept a received offer, disclosing only what the body names."""
    received = _received(ctx, request.path_params["offer"])
    body = await _body(request)
    if not isinstance(body, dict):
        raise BadDraft("the body must be a JSON object")
    mode = body.get("payment_mode")
    price = body.get("price")
    if mode is not None and not isinstance(mode, str):
        raise BadDraft("payment_mode: must be a string")
    if price is not None and type(price) is not int:
        raise BadDraft("price: must be an integer in minor units")
    signed = await ctx.node.accept(
        received.offer.id,
        disclose=_disclosure(body, ctx.settings.profile),
        payment_mode=mode,
        price=price,
    )
    deal = ctx.node.store.deals.get(signed.id)
    assert deal is not None
    return {"deal": deal_json(deal)}


async def list_deals(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Every deal of this node (as customer or vendor)."""
    return {"deals": [deal_json(d) for d in ctx.node.store.deals.list()]}


async def show_deal(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """One deal by its accept id (prefix)."""
    deals = ctx.node.store.deals.list()
    deal = resolve(request.path_params["deal"], ((d.accept.id, d) for d in deals), "deal")
    return {"deal": deal_json(deal)}


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
    Endpoint("GET", "/v1/intents", list_intents),
    Endpoint("POST", "/v1/intents", post_intent, body="IntentDraft"),
    Endpoint("GET", "/v1/intents/{key}", show_intent),
    Endpoint("POST", "/v1/intents/{key}/amend", amend_intent, body="IntentDraft"),
    Endpoint("POST", "/v1/intents/{key}/withdraw", withdraw_intent, body="Withdraw"),
    Endpoint("GET", "/v1/intents/{key}/offers", offers),
    Endpoint("POST", "/v1/offers/{offer}/accept", accept, body="Accept"),
    Endpoint("GET", "/v1/deals", list_deals),
    Endpoint("GET", "/v1/deals/{deal}", show_deal),
)


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _operation(e: Endpoint) -> dict[str, Any]:
    doc = (e.handler.__doc__ or "").strip()
    op: dict[str, Any] = {
        "summary": doc.split("\n")[0].rstrip("."),
        "description": " ".join(doc.split()),
        "responses": {
            "201" if e.handler is post_intent else "200": {
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
            "description": "id or unambiguous hex prefix (4+ digits)",
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
    string_list = {"type": "array", "items": {"type": "string"}}
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
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "Connect": {"type": "object", "properties": {"addr": {"type": "string"}}},
                "Withdraw": {"type": "object", "properties": {"reason": {"type": "string"}}},
                "Accept": {
                    "type": "object",
                    "properties": {
                        "disclose": {
                            "description": "names from [profile] or name=value strings, "
                            "or an object of name to value",
                            "oneOf": [
                                string_list,
                                {"type": "object", "additionalProperties": {"type": "string"}},
                            ],
                        },
                        "payment_mode": {"type": "string"},
                        "price": {"type": "integer"},
                    },
                },
                "IntentDraft": {
                    "type": "object",
                    "properties": {
                        "category": {
                            "description": "'electronics/phones' or a list",
                            "oneOf": [{"type": "string"}, string_list],
                        },
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "attributes": {"type": "object"},
                        "quantity": {"type": "integer"},
                        "lifetime_days": {"type": "number"},
                        "preferences": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                        },
                        "terms": {
                            "type": "object",
                            "properties": {
                                "max_price": {
                                    "description": "minor units (integer) or '599.90'",
                                    "oneOf": [{"type": "integer"}, {"type": "string"}],
                                },
                                "currency": {"type": "string"},
                                "region": {"type": "string"},
                                "deliver_by": {"type": "integer"},
                                "deliver_within_days": {"type": "number"},
                                "customer_terms": string_list,
                                "payment_modes": string_list,
                                "min_stars": {"type": "number"},
                            },
                        },
                    },
                },
            },
        },
    }


__all__ = [
    "ENDPOINTS",
    "Ambiguous",
    "ApiContext",
    "ApiError",
    "BadDraft",
    "Created",
    "Endpoint",
    "NotFound",
    "build_app",
    "deal_json",
    "error_response",
    "intent_fields",
    "intent_json",
    "offer_json",
    "openapi_document",
    "ranked_json",
    "rejected_json",
    "resolve",
]
