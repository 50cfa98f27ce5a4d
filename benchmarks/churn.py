"""``python -m benchmarks churn [--nodes N] [--rounds R] [--json]``: real
nodes in separate OS processes, a third of them killed with SIGKILL and
restarted in every round while customers post intents; does every live
intent reach every vendor that is up, and how fast?

**Set-up.** N child processes (``benchmarks/churn_child.py``), one node
each, on 127.0.0.1: a third vendors (the Kiez Phones catalog: every intent
posted is in their category), a third customers, the rest relays. Every
node has a fixed port and peer key, and lists its neighbours in a ring plus
``--chords`` random links (``network.topology``), and the vendors and
relays also in a backbone of their own (:func:`carriers_linked`: customers
carry no intents; a real node dials bootstrap relays), as bootstrap peers,
so a restarted node redials them and they redial it. Proof of work is 4 bits
(as in ``benchmarks network``). Stem routing is on, as the node ships it:
the embargo timer is the protocol's (10 s plus an exponential draw of mean
20 s); ``--embargo-base`` and ``--embargo-extra`` try a shorter one (the
output names the one used). A stem whose next hop is killed is sent down
another stem when the connection drops, so delivery does not wait for the
timer.

**Run.** Once every node is up and connected, each customer posts a phone
intent every ``--interval`` seconds (jittered). Each of ``--rounds`` rounds
lasts ``--round-seconds``: after ``--kill-at`` seconds a third of the nodes
(at least one vendor and one customer among them) is killed with SIGKILL,
and after ``--down`` seconds restarted on the same store, port and keys.
Then posting stops and the run waits (at most ``--drain`` seconds) until
every vendor holds every intent.

**Figures.** An intent *reaches* a vendor when the vendor's node has stored
it (its ``intent-received`` event; an intent in its store at restart
without one counts from that restart).

- ``delivery``: (intent, vendor) pairs held at the end, read from every
  vendor's store, over all pairs. Expected 1.0.
- ``pair_*``: per pair, from the moment both the intent existed and the
  vendor was up (the later of the post and the start of the vendor life in
  which it arrived) to its arrival: gossip, and sync on (re)connect.
- ``all_up_vendors_*``: per intent, from its post until every vendor that
  was up from the post until the intent reached it holds it.
- ``vendor_catchup_*``: per vendor restart, from the restarted node being
  up to holding every intent posted before then (what it missed while dead
  comes by sync on connect).
- ``round_catchup_*``: per round, from the last restarted node being up
  until every vendor holds every intent posted before then.
- ``lost_after_restart``: intents a vendor had reported stored, or a
  customer had posted, missing from its store after its restart. Expected 0.
- ``restart_*``: a killed node's process start until its node is up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import trio

from benchmarks.harness import report
from benchmarks.network import ROOT, percentile, topology
from intentcast.protocol.stem import DEFAULT_STEM_PARAMS

ROLES: Final = ("vendor", "customer", "relay")
#: Patience for a child's start or answer (a loaded 2-core machine starts a
#: dozen Python processes slowly); it only keeps a broken run from hanging.
PATIENCE: Final = 180.0


def uncut_backbone(nodes: int) -> int:
    """The least ``--backbone`` that no round's kills cut apart: a round
    kills a third of the nodes, a customer among them, so at most
    ``nodes // 3 - 1`` vendors and relays; linking each to ``k`` on either
    side around a ring leaves them connected with fewer than ``2 k`` down."""
    return max(1, nodes // 3 - 1) // 2 + 1


def carriers_linked(
    edges: list[tuple[int, int]], roles: dict[int, str], reach: int = 2
) -> list[tuple[int, int]]:
    """``edges`` and a backbone over the vendors and relays: each linked to
    the next ``reach`` and the previous ``reach`` of them, around a ring
    (``--backbone``, by default :func:`uncut_backbone`: at 12 nodes 2, four
    carrier neighbours, so no three carriers down cut it, and a round kills
    at most three, since a vendor and a customer are among its four; 0:
    none). A customer
    carries no intents (it follows no intents topic: docs/privacy.md,
    section 10), so intents spread only over links between vendors and
    relays; on the ring of all nodes those fall apart when a round kills
    carriers, and an intent fluffed in one part waits for sync to reach the
    others (docs/benchmarks.md, churn). A real node dials bootstrap relays,
    which dial each other: this is that backbone."""
    carriers = sorted(i for i, role in roles.items() if role != "customer")
    n = len(carriers)
    backbone = {
        (min(x, y), max(x, y))
        for k, x in enumerate(carriers)
        for y in (carriers[(k + step) % n] for step in range(1, reach + 1))
        if x != y
    }
    return sorted(set(edges) | backbone)


class ChurnFailed(Exception):
    """A child did not start or answer."""


@dataclass(slots=True)
class Life:
    """One run of a node's process, from its node being up to its kill."""

    start: float
    have: set[str]
    own: set[str]
    end: float = math.inf


