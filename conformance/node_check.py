"""``python -m conformance node MULTIADDR``: check a running node from
outside, over real libp2p (docs/conformance.md, "Checking a node").

Probes are py-libp2p peers publishing in the protocol's anonymous mode
(docs/wire.md). They check what a peer can observe:

1. valid messages of every gossip kind are accepted: they come back by
   gossip to another peer, and by sync;
2. sync is served by the rules: frame order and bounds, only offered and
   wanted messages, each once, ``busy`` for a second session;
3. every invalid case of tests/vectors that a node rejects costs its
   sender a strike: ``max_rejected`` of them leave the sender connected,
   one more gets it disconnected and refused (banned); ignored cases cost
   nothing;
4. malformed sync and stem frames are refused (the stream is reset) and
   the node keeps serving;
5. the message rate (docs/wire.md, "Limits"): a peer that stays within
   its burst is kept; one that floods past the rate, with messages that
   are each harmless (expired, so ignored: no strike), is banned.

The messages are built afresh for the node's clock (the stored vectors are
dated 2027) by :mod:`conformance.cases`, with the node's proof-of-work bits.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Final

import trio
from libp2p.pubsub.pb import rpc_pb2

from intentcast.node import sync as wire
from intentcast.node.p2p import P2P, NetworkError, open_p2p
from intentcast.node.stem_streams import PROTOCOL as STEM
from intentcast.peer import topics
from intentcast.peer.limits import PeerLimitConfig
from intentcast.protocol import (
    Intent,
    Kind,
    NetworkParams,
    Withdraw,
    derive_intent_keys,
    message_id,
    sign,
)

from . import cases
from .frames import frame as wire_frame

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    ok: bool
    detail: str = ""


class Failed(Exception):
    pass


@asynccontextmanager
async def probe(addr: str, seen: list[tuple[str, bytes]] | None = None) -> AsyncIterator[P2P]:
    """A fresh peer (new peer id) connected to the node at ``addr``."""

    def on_message(topic: str, data: bytes, peer: str) -> bool:
        if seen is not None:
            seen.append((topic, data))
        return False  # a probe never forwards

    async with open_p2p(on_message=on_message) as p2p:
        await p2p.connect(addr)
        yield p2p


def _target(addr: str) -> str:
    return addr.rsplit("/p2p/", 1)[1]


async def _follows(p2p: P2P, target: str, topic: str, timeout: float = 5.0) -> bool:
    """Subscribe ``p2p`` to ``topic`` and wait until it knows the target follows it."""
    await p2p.subscribe(topic)

    def followed() -> bool:
        return any(p.to_base58() == target for p in p2p.pubsub.peer_topics.get(topic, ()))

    return await _wait(followed, timeout)


async def publish(p2p: P2P, topic: str, data: bytes) -> None:
    """Publish ``data`` as it is, at once (anonymous mode: no from, random seqno)."""
    msg = rpc_pb2.Message(data=data, topicIDs=[topic], seqno=os.urandom(8))
    await p2p.pubsub.push_msg(p2p.pubsub.my_id, msg)


async def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    with trio.move_on_after(timeout) as scope:
        while not predicate():
            await trio.sleep(0.05)
    return not scope.cancelled_caught


def _seen(seen: list[tuple[str, bytes]], raw: bytes) -> bool:
    return any(d == raw for _, d in seen)


def _gone(p2p: P2P, target: str) -> bool:
    return target not in p2p.connected_peers()


def topics_of(b: cases.Builder) -> dict[str, str]:
    """The topic of each kind the checks publish: the builder's sealed offer
    goes on the bucket of the builder's intent key."""
    return {
        "intent": topics.intents("electronics"),
        "withdraw": topics.intents("electronics"),
        "sealed-offer": topics.offers(b.keys.intent_key),
        "sealed-deal": topics.DEALS,
        "vendor-profile": topics.PROFILES,
    }


#: The intents topic every check that needs only one uses.
INTENTS: Final = topics.intents("electronics")


