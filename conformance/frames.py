"""Sync and stem frame cases (docs/wire.md, "Sync" and "Stem"), and the
reference check of one frame, run by the node's own frame reader
(:mod:`intentcast.node.sync`) over an in-memory stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgpack
import trio

from intentcast.node import sync as wire
from intentcast.peer.sync import hello_recent_ok, hello_topics_ok
from intentcast.protocol.kinds import MAX_ANY_ENVELOPE

ID_A: Final = bytes(range(32))
ID_B: Final = bytes(range(32, 64))
TOPIC: Final = "intentcast/1/intents/electronics"


class _Bytes:
    """Just enough of a libp2p stream for :func:`intentcast.node.sync.read_frame`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, n: int = -1) -> bytes:
        out, self._data = self._data[:n], self._data[n:]
        return out


def frame(payload: dict[str, Any] | bytes) -> bytes:
    body = payload if isinstance(payload, bytes) else msgpack.packb(payload, use_bin_type=True)
    return len(body).to_bytes(4, "big") + body


def check_frame(protocol: str, data: bytes, expect: Sequence[str]) -> tuple[bool, str | None]:
    """Whether ``data`` is one acceptable frame of ``protocol`` whose type
    is one of ``expect``, as the node reads it; and its type."""

    async def read() -> dict[str, Any]:
        return await wire.read_frame(_Bytes(data), timeout=5.0)  # type: ignore[arg-type]

    try:
        got = trio.run(read)
        t = wire._expect(got, *expect)
        if t in ("inv", "want"):
            wire._ids(got)
        elif t == "hello" and not (
            hello_topics_ok(got.get("topics")) and hello_recent_ok(got.get("recent"))
        ):
            return False, t
        elif t == "msg":
            body, topic = got.get("data"), got.get("topic")
            if type(body) is not bytes or len(body) > MAX_ANY_ENVELOPE or type(topic) is not str:
                return False, t
        elif t == "stem" and (
            type(got.get("topic")) is not str or type(got.get("msg")) is not bytes
        ):
            return False, t
    except wire.SyncError:
        return False, None
    return True, t