@dataclass(slots=True)
class Member:
    """One node of the network across its restarts."""

    index: int
    role: str
    port: int
    seed: bytes
    peer: str
    store: Path
    bootstrap: list[str] = field(default_factory=list)
    process: trio.Process | None = None
    lives: list[Life] = field(default_factory=list)
    spawned: float = 0.0
    ready: trio.Event = field(default_factory=trio.Event)
    #: Set when the current process's output is read to the end.
    drained: trio.Event = field(default_factory=trio.Event)
    replies: list[dict[str, Any]] = field(default_factory=list)
    replied: trio.Event = field(default_factory=trio.Event)

    @property
    def addr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.port}/p2p/{self.peer}"

    def life_at(self, t: float) -> Life | None:
        return next((life for life in self.lives if life.start <= t <= life.end), None)


@dataclass(slots=True)
class Tally:
    """Everything the children reported."""

    #: intent id -> (customer index, when post_intent was called); None: the
    #: post's line was lost with a kill, the intent seen in the customer's store
    posted: dict[str, tuple[int, float | None]] = field(default_factory=dict)
    #: (intent id, vendor index) -> when the vendor stored it
    arrivals: dict[tuple[str, int], float] = field(default_factory=dict)
    #: pairs known only from a vendor's store (the event line was lost with
    #: a kill): the time is an upper bound, left out of the latencies
    from_store: set[tuple[str, int]] = field(default_factory=set)
    lost_after_restart: list[str] = field(default_factory=list)
    restarts: list[float] = field(default_factory=list)


