"""The endpoint handlers."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any, Final

import trio
from starlette.requests import Request

from intentcast.matching import hints
from intentcast.matching.formatting import format_money
from intentcast.matching.hints import KnownVendor
from intentcast.node import NetworkError, NodeError
from intentcast.protocol import (
    IntentState,
)
from intentcast.store import Deal, DealState, OwnRating, Role

from ..addresses import BadAddress, dialable_addrs, peer_id_of, tcp_endpoint
from ..remote import RemoteVendor
from . import models
from .bodies import validate
from .context import ApiContext, Created
from .drafts import disclosure_for, intent_fields, money
from .errors import BadDraft
from .lookup import own_intent, received_offer, resolve
from .render import deal_json, hint_json, intent_json, ranked_json, rejected_json

#: Longest long poll of ``GET /v1/events`` (seconds).
MAX_POLL: Final = 60.0
#: Most intents ``GET /v1/intents?limit=`` lists.
MAX_LIST: Final = 1_000_000
_WHOLE: Final = re.compile(r"[0-9]{1,7}")


async def _body(request: Request) -> Any:
    """The JSON body ({} when there is none): well-formed JSON of
    well-formed Unicode text, or :class:`BadDraft` naming the field."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw, parse_float=_number)
    except ValueError:
        raise BadDraft("the body is not valid JSON") from None
    except RecursionError:  # "[[[[..." deeper than the parser's stack
        raise BadDraft("the body is nested too deeply") from None
    bad = _ill_formed(data, "")
    if bad is not None:
        raise BadDraft(
            f"{bad or 'the body'}: not well-formed Unicode text (a lone surrogate such as \\ud800)"
        )
    return data


def _number(text: str) -> int | float:
    """A JSON number with a fraction: an integer when it is one (``5.0``),
    as JSON Schema reads numbers; else a float."""
    value = float(text)
    if value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _ill_formed(value: object, where: str) -> str | None:
    """Where in ``value`` a string (or a key) holds a lone surrogate, which
    JSON's escapes allow and no UTF-8 text (nor msgpack) can carry; None if nowhere."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return at
        elif isinstance(item, dict):
            for k, v in item.items():
                path = f"{at}.{k}" if at else str(k)
                if not k.isascii() and _SURROGATE.search(k):
                    return at or "a field name"
                stack.append((v, path))
        elif isinstance(item, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))
    return None


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def seconds(text: str) -> float:
    """A query string's number of seconds; ValueError unless finite."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


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
        "store_bytes": _store_bytes(store.path),
        "intents": {k.value: n for k, n in sorted(store.intents.state_counts().items())},
        "deals": {k.value: n for k, n in sorted(store.deals.state_counts().items())},
        "offer_buckets": list(node.offer_buckets) if "customer" in ctx.settings.roles else None,
        "offer_feed": {"source": node.feed.source} if node.core.feed_mode else None,
        "vendor": None
        if vendor is None
        else {
            "name": vendor.name,
            "categories": list(vendor.categories),
            "catalog": None if ctx.settings.catalog is None else str(ctx.settings.catalog),
            "offers_made": store.offers.made_count(),
            "bot": _bot(vendor),
            "confirm": "manual" if node.config.hold_accepts else "auto",
            "to_answer": len(node.accepts_to_answer()),
            "intent_peers": len(node.intent_peers()),
        },
        "events": ctx.events.last,
        "counters": dict(sorted(node.counters.items())),
    }


def _store_bytes(path: Path | None) -> int | None:
    """The database's size on disk with its WAL (None: in memory)."""
    if path is None:
        return None
    sizes = (Path(f"{path}{suffix}") for suffix in ("", "-wal"))
    return sum(p.stat().st_size for p in sizes if p.exists())


