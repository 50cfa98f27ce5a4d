"""Log lines caused by remote peers are rate-limited and summarised per
(peer, reason); the node's own errors and unknown library errors are not
(``intentcast.node.logs``). The clock is an argument: no sleeping."""

from __future__ import annotations

import logging
import time

import pytest

from intentcast.node.logs import (
    LIBRARY_EVENTS,
    RemoteEvents,
    RemoteLog,
    RemoteLogConfig,
    route_libp2p_logging,
)

MALLORY = "12D3KooWMallory"


def test_remote_log_writes_the_first_line_and_the_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    remote = RemoteLog(
        logging.getLogger("intentcast.test"), RemoteLogConfig(interval=60.0), clock=lambda: clock[0]
    )
    with caplog.at_level(logging.INFO, logger="intentcast.test"):
        for _ in range(1_000):
            remote.note(MALLORY, "bad-signature", "gossip from %s refused: %s", MALLORY, "sig")
        clock[0] = 61.0
        remote.flush()
    assert [r.getMessage() for r in caplog.records] == [
        f"gossip from {MALLORY} refused: sig",
        f"peer {MALLORY}: 1,000 events in 61 s, 1 logged: bad-signature 1,000",
    ]


PEER = "12D3KooWQ8i791BXhwnNpntT2QwC8HRBGtXK9CNpJEugfkQD4G5h"


def _library_error(logger: str, message: str) -> None:
    try:
        raise RuntimeError("connection went away")
    except RuntimeError:
        logging.getLogger(logger).error(message, exc_info=True)


def test_known_library_errors_a_peer_causes_become_one_counted_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route_libp2p_logging()
    LIBRARY_EVENTS.events = RemoteEvents(RemoteLogConfig(interval=3_600))
    block = (
        f"Failed to open stream to peer {PEER}:\n  Error: protocols not supported\n"
        "  Protocols: ['/intentcast/sync/1.0.0']\n  Timeout: 30s"
    )
    with caplog.at_level(logging.INFO):
        for _ in range(100):
            _library_error("libp2p.host.basic_host", block)
    records = [r for r in caplog.records if r.name == "libp2p.host.basic_host"]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.INFO and record.exc_info is None
    assert record.getMessage() == f"Failed to open stream to peer {PEER}"


def test_unknown_library_errors_stay_visible_with_their_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route_libp2p_logging()
    with caplog.at_level(logging.INFO):
        for _ in range(30):
            _library_error("libp2p.network.swarm", "something nobody has seen before")
    records = [r for r in caplog.records if r.name == "libp2p.network.swarm"]
    assert len(records) == 30
    assert all(r.levelno == logging.ERROR and r.exc_info is not None for r in records)


@pytest.mark.parametrize(
    ("logger", "message", "shown"),
    [
        (
            "libp2p.stream_muxer.yamux.yamux",
            f"Error in handle_incoming for peer {PEER}: ClosedResourceError: ",
            f"Error in handle_incoming for peer {PEER}: ClosedResourceError",
        ),
        (
            "libp2p.stream_muxer.yamux.yamux",
            f"Received GO_AWAY for peer{PEER}: Protocol error",
            f"Received GO_AWAY for peer{PEER}: Protocol error",
        ),
    ],
)
def test_a_departing_peers_muxer_errors_become_one_counted_line(
    caplog: pytest.LogCaptureFixture, logger: str, message: str, shown: str
) -> None:
    """What a Sybil that leaves mid-stream makes yamux log (seen in CI) is
    the peer's doing: one INFO line per peer, not an ERROR per connection."""
    route_libp2p_logging()
    LIBRARY_EVENTS.events = RemoteEvents(RemoteLogConfig(interval=3_600))
    with caplog.at_level(logging.INFO):
        for _ in range(50):
            logging.getLogger(logger).error(message)
    records = [r for r in caplog.records if r.name == logger]
    assert [(r.levelno, r.getMessage()) for r in records] == [(logging.INFO, shown)]
    # Counted against the peer that caused them, in the summary that follows.
    [line] = LIBRARY_EVENTS.events.summary(time.monotonic() + 3_601)
    assert line.startswith(f"peer {PEER}: 50 events in ")