class Churn:
    def __init__(self, args: argparse.Namespace, tmp: Path, nursery: trio.Nursery) -> None:
        self.args = args
        self.tmp = tmp
        self.nursery = nursery
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.members = self._plan()
        #: (node, when, connected peers, mesh of the intent topic) as they change
        self.meshes: list[tuple[int, float, list[str], list[str]]] = []
        #: (when, node indices) of every kill
        self.kills: list[tuple[float, list[int]]] = []
        #: The machine's load average when the run began (others' jobs too).
        self.load_start = os.getloadavg()[0]

    def log(self, text: str) -> None:
        if self.args.verbose:
            print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)

    def _plan(self) -> list[Member]:
        from libp2p.crypto.ed25519 import create_new_key_pair
        from libp2p.peer.id import ID

        from benchmarks.churn_child import derived

        a = self.args
        n = a.nodes
        roles = ["vendor"] * a.vendors + ["customer"] * a.customers
        roles += ["relay"] * (n - len(roles))
        # Interleave roles around the ring, so no role sits in one arc.
        order = sorted(range(n), key=lambda i: (i % 3, i))
        by_index = {order[k]: roles[k] for k in range(n)}
        sockets = []
        for _ in range(n):  # distinct free ports: held open until all are picked
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        ports = [s.getsockname()[1] for s in sockets]
        for s in sockets:
            s.close()
        members = []
        for i in range(n):
            seed = self.rng.randbytes(32)
            key = create_new_key_pair(derived(seed, b"peer"))
            peer = ID.from_pubkey(key.public_key).to_base58()
            members.append(Member(i, by_index[i], ports[i], seed, peer, self.tmp / f"node-{i}.db"))
        for x, y in carriers_linked(topology(n, a.chords, a.seed), by_index, a.backbone):
            members[x].bootstrap.append(members[y].addr)
            members[y].bootstrap.append(members[x].addr)
        return members

    def of(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    # --- children -------------------------------------------------------------------

    async def spawn(self, m: Member) -> None:
        a = self.args
        config = {
            "role": m.role, "store": str(m.store), "port": m.port, "seed": m.seed.hex(),
            "bootstrap": m.bootstrap,
            "embargo": embargo(a),
        }  # fmt: skip
        m.ready, m.drained = trio.Event(), trio.Event()
        m.spawned = time.time()
        with (self.tmp / f"node-{m.index}.log").open("ab") as err:
            m.process = await trio.lowlevel.open_process(
                [sys.executable, "-m", "benchmarks.churn_child", json.dumps(config)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=ROOT,
            )  # fmt: skip
        self.nursery.start_soon(self.pump, m, m.process, m.drained)

    async def pump(self, m: Member, process: trio.Process, drained: trio.Event) -> None:
        """Read one process's event lines to the end."""
        assert process.stdout is not None
        buffer = b""
        try:
            while True:
                chunk = await process.stdout.receive_some(1 << 20)
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self.on_event(m, json.loads(line))
        finally:
            drained.set()

    def on_event(self, m: Member, ev: dict[str, Any]) -> None:
        kind = ev["ev"]
        t = self.tally
        if kind == "recv":
            t.arrivals.setdefault((ev["id"], m.index), ev["t"])
        elif kind == "posted":
            t.posted[ev["id"]] = (m.index, ev["t0"])
        elif kind == "ready":
            life = Life(ev["t"], set(ev["have"]), set(ev["own"]))
            if m.lives:  # a restart: what it had reported must still be there
                t.restarts.append(ev["t"] - m.spawned)
                for (mid, v), _ in t.arrivals.items():
                    if v == m.index and mid not in life.have:
                        t.lost_after_restart.append(f"node {m.index} lost intent {mid[:12]}")
                for mid, (c, _) in t.posted.items():
                    if c == m.index and mid not in life.own:
                        t.lost_after_restart.append(f"node {m.index} lost its intent {mid[:12]}")
            self._holdings(m, life.have, life.own, life.start)
            m.lives.append(life)
            m.ready.set()
        elif kind == "status":
            self._holdings(m, set(ev["have"]), set(ev["own"]), time.time())
            m.replies.append(ev)
            m.replied.set()
        elif kind == "mesh":
            self.meshes.append((m.index, ev["t"], ev["peers"], ev["mesh"]))
        elif kind == "error":
            raise ChurnFailed(f"node {m.index}: {ev['error']}")

    def _holdings(self, m: Member, have: set[str], own: set[str], at: float) -> None:
        t = self.tally
        for mid in own:
            t.posted.setdefault(mid, (m.index, None))
        if m.role == "vendor":
            for mid in have:
                if (mid, m.index) not in t.arrivals:
                    t.arrivals[(mid, m.index)] = at
                    t.from_store.add((mid, m.index))

    async def send(self, m: Member, command: dict[str, Any]) -> None:
        assert m.process is not None and m.process.stdin is not None
        await m.process.stdin.send_all((json.dumps(command) + "\n").encode())

    async def status(self, m: Member) -> dict[str, Any]:
        m.replied = trio.Event()
        await self.send(m, {"cmd": "status"})
        with trio.move_on_after(PATIENCE) as waited:
            await m.replied.wait()
        if not waited.cancelled_caught:
            return m.replies[-1]
        raise ChurnFailed(f"node {m.index} did not answer:\n{self.tail(m)}")

    async def wait_ready(self, members: Sequence[Member]) -> None:
        with trio.move_on_after(PATIENCE) as waited:
            for m in members:
                await m.ready.wait()
        if not waited.cancelled_caught:
            return
        late = [m.index for m in members if not m.ready.is_set()]
        raise ChurnFailed(f"nodes {late} did not start:\n{self.tail(self.members[late[0]])}")

    def tail(self, m: Member) -> str:
        try:
            return (self.tmp / f"node-{m.index}.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    async def kill(self, m: Member) -> None:
        assert m.process is not None
        m.process.kill()
        await m.process.wait()
        m.lives[-1].end = time.time()
        await m.drained.wait()

    async def close(self) -> None:
        with trio.CancelScope(shield=True):
            for m in self.members:
                if m.process is not None and m.process.stdin is not None:
                    with contextlib.suppress(trio.BrokenResourceError, OSError):
                        await m.process.stdin.aclose()
            for m in self.members:
                if m.process is None:
                    continue
                with trio.move_on_after(10):
                    await m.process.wait()
                if m.process.returncode is None:
                    m.process.kill()
                    await m.process.wait()

    # --- the run --------------------------------------------------------------------

    async def posting(self, interval: float, members: Sequence[Member] | None = None) -> None:
        for m in members if members is not None else self.of("customer"):
            await self.send(m, {"cmd": "post", "interval": interval})

    def victims(self) -> list[Member]:
        k = max(1, len(self.members) // 3)
        for _ in range(1000):
            chosen = self.rng.sample(self.members, k)
            roles = {m.role for m in chosen}
            if "vendor" in roles and ("customer" in roles or k < 2):
                return sorted(chosen, key=lambda m: m.index)
        return chosen

    def missing(self) -> list[tuple[str, int]]:
        """(intent, vendor) pairs not delivered yet."""
        arrivals = self.tally.arrivals
        return [(mid, v.index) for mid in self.tally.posted for v in self.of("vendor")
                if (mid, v.index) not in arrivals]  # fmt: skip

    def dump(self, path: Path) -> None:
        """Write what the children reported (for a closer look at a run)."""
        t = self.tally
        path.write_text(json.dumps({
            "members": [{"index": m.index, "role": m.role, "peer": m.peer,
                         "lives": [[life.start, life.end if life.end != math.inf else None]
                                   for life in m.lives]} for m in self.members],
            "posted": t.posted,
            "arrivals": [[mid, v, at] for (mid, v), at in t.arrivals.items()],
            "from_store": sorted(t.from_store),
            "kills": self.kills,
            "meshes": self.meshes,
        }, indent=1))  # fmt: skip

    async def run(self) -> dict[str, Any]:
        a = self.args
        started = time.time()
        for m in self.members:
            await self.spawn(m)
        await self.wait_ready(self.members)
        self.log(f"{len(self.members)} nodes up after {time.time() - started:.1f} s")
        deadline = time.time() + PATIENCE
        while time.time() < deadline:  # everyone connected to a neighbour
            peers = [(await self.status(m))["peers"] for m in self.members]
            if min(peers) >= 1:
                break
            await trio.sleep(0.5)
        await trio.sleep(a.settle)  # heartbeats graft the meshes
        self.log(f"connected: peers {peers}; posting")
        await self.posting(a.interval)
        round_catchup: list[float] = []
        for r in range(a.rounds):
            round_start = trio.current_time()
            await trio.sleep(a.kill_at)
            victims = self.victims()
            self.kills.append((time.time(), [m.index for m in victims]))
            self.log(f"round {r + 1}: killing {[(m.index, m.role) for m in victims]}")
            for m in victims:
                await self.kill(m)
            await trio.sleep(a.down)
            for m in victims:
                await self.spawn(m)
            await self.wait_ready(victims)
            back = max(m.lives[-1].start for m in victims)
            customers = [m for m in victims if m.role == "customer"]
            await self.posting(a.interval, customers)
            self.log(f"round {r + 1}: restarted; {len(self.tally.posted)} intents so far, "
                     f"{len(self.missing())} pairs missing")  # fmt: skip
            round_catchup.append(await self.catchup_after(back, round_start + a.round_seconds))
            await trio.sleep_until(round_start + a.round_seconds)
        await self.posting(0)
        await trio.sleep(1.0)  # posts in flight land
        deadline = time.time() + a.drain
        while self.missing() and time.time() < deadline:
            await trio.sleep(0.5)
        self.log(f"drained: {len(self.missing())} pairs missing")
        finals = {m.index: await self.status(m) for m in self.members}
        return self.figures(finals, round_catchup, time.time() - started)

    async def catchup_after(self, back: float, until: float) -> float:
        """Seconds from ``back`` until every vendor holds every intent posted
        before it (NaN if not within this round: counted again at the end)."""
        before = {mid for mid, (_, t0) in self.tally.posted.items() if t0 is None or t0 < back}
        vendors = self.of("vendor")
        while trio.current_time() < until:
            arrivals = self.tally.arrivals
            late = [arrivals.get((mid, v.index)) for mid in before for v in vendors]
            if all(t is not None for t in late):
                return max(0.0, max((t for t in late if t is not None), default=back) - back)
            await trio.sleep(0.1)
        return math.nan

    def figures(
        self, finals: dict[int, dict[str, Any]], round_catchup: list[float], seconds: float
    ) -> dict[str, Any]:
        a, t = self.args, self.tally
        vendors = self.of("vendor")
        intents = set(t.posted)
        holds = {v.index: set(finals[v.index]["have"]) for v in vendors}
        held = sum(1 for mid in intents for v in vendors if mid in holds[v.index])
        pair_ms: list[float] = []
        per_intent: dict[str, float] = {}
        for (mid, vi), arrived in t.arrivals.items():
            posted = t.posted.get(mid, (0, None))[1]
            life = self.members[vi].life_at(arrived)
            if posted is None or life is None or (mid, vi) in t.from_store:
                continue
            pair_ms.append((arrived - max(posted, life.start)) * 1000)
            if life.start <= posted:  # up from the post until the intent reached it
                per_intent[mid] = max(per_intent.get(mid, 0.0), (arrived - posted) * 1000)
        catchup_ms: list[float] = []
        for v in vendors:
            for life in v.lives[1:]:
                before = [mid for mid, (_, t0) in t.posted.items() if t0 is not None
                          and t0 < life.start]  # fmt: skip
                late = [t.arrivals.get((mid, v.index), math.inf) for mid in before]
                late = [x for x in late if x > life.start]
                catchup_ms.append((max(late, default=life.start) - life.start) * 1000)
        rounds_ms = [x * 1000 for x in round_catchup if not math.isnan(x)]
        undelivered = [f"{mid[:12]}@{v.index}" for mid in intents for v in vendors
                       if mid not in holds[v.index]]  # fmt: skip

        def stats(name: str, values: Sequence[float]) -> dict[str, float]:
            return {
                f"{name}_p50_ms": round(percentile(values, 50), 1),
                f"{name}_p99_ms": round(percentile(values, 99), 1),
                f"{name}_max_ms": round(max(values, default=math.nan), 1),
            }

        return {
            "nodes": len(self.members),
            "vendors": len(vendors),
            "customers": len(self.of("customer")),
            "relays": len(self.of("relay")),
            "rounds": a.rounds,
            "killed_per_round": max(1, len(self.members) // 3),
            "backbone": a.backbone,
            "embargo": describe_embargo(embargo(a)),
            "intents": len(intents),
            "pairs": len(intents) * len(vendors),
            "delivery": round(held / (len(intents) * len(vendors)), 4) if intents else math.nan,
            **stats("pair", pair_ms),
            **stats("all_up_vendors", list(per_intent.values())),
            **stats("vendor_catchup", catchup_ms),
            "vendor_restarts": len(catchup_ms),
            **stats("round_catchup", rounds_ms),
            "rounds_caught_up_in_round": len(rounds_ms),
            "lost_after_restart": len(t.lost_after_restart),
            **stats("restart", [x * 1000 for x in t.restarts]),
            "arrivals_from_store": len(t.from_store),
            "undelivered": undelivered[:10],
            "problems": t.lost_after_restart[:10],
            "load_1m_start_end": [round(self.load_start, 1), round(os.getloadavg()[0], 1)],
            "seconds": round(seconds, 1),
        }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    tmpdir = tempfile.mkdtemp(prefix="intentcast-churn-")
    try:
        async with trio.open_nursery() as nursery:
            churn = Churn(args, Path(tmpdir), nursery)
            try:
                figures = await churn.run()
            finally:
                await churn.close()
                if args.dump:
                    churn.dump(Path(args.dump))
            nursery.cancel_scope.cancel()
    finally:
        if args.keep:
            print(f"kept {tmpdir}", file=sys.stderr)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return figures


def options(argv: Sequence[str]) -> argparse.Namespace:
    """The command line's options (``argv`` without the program name)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks churn",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--nodes", type=int, default=12, help="nodes (processes), at least 3")
    parser.add_argument("--vendors", type=int, default=None, help="vendor nodes (default N/3)")
    parser.add_argument("--customers", type=int, default=None, help="customers (default N/3)")
    parser.add_argument("--rounds", type=int, default=4, help="kill-and-restart rounds")
    parser.add_argument("--round-seconds", type=float, default=15.0, help="length of a round")
    parser.add_argument("--kill-at", type=float, default=3.0, help="seconds into a round")
    parser.add_argument("--down", type=float, default=3.0, help="seconds the killed stay dead")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between posts, each")
    parser.add_argument("--chords", type=int, default=1, help="random links per node")
    parser.add_argument(
        "--backbone",
        type=int,
        default=None,
        choices=range(6),
        help="links from each vendor or relay to the next this many of them (default: "
        "enough that no round's kills cut them apart, 2 at 12 nodes, 3 at 18; "
        "0: only the ring and chords, which kills can cut apart for intents)",
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after connecting")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds for stragglers")
    parser.add_argument(
        "--embargo-base", type=float, help="stem embargo, fixed seconds (default: the protocol's)"
    )
    parser.add_argument(
        "--embargo-extra", type=float, help="its exponential mean (default: the protocol's)"
    )
    parser.add_argument("--seed", type=int, default=1, help="topology and kill schedule seed")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    parser.add_argument("--dump", metavar="FILE", help="write the raw reports as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the stores and node logs")
    args = parser.parse_args(argv)
    args.vendors = args.nodes // 3 if args.vendors is None else args.vendors
    args.customers = args.nodes // 3 if args.customers is None else args.customers
    if args.nodes < 3 or args.vendors < 1 or args.customers < 1:
        parser.error("--nodes must be at least 3, with a vendor and a customer")
    if args.vendors + args.customers > args.nodes:
        parser.error("more vendors and customers than nodes")
    if args.backbone is None:
        args.backbone = uncut_backbone(args.nodes)
    return args


def main(argv: list[str]) -> int:
    args = options(argv)
    figures = trio.run(measure, args)
    report("churn", figures, as_json=args.json)
    return 0 if figures["delivery"] == 1.0 and not figures["lost_after_restart"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def embargo(args: argparse.Namespace) -> list[float] | None:
    """``[base, mean extra]`` seconds of the stem embargo the nodes use, or
    None for the protocol's own (``DEFAULT_STEM_PARAMS``)."""
    if args.embargo_base is None and args.embargo_extra is None:
        return None
    base = (
        DEFAULT_STEM_PARAMS.embargo_base_seconds if args.embargo_base is None else args.embargo_base
    )
    extra = args.embargo_extra
    if extra is None:
        extra = DEFAULT_STEM_PARAMS.embargo_mean_extra_seconds
    return [base, extra]


def describe_embargo(embargo: list[float] | None) -> str:
    if embargo is None:
        return "protocol's (10 + exp 20 s)"
    base, extra = embargo
    return f"{base:g} + exp {extra:g} s (not the protocol's)"