async def sync_session(
    p2p: P2P, target: str, wanted_topics: list[str], want: Callable[[list[bytes]], list[bytes]]
) -> tuple[list[bytes], list[tuple[str, bytes]]]:
    """One sync session as the requester, checking the responder's side of
    the rules; returns (offered ids, received (topic, data))."""
    stream = await p2p.new_stream(target, wire.PROTOCOL)
    timeout = 10.0
    try:
        await wire.write_frame(stream, {"t": "hello", "topics": wanted_topics})
        offered: list[bytes] = []
        while True:
            frame = await wire.read_frame(stream, timeout=timeout)
            if wire._expect(frame, "inv", "inv-end") == "inv-end":
                break
            offered.extend(wire._ids(frame))
        if len(offered) > 20_000 or len(set(offered)) != len(offered):
            raise Failed(f"inventory of {len(offered)} ids, or an id twice")
        asked = want(offered)
        await wire.write_frame(stream, {"t": "want", "ids": asked})
        await wire.write_frame(stream, {"t": "want-end"})
        received: list[tuple[str, bytes]] = []
        while True:
            frame = await wire.read_frame(stream, timeout=timeout)
            if wire._expect(frame, "msg", "end") == "end":
                break
            data, topic = frame.get("data"), frame.get("topic")
            if type(data) is not bytes or len(data) > 8_704 or type(topic) is not str:
                raise Failed("a msg frame breaks its bounds")
            if message_id(data) not in set(asked) & set(offered):
                raise Failed("sent a message that was not both offered and wanted")
            received.append((topic, data))
        ids = [message_id(d) for _, d in received]
        if len(ids) != len(set(ids)):
            raise Failed("sent a message twice")
        return offered, received
    finally:
        await stream.close()


def _fresh_intent(now: int, params: NetworkParams, title: str) -> Any:
    keys = derive_intent_keys(os.urandom(32), 0)
    base = cases.Builder(now, params).intent.message
    message: Intent = replace(base, title=title, reply_key=keys.reply_public)
    return sign(message, keys.signing, params=params)


