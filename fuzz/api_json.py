"""The local API's request parsing: the JSON body reader, intent drafts
and amendments, an accept's disclosure, and the events long poll's query
string, on fuzzed bytes.

The body reader and the events handler run on real starlette requests.
The events handler gets a context with a real event log and no node (it
uses none), under trio's mock clock so a long poll takes no real time.

Input: one byte (even: a request body; odd: the events query string),
then the bytes.

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

from intentcast.node.api import ApiContext, BadDraft
from intentcast.node.api.handlers import _body, events
from intentcast.node.daemon import EventLog, Settings
from intentcast.node.node import Node
from intentcast.protocol import InvalidMessage

from .draft import API_DRAFT_KNOWN, api_side
from .harness import Known

KNOWN: Final = (
    *API_DRAFT_KNOWN,
    Known(8, RecursionError, "intentcast.node.api.handlers._body"),
    Known(9, ValueError, "intentcast.node.daemon.EventLog.wait_after"),
)


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


def one_input(data: bytes) -> None:
    if not data:
        return
    if data[0] & 1:
        trio.run(_events, data[1:], clock=trio.testing.MockClock(autojump_threshold=0))
    else:
        trio.run(_post, data[1:])


def seeds() -> list[bytes]:
    return [
        b'\x00{"category": "electronics/phones", "title": "Pixel 8", '
        b'"terms": {"max_price": "599.90", "currency": "EUR", "region": "DE"}}',
        b'\x00{"disclose": ["contact", "shipping=Hauptstr. 1"], "payment_mode": "prepay"}',
        b"\x00[]",
        b"\x00not json",
        b"\x01since=0&timeout=2.5",
        b"\x01since=x",
    ]
