"""The API server's repairs of hypercorn (``daemon/api/server.py``): what
escapes one connection's task stays there, so one failing client cannot
stop the API and the node behind it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
from hypercorn.config import Config
from hypercorn.trio.tcp_server import TCPServer

from intentcast.daemon.api.server import _connection_run, _contained_run


class _FailingStream:
    """A connection whose socket fails as the one seen under load did."""

    async def do_handshake(self) -> None:
        raise AttributeError("not SSL")  # hypercorn's own test for a plain socket

    @property
    def socket(self) -> Any:
        raise trio.BusyResourceError("another task is currently sending data on this SocketStream")

    async def send_eof(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def _server() -> TCPServer:
    server = TCPServer.__new__(TCPServer)
    server.config = Config()
    server.stream = _FailingStream()  # type: ignore[assignment]
    server.send_lock = trio.Lock()
    return server


def test_hypercorn_alone_lets_a_connection_failure_escape() -> None:
    with pytest.raises(trio.BusyResourceError):
        trio.run(_connection_run, _server())


def test_a_connection_failure_is_logged_and_stays_in_its_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="intentcast.daemon.api.server")
    trio.run(_contained_run, _server())
    assert any("BusyResourceError" in r.getMessage() for r in caplog.records)