async def check_node(
    addr: str,
    *,
    params: NetworkParams,
    max_rejected: int = 20,
    limits: PeerLimitConfig | None = None,
    log: Log = print,
) -> list[Result]:
    """Run every check against the node at ``addr``; one result per check.

    ``limits`` are the node's declared message limits (default: wire.md's);
    the rate check floods past them, so it runs last."""
    target = _target(addr)
    results: list[Result] = []

    def record(name: str, ok: bool, detail: str = "") -> None:
        results.append(Result(name, ok, detail))
        log(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")

    wall = int(time.time())
    # Checked at the node's now, ~wall; fresh intent keys, so the node can
    # be checked again (its store keeps the last run's withdrawal).
    b = cases.Builder(wall - 600, params, customer_seed=os.urandom(32))
    TOPIC_OF = topics_of(b)  # noqa: N806 (a table, as the module's was)
    seen: list[tuple[str, bytes]] = []
    async with probe(addr) as sender, probe(addr, seen) as watcher:
        followed = {}
        for topic in TOPIC_OF.values():
            if topic not in followed:
                ok = await _follows(sender, target, topic)
                await _follows(watcher, target, topic)
                followed[topic] = ok
        await trio.sleep(1.2)  # a heartbeat: meshes form
        # 1. valid messages come back by gossip
        order = ["vendor-profile", "intent", "sealed-offer", "sealed-deal", "withdraw"]
        sent: dict[str, bytes] = {}
        for kind in order:
            topic = TOPIC_OF[kind]
            if not followed[topic]:
                record(f"gossip/{kind}", False, f"the node does not follow {topic}")
                continue
            raw = b.valid[kind].raw
            sent[kind] = raw
            await publish(sender, topic, raw)
            back = await _wait(partial(_seen, seen, raw), 10.0)
            record(f"gossip/{kind}-accepted-and-forwarded", back,
                   "" if back else "not forwarded to another peer within 10 s")  # fmt: skip
        # 2. ... and by sync, by the rules
        unknown = os.urandom(32)
        try:
            offered, received = await sync_session(
                watcher, target, sorted(set(TOPIC_OF.values())),
                lambda offered: [*offered, unknown],
            )  # fmt: skip
            got = {d for _, d in received}
            # The withdraw came last: its intent, and the offers to it, are off the market.
            live = {k: raw for k, raw in sent.items() if k not in ("intent", "sealed-offer")}
            missing = [k for k, raw in live.items() if raw not in got]
            record("sync/serves-what-it-holds", not missing,
                   f"not served: {missing}" if missing else "")  # fmt: skip
            dead = [k for k in ("intent", "sealed-offer") if k in sent and sent[k] in got]
            record("sync/withdrawn-intent-not-served", not dead,
                   f"served after its withdrawal: {dead}" if dead else "")  # fmt: skip
            wrong_topic = [t for t, d in received if d in sent.values() and t not in
                           {TOPIC_OF[k] for k, r in sent.items() if r == d}]  # fmt: skip
            record("sync/msg-topics", not wrong_topic, str(wrong_topic) if wrong_topic else "")
            record("sync/unoffered-id-not-served", unknown not in offered)
        except (Failed, wire.SyncError, wire.StreamGone, trio.TooSlowError) as exc:
            record("sync/session", False, f"{type(exc).__name__}: {exc}")
        await _check_busy(watcher, target, record)
        await _check_bad_frames(watcher, target, record)
        await _check_stem(sender, target=target, seen=seen, now=wall, params=params, record=record)
    await _check_sync_requester(addr, now=wall, params=params, record=record)
    await _check_sync_responder_fault(addr, now=wall, params=params, record=record)
    await _check_strikes(
        addr=addr, target=target, b=b, params=params, max_rejected=max_rejected, record=record
    )
    await _check_over_rate(
        addr, b=b, params=params, limits=limits or PeerLimitConfig(), record=record
    )
    return results


async def _check_busy(p2p: P2P, target: str, record: Callable[..., None]) -> None:
    """A second session while one runs gets ``busy``."""
    first = await p2p.new_stream(target, wire.PROTOCOL)
    await wire.write_frame(first, {"t": "hello", "topics": [topics.DEALS]})
    await wire.read_frame(first, timeout=10.0)  # the session runs now (inv or inv-end)
    second = await p2p.new_stream(target, wire.PROTOCOL)
    try:
        await wire.write_frame(second, {"t": "hello", "topics": [topics.DEALS]})
        frame = await wire.read_frame(second, timeout=10.0)
        record("sync/second-session-busy", frame.get("t") == "busy", f"got {frame.get('t')!r}")
    except (wire.SyncError, wire.StreamGone) as exc:
        record("sync/second-session-busy", False, f"{type(exc).__name__}: {exc}")
    finally:
        await first.reset()
        await second.close()


async def _refused(p2p: P2P, target: str, protocol: str, frame: bytes) -> bool:
    """Write one raw ``frame`` on a new stream; True if the node answers
    nothing and resets or closes the stream."""
    try:
        stream = await p2p.new_stream(target, protocol)
    except NetworkError:  # reset while the protocol was negotiated: refused
        return True
    try:
        await stream.write(frame)
        data = b"?"
        with trio.move_on_after(5.0):
            try:
                data = await stream.read(1)
            except Exception:  # reset: refused
                data = b""
        return not data
    finally:
        with suppress(Exception):  # already gone
            await stream.reset()


async def _check_bad_frames(p2p: P2P, target: str, record: Callable[..., None]) -> None:
    bad_hello = wire_frame({"t": "hello", "topics": ["t"] * 65})
    record("sync/bad-hello-refused", await _refused(p2p, target, wire.PROTOCOL, bad_hello))
    bad_stem = wire_frame({"t": "stem", "topic": "x", "msg": "not bytes"})
    record("stem/bad-frame-refused", await _refused(p2p, target, STEM, bad_stem))
    oversize = (wire.MAX_FRAME + 1).to_bytes(4, "big")
    record("sync/oversize-frame-refused", await _refused(p2p, target, wire.PROTOCOL, oversize))


async def _check_stem(
    p2p: P2P,
    *,
    target: str,
    seen: list[tuple[str, bytes]],
    now: int,
    params: NetworkParams,
    record: Callable[..., None],
) -> None:
    """A valid intent handed over on a stem is taken: it comes back by
    gossip (the node fluffs it, or its stem ends for want of a successor
    that speaks the stem, or its embargo fires); and a peer gets at most
    3 stem streams at once."""
    signed = _fresh_intent(now, params, "Pixel 8 by stem")
    stream = await p2p.new_stream(target, STEM)
    try:
        await stream.write(wire_frame({"t": "stem", "topic": INTENTS, "msg": signed.raw}))
        back = await _wait(partial(_seen, seen, signed.raw), 45.0)
        record("stem/valid-message-taken", back, "" if back else "not gossiped within 45 s")
    finally:
        with suppress(Exception):
            await stream.close()
    streams = [await p2p.new_stream(target, STEM) for _ in range(3)]
    await trio.sleep(0.5)
    try:
        fourth = await _refused(p2p, target, STEM, b"")
        with trio.move_on_after(1.0) as scope:
            await streams[0].read(1)  # the first three stay open: this waits
        record("stem/fourth-stream-refused", fourth and scope.cancelled_caught)
    finally:
        for s in streams:
            with suppress(Exception):
                await s.reset()


async def _check_sync_requester(
    addr: str, *, now: int, params: NetworkParams, record: Callable[..., None]
) -> None:
    """The node as the requester: a peer that connects is asked for what it
    holds, by the rules (a hello in bounds, only offered ids wanted), and a
    valid message handed over is taken (the node then offers it by sync)."""
    target = _target(addr)
    signed = _fresh_intent(now, params, "Pixel 8 by sync")
    unknown = bytes(range(64, 96))
    state: dict[str, Any] = {}
    done = trio.Event()

    async def respond(stream: Any) -> None:
        if done.is_set():  # the node's second sync: nothing more to check
            await wire.write_frame(stream, {"t": "inv-end"})
            await wire.read_frame(stream, timeout=10.0)
            await wire.write_frame(stream, {"t": "end"})
            return
        try:
            hello = await wire.read_frame(stream, timeout=10.0)
            state["hello"] = hello
            await wire.write_frame(stream, {"t": "inv", "ids": [signed.id, unknown]})
            await wire.write_frame(stream, {"t": "inv-end"})
            wanted: list[bytes] = []
            while True:
                frame = await wire.read_frame(stream, timeout=10.0)
                if wire._expect(frame, "want", "want-end") == "want-end":
                    break
                wanted.extend(wire._ids(frame))
            state["wanted"] = wanted
            if signed.id in wanted:
                await wire.write_frame(stream, {"t": "msg", "topic": INTENTS, "data": signed.raw})
            await wire.write_frame(stream, {"t": "end"})
            await stream.close()
        except Exception as exc:  # recorded below
            state["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            done.set()

    async with open_p2p(on_message=lambda *_: False) as p2p:
        p2p.set_stream_handler(wire.PROTOCOL, respond)
        await p2p.connect(addr)
        with trio.move_on_after(20.0):
            await done.wait()
        hello = state.get("hello", {})
        hello_ok = type(hello.get("topics")) is list and len(hello["topics"]) <= 64
        wanted = state.get("wanted")
        ok = done.is_set() and "error" not in state and hello_ok and wanted is not None
        ok = (
            ok
            and set(wanted or ()) <= {signed.id, unknown}
            and len(set(wanted or ())) == len(wanted or ())
        )
        detail = state.get("error", "" if ok else f"hello {hello!r}, wanted {wanted!r}")
        record("sync/node-requests-by-the-rules", ok, detail)
        try:
            offered, _ = await sync_session(p2p, target, [INTENTS], lambda ids: [])
            taken = signed.id in offered
        except Exception as exc:  # recorded
            taken, detail = False, f"{type(exc).__name__}: {exc}"
        record("sync/handed-over-message-taken", taken,
               "" if taken else "the intent handed over by sync is not offered back")  # fmt: skip


async def _check_sync_responder_fault(
    addr: str, *, now: int, params: NetworkParams, record: Callable[..., None]
) -> None:
    """A peer that, answering the node's sync, hands over a message the
    node did not want (it offered nothing): the node must not take it."""
    target = _target(addr)
    signed = _fresh_intent(now, params, "Pixel 8 pushed unasked")
    answered = trio.Event()

    async def respond(stream: Any) -> None:
        with suppress(Exception):  # the node may reset the stream: that is fine
            await wire.read_frame(stream, timeout=10.0)
            await wire.write_frame(stream, {"t": "inv-end"})
            await wire.read_frame(stream, timeout=10.0)  # want-end: it wants nothing
            await wire.write_frame(stream, {"t": "msg", "topic": INTENTS, "data": signed.raw})
            await wire.write_frame(stream, {"t": "end"})
        answered.set()

    async with open_p2p(on_message=lambda *_: False) as p2p:
        p2p.set_stream_handler(wire.PROTOCOL, respond)
        await p2p.connect(addr)
        with trio.move_on_after(20.0):
            await answered.wait()
        await trio.sleep(1.0)
    try:
        async with probe(addr) as checker:
            offered, _ = await sync_session(checker, target, [INTENTS], lambda ids: [])
        taken = signed.id in offered
        detail = "the node took a message it did not want and offers it by sync" if taken else ""
    except Exception as exc:  # recorded
        taken, detail = True, f"{type(exc).__name__}: {exc}"
    if not answered.is_set():
        taken, detail = True, "the node did not ask the probe for sync within 20 s"
    record("sync/unwanted-message-dropped", not taken, detail)


def live_cases(b: cases.Builder, params: NetworkParams) -> tuple[list[Any], list[Any]]:
    """The gossip-layer reject and ignore cases that stay what they are
    while they travel (no boundary of the clock), at ``b.now``."""
    rejects, ignores = [], []
    for case in cases.build(b.now, params):
        if case.op != "validate" or case.layer != "gossip":
            continue
        expect = case.expect
        assert isinstance(expect, cases.Expect)
        if expect.action == "reject":
            rejects.append(case)
        elif expect.action == "ignore" and expect.reason != "from-future":
            ignores.append(case)
    future = b.forge("intent", cases._set(cases._set(b.body("intent"), "created", b.now + 4_200),
                                          "terms.by", None))  # fmt: skip
    ignores.append(cases.Case("time/from-future-hour", "validate", cases.ignore("from-future"),
                              "16", "an hour ahead", kind="intent", data=future))  # fmt: skip
    return rejects, ignores


async def _check_strikes(
    *,
    addr: str,
    target: str,
    b: cases.Builder,
    params: NetworkParams,
    max_rejected: int,
    record: Callable[..., None],
) -> None:
    """Rejected cases in batches of ``max_rejected`` + 1 from fresh peers:
    the first ``max_rejected`` leave the sender connected (with every
    ignored case on top, which costs nothing), the next one bans it."""
    rejects, ignores = live_cases(b, params)
    topic = topics.intents("electronics")
    batch = max_rejected + 1
    unique: dict[bytes, Any] = {}
    for case in rejects:
        unique.setdefault(case.data, case)  # a node drops a copy it has seen
    pending = list(unique.values())
    raw = b.intent.raw
    bit = 0
    while len(pending) % batch:  # fill the last batch: signatures with a flipped bit
        flipped = bytearray(raw)
        flipped[-1 - bit // 8] ^= 1 << (bit % 8)
        bit += 1
        pending.append(cases.Case(f"signature/flipped-bit-{bit}", "validate",
                                  cases.reject("bad-signature"), "10", "", kind="intent",
                                  data=bytes(flipped)))  # fmt: skip
    for start in range(0, len(pending), batch):
        group = pending[start : start + batch]
        label = f"strikes/{group[0].name}..{group[-1].name} ({batch} rejects"
        label += f", after {len(ignores)} ignored)" if start == 0 else ")"
        async with probe(addr) as evil:
            if not await _follows(evil, target, topic):
                record(label, False, f"the node does not follow {topic}")
                return
            extra = ignores if start == 0 else []
            for case in [*extra, *group[:-1]]:
                await publish(evil, topic, case.data)
                await trio.sleep(0.01)
            await trio.sleep(1.0)
            if target not in evil.connected_peers():
                names = ", ".join(c.name for c in [*extra, *group[:-1]])
                record(label, False, f"banned before the last case; sent: {names}")
                continue
            await publish(evil, topic, group[-1].data)
            gone = await _wait(partial(_gone, evil, target), 10.0)
            if not gone:
                names = ", ".join(c.name for c in group)
                record(label, False, f"still connected after {batch} rejects: {names}")
                continue
            if start == 0:  # once: a banned peer is refused when it comes back
                record("strikes/banned-peer-refused", await _refused_reconnect(evil, addr))
            record(label, True)


def harmless_flood(b: cases.Builder, params: NetworkParams, count: int) -> list[bytes]:
    """``count`` distinct, well-formed withdrawals that expired a day ago:
    a node ignores each (no strike), so only their rate can get the sender
    banned. Each carries its kind's proof of work (checked before expiry)."""
    return [
        sign(
            Withdraw(
                intent_key=b.keys.intent_key,
                created=b.now - 2 * cases.DAY,
                expires=b.now - cases.DAY,
                reason=f"flood {i}",
            ),
            b.keys.signing,
            params=params,
        ).raw
        for i in range(count)
    ]


async def _check_over_rate(
    addr: str,
    *,
    b: cases.Builder,
    params: NetworkParams,
    limits: PeerLimitConfig,
    record: Callable[..., None],
) -> None:
    """Half a burst leaves the sender connected; then a flood of twice
    (burst + tolerated drops) plus two seconds' worth of the rate, sent as
    fast as the probe's own pubsub queue allows, gets it disconnected and
    refused. A node that reads slower than the rate sees no flood: the check
    then fails with the numbers, rather than pass on a slow machine."""
    target = _target(addr)
    topic = topics.intents("electronics")
    calm = max(1, int(limits.message_burst) // 2)
    flood = int(2 * (limits.message_burst + limits.max_over_rate) + 2 * limits.messages_per_second)
    messages = harmless_flood(b, params, calm + flood)
    async with probe(addr) as noisy:
        if not await _follows(noisy, target, topic):
            record("limits/within-burst-kept", False, f"the node does not follow {topic}")
            return
        for raw in messages[:calm]:
            await publish(noisy, topic, raw)
            await trio.sleep(0.002)
        await trio.sleep(1.0)
        kept = target in noisy.connected_peers()
        record("limits/within-burst-kept", kept,
               "" if kept else f"disconnected after {calm} ignored messages")  # fmt: skip
        if not kept:
            return
        started = trio.current_time()
        for raw in messages[calm:]:
            await publish(noisy, topic, raw)
            if _gone(noisy, target):
                break
            await trio.sleep(0.001)  # the probe's pubsub queue drains (32 per peer)
        took = trio.current_time() - started
        gone = await _wait(partial(_gone, noisy, target), 10.0)
        record("limits/over-rate-banned", gone,
               "" if gone else f"still connected after {flood} messages in {took:.1f} s "
               f"(limit {limits.messages_per_second:g}/s, burst {limits.message_burst:g}, "
               f"{limits.max_over_rate} drops tolerated)")  # fmt: skip
        if gone:
            record("limits/over-rate-peer-refused", await _refused_reconnect(noisy, addr))


async def _refused_reconnect(p2p: P2P, addr: str) -> bool:
    """Whether the node drops a banned peer that dials it again (at once,
    or within a second of the connection)."""
    target = _target(addr)
    try:
        await p2p.connect(addr)
    except Exception:  # refused outright
        return True
    await trio.sleep(1.0)
    # The dialer's view of a connection the node dropped can stay stale
    # (py-libp2p); what counts is that the node serves nothing on it.
    served = False
    with trio.move_on_after(8.0):
        try:
            stream = await p2p.new_stream(target, wire.PROTOCOL)
            await wire.write_frame(stream, {"t": "hello", "topics": []})
            await wire.read_frame(stream, timeout=5.0)
            served = True
        except Exception:  # no stream, reset, nothing: refused
            served = False
    return not served


async def run(
    addr: str,
    *,
    pow_bits: dict[str, int] | None,
    max_rejected: int,
    limits: PeerLimitConfig | None = None,
) -> int:
    if "/p2p/" not in addr:
        print(f"error: {addr!r} is not a node address ending in /p2p/<peer id>", file=sys.stderr)
        return 2
    params = (
        NetworkParams()
        if pow_bits is None
        else NetworkParams(pow_bits={Kind(k): v for k, v in pow_bits.items()})
    )
    try:
        results = await check_node(addr, params=params, max_rejected=max_rejected, limits=limits)
    except NetworkError as exc:
        print(f"error: cannot reach the node: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
