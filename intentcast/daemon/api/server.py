"""hypercorn's own error answers in the API's one JSON shape.

hypercorn answers some requests before the app sees them: a request its
HTTP parser (h11) cannot read (400), headers too large (431), and an app
that ends without answering (500). It sends those with an empty body. The
API promises one JSON error shape whatever went wrong, so
:func:`json_error_answers` replaces hypercorn's two error writers (the
connection's and the stream's) with ones that send that shape; the status,
the closing of the connection and the access log stay hypercorn's.

A second repair: one connection's failure never stops the API. hypercorn
runs each connection's task in the server's nursery, so an exception that
escapes one connection ends the whole server, and with it the daemon. One
such escape was seen under load in ``tests/daemon/test_http.py`` (a client
that leaves mid-body while its 408 is written: ``trio.BusyResourceError``,
"another task is currently sending data on this SocketStream", from
hypercorn's close racing its own writer); :func:`contain_connection_failures`
logs what escapes one connection (with its traceback at debug level) and
lets the others, and the node, run on.

Repairs of a library's behaviour, as ``node/repairs.py`` holds those of
py-libp2p: applied once, before the API serves, and checked by
``tests/daemon/test_http.py`` (a malformed request and a 431 answer JSON;
a failing connection leaves the API answering).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from time import time
from typing import Any, Final

import h11
from hypercorn.protocol.events import Body, EndBody, Response
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.protocol.http_stream import ASGIHTTPState, HTTPStream
from hypercorn.trio.tcp_server import TCPServer

log = logging.getLogger(__name__)

_CODES: Final = {
    400: "bad-request",
    404: "not-found",
    408: "timeout",
    413: "too-large",
    414: "uri-too-long",
    431: "headers-too-large",
    500: "internal",
}


def error_body(status: int) -> bytes:
    """The JSON error for an answer hypercorn gives on its own."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    message = {
        400: "the request is not valid HTTP/1.1",
        431: "the request's headers are too large",
        500: "internal error; see the node's log",
    }.get(status, phrase.lower())
    code = _CODES.get(status, "http")
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


async def _connection_error(self: H11Protocol, status_code: int) -> None:
    body = error_body(status_code)
    await self._send_h11_event(
        h11.Response(
            status_code=status_code,
            headers=[*_headers(body), *self.config.response_headers("h11")],
        )
    )
    await self._send_h11_event(h11.Data(data=body))
    await self._send_h11_event(h11.EndOfMessage())


async def _stream_error(self: HTTPStream, status_code: int) -> None:
    body = error_body(status_code)
    await self.send(
        Response(stream_id=self.stream_id, headers=_headers(body), status_code=status_code)
    )
    await self.send(Body(stream_id=self.stream_id, data=body))
    await self.send(EndBody(stream_id=self.stream_id))
    self.state = ASGIHTTPState.CLOSED
    await self.config.log.access(
        self.scope, {"status": status_code, "headers": []}, time() - self.start_time
    )


def json_error_answers() -> None:
    """Make hypercorn's own error answers JSON (idempotent)."""
    protocol: Any = H11Protocol
    stream: Any = HTTPStream
    protocol._send_error_response = _connection_error
    stream._send_error_response = _stream_error


_connection_run: Final = TCPServer.run


async def _contained_run(self: TCPServer) -> None:
    try:
        await _connection_run(self)
    except Exception as exc:  # Cancelled is a BaseException: it passes
        log.warning("an API connection failed: %s; the API serves on", type(exc).__name__)
        log.debug("the API connection's failure", exc_info=exc)


def contain_connection_failures() -> None:
    """Keep what escapes one connection's task inside it (idempotent)."""
    server: Any = TCPServer
    server.run = _contained_run


__all__ = ["contain_connection_failures", "error_body", "json_error_answers"]