def build() -> list[dict[str, Any]]:
    """Every frame case: ``protocol``, ``expect`` (the frame types the
    reader is waiting for), ``frame_hex``, ``valid``."""
    sync, stem = "sync", "stem"
    ok: list[tuple[str, str, list[str], bytes, str]] = [
        ("hello", sync, ["hello"], frame({"t": "hello", "topics": [TOPIC]}), "a hello"),
        (
            "hello-no-topics",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": []}),
            "a hello naming no topic (the responder offers nothing)",
        ),
        (
            "hello-64-topics",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": ["t"] * 64}),
            "64 topics, the most a hello may name",
        ),
        (
            "hello-extra-key",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [], "v": 2}),
            "unknown keys in a frame are ignored",
        ),
        (
            "hello-recent",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [TOPIC], "recent": 600}),
            "a quiet customer's probe: only ids of intents-topic messages created within the"
            " last 600 s (the most it may ask for); it wants none of them",
        ),
        (
            "hello-recent-1",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [TOPIC], "recent": 1}),
            "recent of 1 s, the least",
        ),
        ("inv", sync, ["inv", "inv-end"], frame({"t": "inv", "ids": [ID_A, ID_B]}), "two ids"),
        ("inv-end", sync, ["inv", "inv-end"], frame({"t": "inv-end"}), "end of the inventory"),
        ("want", sync, ["want", "want-end"], frame({"t": "want", "ids": [ID_A]}), "one id"),
        ("want-end", sync, ["want", "want-end"], frame({"t": "want-end"}), "end of the wants"),
        (
            "msg",
            sync,
            ["msg", "end"],
            frame({"t": "msg", "topic": TOPIC, "data": b"\x95"}),
            "one envelope (validated afterwards, as gossip)",
        ),
        ("end", sync, ["msg", "end"], frame({"t": "end"}), "end of the session"),
        (
            "busy",
            sync,
            ["inv", "inv-end", "busy"],
            frame({"t": "busy"}),
            "the responder will not serve this session",
        ),
        (
            "stem",
            stem,
            ["stem"],
            frame({"t": "stem", "topic": TOPIC, "msg": b"\x95"}),
            "one stem hop",
        ),
        (
            "inv-2048-ids",
            sync,
            ["inv", "inv-end"],
            frame({"t": "inv", "ids": [ID_A] * 2048}),
            "2,048 ids, the most one frame holds",
        ),
    ]
    bad: list[tuple[str, str, list[str], bytes, str]] = [
        (
            "over-max-frame",
            sync,
            ["hello"],
            (wire.MAX_FRAME + 1).to_bytes(4, "big"),
            f"a length over {wire.MAX_FRAME} bytes: refused before reading it",
        ),
        (
            "truncated",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": []})[:-2],
            "the stream ends inside the frame",
        ),
        ("not-msgpack", sync, ["hello"], frame(b"\xc1"), "not msgpack"),
        ("an-array", sync, ["hello"], frame(msgpack.packb(["hello"])), "an array, not a map"),
        ("no-type", sync, ["hello"], frame({"topics": []}), "a map without t"),
        ("type-bin", sync, ["hello"], frame({"t": b"hello", "topics": []}), "t as bin"),
        (
            "unexpected-type",
            sync,
            ["inv", "inv-end"],
            frame({"t": "want", "ids": []}),
            "a want where an inv was expected",
        ),
        (
            "hello-65-topics",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": ["t"] * 65}),
            "65 topics",
        ),
        (
            "hello-long-topic",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": ["x" * 101]}),
            "a topic of 101 characters",
        ),
        (
            "hello-topics-map",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": {"a": 1}}),
            "topics as a map",
        ),
        (
            "hello-recent-601",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [TOPIC], "recent": 601}),
            "recent over 600 s",
        ),
        (
            "hello-recent-0",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [TOPIC], "recent": 0}),
            "recent of 0 s",
        ),
        (
            "hello-recent-float",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [TOPIC], "recent": 60.0}),
            "recent as a float",
        ),
        (
            "hello-recent-true",
            sync,
            ["hello"],
            frame({"t": "hello", "topics": [TOPIC], "recent": True}),
            "recent as a boolean",
        ),
        (
            "inv-short-id",
            sync,
            ["inv", "inv-end"],
            frame({"t": "inv", "ids": [ID_A[:31]]}),
            "an id of 31 bytes",
        ),
        (
            "inv-2049-ids",
            sync,
            ["inv", "inv-end"],
            frame({"t": "inv", "ids": [ID_A] * 2049}),
            "2,049 ids in one frame",
        ),
        (
            "want-ids-text",
            sync,
            ["want", "want-end"],
            frame({"t": "want", "ids": [ID_A.hex()]}),
            "ids as text",
        ),
        (
            "msg-too-big",
            sync,
            ["msg", "end"],
            frame({"t": "msg", "topic": TOPIC, "data": bytes(MAX_ANY_ENVELOPE + 1)}),
            "an envelope over 8,704 bytes",
        ),
        ("msg-no-topic", sync, ["msg", "end"], frame({"t": "msg", "data": b"\x95"}), "no topic"),
        (
            "stem-msg-text",
            stem,
            ["stem"],
            frame({"t": "stem", "topic": TOPIC, "msg": "x"}),
            "the message as text",
        ),
        (
            "stem-other-type",
            stem,
            ["stem"],
            frame({"t": "msg", "topic": TOPIC, "data": b"x"}),
            "a sync frame on a stem stream",
        ),
    ]
    out = []
    for valid, group in ((True, ok), (False, bad)):
        for name, protocol, expect, data, note in group:
            out.append(
                {
                    "name": f"frame/{protocol}-{name}",
                    "op": "frame",
                    "protocol": protocol,
                    "expect_types": expect,
                    "frame_hex": data.hex(),
                    "note": note,
                    "expect": {"ok": valid},
                }
            )
    return out
