"""The local API's request parsing: the JSON body reader, intent drafts
and amendments, an accept's disclosure, the events long poll's query
string, and what an attached vendor bot sends (attach, answers), on
fuzzed bytes.

The body reader and the events handler run on real starlette requests.
The events handler gets a context with a real event log and no node (it
uses none), under trio's mock clock so a long poll takes no real time.

Input: one byte (modulo 4: an intent draft or accept body; the events
query string; a vendor bot's attach body; a bot's answer body), then the
bytes. A bot attaches to a real remote vendor (``intentcast vendor
attach``), which then reads the session the body names.

Oracles: only :class:`BadDraft` or :class:`InvalidMessage` (a 400 answer)
is raised; anything else becomes a 500 "internal error" with a traceback
in the node's log. Parsed fields are checked as in :mod:`fuzz.draft`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Final, cast

import trio
import trio.testing
from starlette.requests import Request

from intentcast.daemon.api import ApiContext, ApiError, BadDraft
from intentcast.daemon.api.handlers import _body, events
from intentcast.daemon.api.vendor import _session
from intentcast.daemon.config import Settings
from intentcast.daemon.events import EventLog
from intentcast.daemon.remote import RemoteVendor, RemoteVendorError, _decision, _offers
from intentcast.node.node import Node
from intentcast.protocol import InvalidMessage
from intentcast.protocol.vocab import CATEGORY_SET

from .draft import api_side
from .harness import Finding, Known

KNOWN: Final[tuple[Known, ...]] = ()


def _request(path: str, body: bytes = b"", query: bytes = b"") -> Request:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST" if body else "GET",
        "path": path,
        "query_string": query,
        "headers": [(b"content-type", b"application/json")],
    }
    return Request(scope, receive)


async def _post(body: bytes) -> None:
    try:
        parsed = await _body(_request("/v1/intents", body=body))
    except BadDraft:
        return
    with contextlib.suppress(BadDraft, InvalidMessage):
        api_side(parsed)


async def _events(query: bytes) -> None:
    ctx = ApiContext(
        node=cast(Node, None),  # the events handler reads only the event log
        token="",
        settings=Settings(),
        events=EventLog(),
        home=Path("."),
        started=0.0,
        stop=lambda: None,
        version="fuzz",
    )
    with contextlib.suppress(BadDraft):
        await events(_request("/v1/events", query=query), ctx)


async def _vendor_attach(body: bytes) -> None:
    """What ``POST /v1/vendor/attach`` does with a body, on a real remote
    vendor; then the session the body names, as the later calls read it."""
    try:
        data = await _body(_request("/v1/vendor/attach", body=body))
    except BadDraft:
        return
    if not isinstance(data, dict):
        return
    remote = RemoteVendor()
    try:
        attached = remote.attach(
            data.get("name"), data.get("categories"), data.get("handler_timeout", 10.0)
        )
    except RemoteVendorError:
        return
    if not set(attached.categories) <= CATEGORY_SET or not attached.name.strip():
        raise Finding(f"a bot attached as {attached.name!r} for {attached.categories!r}")
    try:
        session = _session(data, _request("/v1/vendor/work"))
    except ApiError:
        return
    with contextlib.suppress(RemoteVendorError):
        remote.detach(session)


async def _vendor_answer(body: bytes) -> None:
    """What ``POST /v1/vendor/work/{id}`` reads from a bot's answer."""
    try:
        data = await _body(_request("/v1/vendor/work/w", body=body))
    except BadDraft:
        return
    if isinstance(data, dict):
        for read in (_offers, _decision):
            with contextlib.suppress(RemoteVendorError):
                read(data)


BODY, EVENTS, ATTACH, ANSWER = range(4)


def one_input(data: bytes) -> None:
    if not data:
        return
    kind, rest = data[0] % 4, data[1:]
    if kind == EVENTS:
        trio.run(_events, rest, clock=trio.testing.MockClock(autojump_threshold=0))
    elif kind == ATTACH:
        trio.run(_vendor_attach, rest)
    elif kind == ANSWER:
        trio.run(_vendor_answer, rest)
    else:
        trio.run(_post, rest)


def seeds() -> list[bytes]:
    return [
        b'\x00{"category": "electronics/phones", "title": "Pixel 8", '
        b'"terms": {"max_price": "599.90", "currency": "EUR", "region": "DE"}}',
        b'\x00{"disclose": ["contact", "shipping=Hauptstr. 1"], "payment_mode": "prepay"}',
        b"\x00[]",
        b"\x00not json",
        b"\x01since=0&timeout=2.5",
        b"\x01since=x",
        b'\x02{"name": "Ada\'s Cables", "categories": ["electronics"], "handler_timeout": 5,'
        b' "session": "abc"}',
        b'\x03{"session": "abc", "confirm": true, "text": "Ships tomorrow."}',
        b'\x03{"session": "abc", "offers": ["gqFhAQ==", "not base64"]}',
    ]