def _bot(vendor: object) -> dict[str, Any] | None:
    """The attached bot of a vendor that waits for one (None: not such a vendor)."""
    if not isinstance(vendor, RemoteVendor):
        return None
    attached = vendor.live()
    return {
        "attached": attached is not None,
        "name": None if attached is None else attached.name,
        "attached_seconds": None
        if attached is None
        else round(trio.current_time() - attached.since, 1),
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
    try:
        peer = peer_id_of(addr)
    except BadAddress as exc:
        raise BadDraft(f"addr: {exc}") from None
    validate(models.Connect, body)
    if peer in ctx.node.p2p.connected_peers():
        # libp2p does not dial a peer it is connected to: say so, and store
        # nothing for an address no one dialled, after checking that
        # something listens there at all.
        await _probe(addr)
        return {"peer_id": peer, "already_connected": True, "dialled": False}
    return {
        "peer_id": await ctx.node.connect(addr),
        "already_connected": False,
        "dialled": True,
    }


#: How long a probe of an address waits for a TCP connection (seconds).
PROBE_SECONDS: Final = 5.0


async def _probe(addr: str) -> None:
    """:class:`NetworkError` unless something accepts a TCP connection at ``addr``."""
    endpoint = tcp_endpoint(addr)
    if endpoint is None:
        return
    host, port = endpoint
    try:
        with trio.fail_after(PROBE_SECONDS):
            stream = await trio.open_tcp_stream(host, port)
        await stream.aclose()
    except (OSError, trio.TooSlowError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "no answer"
        raise NetworkError(
            f"cannot reach {addr} ({why}); that peer is connected by another address"
        ) from None


async def events(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Events after ``since``, waiting up to ``timeout`` seconds for one."""
    try:
        since = int(request.query_params.get("since", "0"))
        timeout = seconds(request.query_params.get("timeout", "0"))
        if since < 0 or not 0 <= timeout <= MAX_POLL:
            raise ValueError(since)
    except ValueError:
        raise BadDraft(
            "since must be a whole number (0 or more) and timeout a number of seconds "
            f"from 0 to {MAX_POLL:.0f}"
        ) from None
    found = await ctx.events.wait_after(since, timeout)
    return {"events": [e.as_json() for e in found], "last": ctx.events.last}


def query_limit(request: Request, maximum: int) -> int | None:
    """A list's ``limit`` query parameter: a whole number from 1 to
    ``maximum``, None when not given; :class:`BadDraft` otherwise."""
    limit = request.query_params.get("limit")
    if limit is None:
        return None
    if not (_WHOLE.fullmatch(limit) and 0 < int(limit) <= maximum):
        raise BadDraft(f"limit must be a whole number from 1 to {maximum}")
    return int(limit)


async def list_intents(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Own intents, newest first (the newest ``limit`` only, if given), and
    how many there are in all."""
    store = ctx.node.store
    limit = query_limit(request, MAX_LIST)
    if limit is None:
        owns = sorted(store.intents.list(), key=lambda o: -o.counter)
    else:
        owns = store.intents.newest(limit)
    counts = store.offers.received_counts([o.intent.signer for o in owns])
    return {
        "intents": [intent_json(ctx, o, counts.get(o.intent.signer, 0)) for o in owns],
        "total": sum(store.intents.state_counts().values()),
    }


def known_vendors(ctx: ApiContext) -> list[KnownVendor]:
    """The vendors this node learned of from the offers it opened (nothing
    is asked of any vendor)."""
    return ctx.known_vendors(ctx.node.store)


async def post_intent(request: Request, ctx: ApiContext) -> Created:
    """Sign and publish a new intent from a JSON draft. Payment modes left
    out are the ones most vendors this node knows take (``defaults`` in the
    answer says what was chosen)."""
    body = await _body(request)
    validate(models.IntentDraft, body)
    defaults: dict[str, Any] = {}
    terms = body.get("terms") if isinstance(body, dict) else None
    if isinstance(terms, dict) and "payment_modes" not in terms:
        chosen = hints.default_payment_modes(known_vendors(ctx))
        if chosen is not None:
            body = {**body, "terms": {**terms, "payment_modes": list(chosen)}}
    fields = intent_fields(body, now=ctx.node.now())
    if isinstance(terms, dict) and "payment_modes" not in terms:
        defaults["payment_modes"] = list(fields["terms"].payment_modes)
    signed = await ctx.node.post_intent(**fields)
    own = ctx.node.store.intents.get(signed.signer)
    assert own is not None
    return Created({"intent": intent_json(ctx, own), "defaults": defaults})


async def show_intent(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """One own intent."""
    return {"intent": intent_json(ctx, own_intent(ctx, request.path_params["key"]))}


async def amend_intent(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Publish the next revision of an own intent with the given changes."""
    body = await _body(request)
    validate(models.IntentChanges, body)
    own = own_intent(ctx, request.path_params["key"])
    changes = intent_fields(body, now=ctx.node.now(), current=own.intent.message)
    signed = await ctx.node.amend(own.intent.signer, **changes)
    updated = ctx.node.store.intents.get(signed.signer)
    assert updated is not None
    return {"intent": intent_json(ctx, updated)}


async def withdraw_intent(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Take an own intent off the market: ``{"reason": "..."}`` (optional)."""
    reason = validate(models.Withdraw, await _body(request)).reason
    own = own_intent(ctx, request.path_params["key"])
    if own.state is IntentState.WITHDRAWN:
        raise NodeError("the intent is already withdrawn")
    if own.state in (IntentState.CLOSED, IntentState.EXPIRED):
        raise NodeError(f"the intent is {own.state.value}; there is nothing to withdraw")
    await ctx.node.withdraw(own.intent.signer, reason=reason)
    updated = ctx.node.store.intents.get(own.intent.signer)
    assert updated is not None
    return {"intent": intent_json(ctx, updated)}


async def offers(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The offers for an own intent: ranked with breakdowns, rejected with reasons."""
    own = own_intent(ctx, request.path_params["key"])
    ranking = ctx.node.offers_for(own.intent.signer)
    vendors = known_vendors(ctx)
    i = own.intent.message
    return {
        "intent": intent_json(ctx, own),
        "ranked": [
            ranked_json(r, _standing(ctx, r.offer.message.vendor_key)) for r in ranking.ranked
        ],
        "rejected": [rejected_json(r) for r in ranking.rejected],
        "known_vendors": len(vendors),
        "hints": [hint_json(h) for h in hints.why_no_offers(i.terms, i.category, vendors)],
    }


async def accept(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Accept a received offer, disclosing only what the body names."""
    body = await _body(request)
    validate(models.Accept, body)
    received = received_offer(ctx, request.path_params["offer"])
    mode = body.get("payment_mode")
    price = body.get("price")
    if mode is not None and not isinstance(mode, str):
        raise BadDraft("payment_mode: must be a string")
    if price is not None:
        o = received.offer.message
        price = money(price, o.currency, "price")
        floor = o.price if o.price_floor is None else o.price_floor
        if mode == "name-your-price" and not floor <= price <= o.price:
            raise BadDraft(
                f"price: {format_money(price, o.currency)} is not one this offer takes: "
                f"name a price from {format_money(floor, o.currency)} (the floor) to "
                f"{format_money(o.price, o.currency)}"
            )
    signed = await ctx.node.accept(
        received.offer.id,
        disclose=disclosure_for(body, ctx.settings.profile),
        payment_mode=mode,
        price=price,
    )
    deal = ctx.node.store.deals.get(signed.id)
    assert deal is not None
    return {"deal": deal_json(deal)}


async def list_deals(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Every deal of this node (as customer and as vendor, or of one ``role``)."""
    node = ctx.node
    role = request.query_params.get("role")
    if role is not None and role not in ("customer", "vendor"):
        raise BadDraft("role must be customer or vendor")
    deals = node.store.deals.list(role=None if role is None else Role(role))
    rated = {} if role == "vendor" else node.store.ratings.own_all()
    standings: dict[bytes, str] = {}  # once per vendor: it reads every rating of the vendor
    for d in deals:
        key = d.offer.message.vendor_key
        if key not in standings:
            standings[key] = _standing(ctx, key)
    return {
        "deals": [
            deal_json(
                d,
                to_answer=node.awaits_owner(d),
                vendor_rating=standings[d.offer.message.vendor_key],
                rating=rated.get(d.accept.id) if _rateable(d) else None,
            )
            for d in deals
        ]
    }


async def show_deal(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """One deal by its accept id (prefix)."""
    deals = ctx.node.store.deals.list()
    deal = resolve(request.path_params["deal"], ((d.accept.id, d) for d in deals), "deal")
    return {
        "deal": deal_json(
            deal,
            to_answer=ctx.node.awaits_owner(deal),
            vendor_rating=_standing(ctx, deal.offer.message.vendor_key),
            rating=_own_rating(ctx, deal),
        )
    }


def _rateable(deal: Deal) -> bool:
    """A confirmed deal of this node's as customer (it may have rated it)."""
    return deal.role is Role.CUSTOMER and deal.state is DealState.CONFIRMED


def _own_rating(ctx: ApiContext, deal: Deal) -> OwnRating | None:
    """This node's own rating of a confirmed deal of its as customer."""
    return ctx.node.store.ratings.own(deal.accept.id) if _rateable(deal) else None


def _standing(ctx: ApiContext, vendor_key: bytes) -> str:
    """The vendor's standing (with this node's own record against it)."""
    return ctx.node.ratings.standing(vendor_key).line
