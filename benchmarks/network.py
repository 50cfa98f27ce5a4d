"""``python -m benchmarks network --nodes N [--json]``: intents end to end
over real py-libp2p, nodes in separate OS processes, against raw gossip.

One run starts N child processes (``benchmarks/network_child.py``) and uses
them for three kinds of phase, in rounds whose order alternates (raw,
fluff, stem, then stem, fluff, raw, ... for ``--rounds``), with the same
topology (a ring plus two random links dialled per node, seeded) and the
same publish schedule (``--messages`` per phase at ``--rate`` per second,
round robin over up to five publishers, none of them a vendor):

(a) raw: each child runs a bare ``P2P`` host, configured exactly as the node
    configures py-libp2p (``open_p2p``: Noise, yamux, gossipsub v1.1, 1 s
    heartbeat, anonymous publishing, content ids, paced outbox), subscribed
    to the same topics as a relay node, with a handler that only notes the
    arrival time and accepts. Payloads are random, the size of a bulk intent.
(b) fluff: each child runs an intentcast relay node (validates and stores
    every intent) and, for the last five, a vendor bot with the Kiez Phones
    catalog, with stem routing off: an intent is gossiped by its author at
    once. This is the pipeline's own overhead over raw gossip.
(c) stem: the same nodes with stem routing on, as the node ships
    (``DEFAULT_STEM_PARAMS``): every intent first travels a stem of single
    peers, then is gossiped by the node that ends the stem.

In the node phases publishers call ``post_intent`` (4-bit proof of work,
see ``LOW_WORK``) for intents in a category no vendor sells. Arrival is
the moment a node's inbound pipeline takes the message in (validated,
queued for storage, about to be forwarded), whatever brought it: gossip,
the end of a stem at that node, or sync (``NodeBase.trace``).
``p50_event_ms``/``p99_event_ms`` (stem phases) measure up to the app's
``intent-received`` event instead. In the last stem phase the customer
(node 0) then posts ``--offer-intents`` phone intents, ``--offer-interval``
seconds apart, that every vendor answers.

Latency is receiver ``time.time()`` minus publisher ``time.time()`` taken
just before the publish (raw) or ``post_intent`` call (node): every process
reads the same machine clock. Pairs are distinct (message, receiver)
pairs with the receiver not the author; the drain after each phase waits
until every pair arrived or ``--drain`` seconds passed. ``delivery`` is the
fraction of pairs that arrived; percentiles are over those that did, and
``*_vs_raw`` divides a phase's percentile by raw gossip's in the same run.
For the stem phases, from the nodes' own trace: how each stem ended
(``stem_ends``: at a diffuser, by a loop, by an embargo timer, for want of
a successor, a full node), stems re-routed after a successor left, and
hops per intent (stem hands from the author to the node that ended it).
``first_offer_ms`` / ``all_offers_ms``: from the ``post_intent`` call to
the moment the customer's ranking (``offers_for``) holds its first offer /
every offer the vendors made for the intent (median over the intents; the
max is reported too).

Diagnostics: ``post_*_ms`` is the time inside ``post_intent`` (sign, two
store writes, queue for the stem or gossip, and the flush of the intent's
record, which the intent does not wait for); ``inbound_*_ms`` the inbound
pipeline per message the gossip validator hands it, wall time, and with
``--inbound-cpu`` ``inbound_cpu_*_ms`` the CPU time of the same calls (the
rest of a call's wall time it waited for a core; off by default: reading
the CPU clock is a system call on the node's path before each forward,
one raw gossip does not make, and a sampling profile found more wall
time in those calls than in the pipeline itself); ``cpu_*_cores`` the cores
our children kept busy during the publishing, ``cpu_other_*_cores`` what
the rest of the machine used meanwhile (a busy neighbour shows up there);
``machine_stalls_ms``, per kind of phase, how late (ms, at least
``STALL_MS``) a process of its own that only sleeps 5 ms at a time woke
during the phases' publishing and drain: the machine stalled or had no
core free, which one run's p99 then shows, whatever the node did.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import trio

from benchmarks.harness import report
from intentcast.node.stem import STEM_ENDS
from intentcast.peer.config import NodeConfig

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "examples" / "catalogs" / "kiez-phones.toml"
DEGREE_LOW = 4  # GossipConfig.degree_low: the mesh size a node aims for at least
#: The phases of a round: raw gossip, the node without and with stem routing.
MODES = ("raw", "fluff", "stem")


class ChildFailed(Exception):
    pass


class Proc:
    """One child process and its JSON-line channel."""

    def __init__(self, index: int, process: trio.Process, log: Path) -> None:
        self.index = index
        self.process = process
        self.log = log
        self._buffer = b""

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    async def send(self, obj: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send_all((json.dumps(obj) + "\n").encode())

    async def receive(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        with trio.move_on_after(timeout):
            while b"\n" not in self._buffer:
                chunk = await self.process.stdout.receive_some(1 << 20)
                if not chunk:
                    raise ChildFailed(f"child {self.index} exited:\n{self._tail()}")
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\n", 1)
            reply: dict[str, Any] = json.loads(line)
            if "error" in reply:
                raise ChildFailed(f"child {self.index}: {reply['error']}")
            return reply
        raise ChildFailed(f"child {self.index} silent for {timeout} s:\n{self._tail()}")

    async def call(self, obj: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        await self.send(obj)
        return await self.receive(timeout)

    async def close(self) -> None:
        """Close stdin (the child leaves), then kill it if it lingers."""
        with trio.CancelScope(shield=True):
            try:
                if self.process.stdin is not None:
                    await self.process.stdin.aclose()
            except Exception:
                pass
            with trio.move_on_after(10):
                await self.process.wait()
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


async def spawn(index: int, tmp: Path) -> Proc:
    log = tmp / f"child-{index}.log"
    with open(log, "wb") as stderr:
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "benchmarks.network_child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT,
        )  # fmt: skip
    proc = Proc(index, process, log)
    return proc


async def each(
    procs: Sequence[Proc], fn: Callable[[Proc], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """``fn`` on every child at once; replies in child order."""
    out: list[dict[str, Any]] = [{} for _ in procs]

    async def one(i: int, p: Proc) -> None:
        out[i] = await fn(p)

    async with trio.open_nursery() as nursery:
        for i, p in enumerate(procs):
            nursery.start_soon(one, i, p)
    return out


def topology(n: int, chords: int, seed: int) -> list[tuple[int, int]]:
    """A ring (so the graph is connected) plus ``chords`` random links dialled
    by every node; undirected, without duplicates."""
    rng = random.Random(seed)
    edges = {(min(i, (i + 1) % n), max(i, (i + 1) % n)) for i in range(n) if n > 1}
    for i in range(n):
        for j in rng.sample([j for j in range(n) if j != i], min(chords, n - 1)):
            edges.add((min(i, j), max(i, j)))
    return sorted(edges)


def diameter(n: int, edges: Sequence[tuple[int, int]]) -> int:
    adjacent: list[set[int]] = [set() for _ in range(n)]
    for a, b in edges:
        adjacent[a].add(b)
        adjacent[b].add(a)
    worst = 0
    for start in range(n):
        seen = {start: 0}
        queue = deque([start])
        while queue:
            v = queue.popleft()
            for w in adjacent[v]:
                if w not in seen:
                    seen[w] = seen[v] + 1
                    queue.append(w)
        worst = max(worst, *seen.values())
    return worst


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user + system) used so far by ``pids`` (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Cores kept busy by our children, and by everything else, over a span."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = pids
        self.start = (time.time(), cpu_seconds(pids), machine_cpu_seconds())

    def cores(self) -> tuple[float, float]:
        t0, ours0, all0 = self.start
        elapsed = max(time.time() - t0, 1e-9)
        ours = (cpu_seconds(self.pids) - ours0) / elapsed
        everything = (machine_cpu_seconds() - all0) / elapsed
        return round(ours, 2), round(max(0.0, everything - ours), 2)


#: How late (ms) the sleeper below must wake for a stall to count.
STALL_MS = 25.0
#: The sleeper: a process of its own that does nothing but sleep 5 ms at a
#: time, and prints each wake-up at least ``STALL_MS`` late (wall clock,
#: lateness in ms). Nothing runs in it that could hold it, so a late
#: wake-up means the machine was stalled or had no core to give it.
_SLEEPER = f"""
import time
while True:
    t = time.perf_counter()
    time.sleep(0.005)
    late = (time.perf_counter() - t - 0.005) * 1000
    if late >= {STALL_MS}:
        print(time.time(), round(late, 1), flush=True)
"""


class StallMeter:
    """Stalls of the whole machine, seen by a sleeper process (``_SLEEPER``):
    a spike in one run's p99 that comes with one was not the node's doing.
    About 200 wake-ups a second, ~0.01 cores."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "wb") as out:
            self.process = subprocess.Popen([sys.executable, "-c", _SLEEPER], stdout=out)

    def stop(self) -> list[tuple[float, float]]:
        """Stop the sleeper; every stall it saw, as (time, ms late)."""
        self.process.kill()
        self.process.wait()
        stalls = []
        for line in self.path.read_text().splitlines():
            at, late = line.split()
            stalls.append((float(at), float(late)))
        return stalls


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def bulk_intent_size() -> int:
    """Bytes of a bulk intent envelope, so raw payloads weigh the same."""
    from benchmarks.network_child import BULK_ATTRIBUTES, BULK_CATEGORY, LOW_WORK, TERMS, bulk_title
    from intentcast.protocol import Intent, Preferences, derive_intent_keys, sign

    now = int(time.time())
    intent = Intent(category=BULK_CATEGORY, title=bulk_title(0), terms=TERMS, description="",
                    attributes=BULK_ATTRIBUTES, quantity=1, preferences=Preferences(),
                    reply_key=bytes(32), created=now, expires=now + 7 * 86400)  # fmt: skip
    keys = derive_intent_keys(os.urandom(32), 0)
    return len(sign(intent, keys.signing, params=LOW_WORK).raw)


class Run:
    def __init__(self, args: argparse.Namespace, procs: list[Proc], tmp: Path) -> None:
        self.args = args
        self.procs = procs
        self.tmp = tmp
        n = len(procs)
        self.edges = topology(n, args.chords, args.seed)
        self.vendors = list(range(n - args.vendors, n)) if args.vendors else []
        plain = [i for i in range(n) if i not in self.vendors]
        self.publishers = plain[: args.publishers]
        self.size = 0  # bytes of a bulk intent
        self.bulk_ids: set[str] = set()  # message ids of the bulk phase
        #: Per mode, per phase: (cores our children used, cores everything else used).
        self.cpu: dict[str, list[tuple[float, float]]] = {}
        #: Per mode: (start, end) of each phase's publishing and drain.
        self.windows: dict[str, list[tuple[float, float]]] = {}
        self.phases = 0
        #: Diagnostics of the node phases: ms inside post_intent, and in the
        #: inbound pipeline (validate, store) per message at each receiver.
        self.post_ms: list[float] = []
        self.inbound_ms: list[float] = []
        self.inbound_cpu_ms: list[float] = []
        self.event_ms: list[float] = []  # publish to the app's intent-received event
        #: Stem phases: how each stem ended (reason -> count), stems whose
        #: end count was not one, re-routes, and hops per intent.
        self.stem_ends: dict[str, int] = {}
        #: Where a delivery's time goes (``breakdown``): ms per part, by
        #: "<mode>:<part>" (see :meth:`breakdown`).
        self.parts: dict[str, list[float]] = {}
        self.stem_not_one_end = 0
        self.rerouted = 0
        self.hops: list[int] = []

    def log(self, text: str) -> None:
        if self.args.verbose:
            print(text, file=sys.stderr, flush=True)

    async def start(self, mode: str) -> None:
        self.phases += 1

        async def start(p: Proc) -> dict[str, Any]:
            cmd: dict[str, Any] = {"cmd": "start", "mode": "raw" if mode == "raw" else "node"}
            if mode != "raw":
                home = self.tmp / f"node-{p.index}-{self.phases}"
                home.mkdir()
                cmd["dir"] = str(home)
                cmd["stem"] = mode == "stem"
                cmd["synchronous"] = self.args.synchronous
                cmd["inbound_cpu"] = self.args.inbound_cpu
                if p.index in self.vendors:
                    cmd["catalog"] = str(CATALOG)
                    cmd["shop"] = f"Kiez Phones {self.vendors.index(p.index) + 1}"
            return await p.call(cmd, timeout=120)

        addrs = [r["addr"] for r in await each(self.procs, start)]
        dial: dict[int, list[str]] = {}
        for a, b in self.edges:
            dial.setdefault(b, []).append(addrs[a])

        async def connect(p: Proc) -> dict[str, Any]:
            return await p.call({"cmd": "connect", "addrs": dial.get(p.index, [])}, timeout=120)

        connected = time.time()
        for r in await each(self.procs, connect):
            if r["errors"]:
                raise ChildFailed(f"connecting failed: {r['errors']}")
        # Wait until every node has a mesh for the bulk topic (heartbeats graft).
        deadline = time.time() + 30
        while True:
            state = await each(self.procs, lambda p: p.call({"cmd": "mesh"}))
            short = [i for i, s in enumerate(state) if s["mesh"] < min(DEGREE_LOW, s["peers"])]
            if not short or time.time() > deadline:
                break
            await trio.sleep(0.5)
        self.log(f"{mode}: mesh sizes {[s['mesh'] for s in state]}; short: {short}")
        if self.args.settle is not None:
            await trio.sleep(self.args.settle)
        elif mode != "raw":
            # Past the second sync every node runs with each new peer
            # (``resync_after_connect_seconds``, jittered up to 1.5 times):
            # all nodes connect at once here, so those ~5 syncs per node
            # would all fall into the phase (docs/benchmarks.md, network).
            settled = connected + 1.5 * NodeConfig().resync_after_connect_seconds + 1.0
            await trio.sleep(max(2.0, settled - time.time()))
        else:
            await trio.sleep(2.0)

    async def bulk(self, mode: str) -> tuple[int, list[float]]:
        """Publish the schedule; returns (pairs expected, latencies in ms of
        the pairs that arrived)."""
        a = self.args
        meter = CpuMeter([p.process.pid for p in self.procs])
        t0 = time.time() + 1.0
        times: dict[int, list[float]] = {i: [] for i in self.publishers}
        firsts: dict[int, int] = {}
        for k in range(a.messages):
            who = self.publishers[k % len(self.publishers)]
            firsts.setdefault(who, k)
            times[who].append(t0 + k / a.rate)
        for who, ts in times.items():
            cmd = {"cmd": "publish", "times": ts, "size": self.size, "first": firsts[who]}
            await self.procs[who].call(cmd)
        last = t0 + (a.messages - 1) / a.rate
        await trio.sleep_until(trio.current_time() + max(0.0, last - time.time()))
        self.cpu.setdefault(mode, []).append(meter.cores())
        expected = a.messages * (len(self.procs) - 1)
        # Drain: until every distinct (message, receiver != author) pair of
        # this phase arrived, or the drain time is over.
        deadline = time.time() + a.drain
        while time.time() < deadline:
            counts = await each(self.procs, lambda p: p.call({"cmd": "count"}))
            if sum(len(c["sent"]) for c in counts) >= a.messages:
                pairs = sum(len(set(c["arrived"]) - set(c["sent"])) for c in counts)
                if pairs >= expected:
                    break
            await trio.sleep(0.5)
        self.windows.setdefault(mode, []).append((t0, time.time()))
        reports = await each(self.procs, lambda p: p.call({"cmd": "report"}, timeout=120))
        sent: dict[str, tuple[int, float]] = {}
        errors: list[str] = []
        for i, r in enumerate(reports):
            errors += r["errors"]
            for mid, t in r["sent"].items():
                sent[mid] = (i, t)
        self.bulk_ids |= set(sent)
        for r in reports:
            self.post_ms += [x * 1000 for x in r["post_s"]]
            self.inbound_ms += [x * 1000 for x in r["inbound_s"]]
            self.inbound_cpu_ms += [x * 1000 for x in r["inbound_cpu_s"]]

        def arrivals(key: str) -> list[float]:
            """ms from publish to arrival, for every (message, receiver) pair."""
            return [(t - sent[mid][1]) * 1000 for i, r in enumerate(reports)
                    for mid, t in r[key].items() if mid in sent and sent[mid][0] != i]  # fmt: skip

        # Raw: when the gossip validator handed the message to us. Node:
        # when the inbound pipeline had validated it and queued it for
        # storage, by whatever path; the app's event comes after that.
        latencies = arrivals("recv" if mode == "raw" else "stored")
        self.breakdown(mode, sent, reports, "recv" if mode == "raw" else "stored")
        if mode == "stem":
            self.event_ms += arrivals("recv")
            self.stem_report(sent, reports)
        rejects = {
            k: v for r in reports for k, v in r["counters"].items() if k.startswith("reject")
        }
        self.log(f"{mode}: sent {len(sent)}/{a.messages}, pairs {len(latencies)}/{expected}, "
                 f"errors {errors[:3]}, rejects {rejects}")  # fmt: skip
        return expected, latencies

    def stem_report(
        self, sent: dict[str, tuple[int, float]], reports: list[dict[str, Any]]
    ) -> None:
        """How the stems of this phase's intents ended, and their hops."""
        ends: dict[str, list[str]] = {mid: [] for mid in sent}
        hops = dict.fromkeys(sent, 0)
        for r in reports:
            for mid, what, detail, _ in r["stem"]:
                if mid not in sent:
                    continue
                if what == "stem-end":
                    ends[mid].append(detail)
                elif what == "stem-sent":
                    hops[mid] += 1
                elif what == "stem-rerouted":
                    self.rerouted += 1
        for reasons in ends.values():
            for reason in reasons:
                self.stem_ends[reason] = self.stem_ends.get(reason, 0) + 1
            self.stem_not_one_end += len(reasons) != 1
        self.hops += hops.values()

    def breakdown(
        self,
        mode: str,
        sent: dict[str, tuple[int, float]],
        reports: list[dict[str, Any]],
        key: str,
    ) -> None:
        """Split each delivery at the moment gossip starts (the first node
        to hand the message to its gossip router: the author, or the node
        that ended its stem): ``to_gossip`` is the publish (raw) or
        ``post_intent`` call (node) until then, per message; ``gossip`` from
        then to arrival, per pair. For stems, per message: ``stem_first``
        from ``post_intent`` until the author's successor took the message,
        ``stem_hop`` from one stem hand to the next (the receiver reads,
        validates, decides, writes), ``stem_last`` from the last hand to
        the stem's end, ``stem_end_to_gossip`` from the end to the push."""
        parts = self.parts
        start: dict[str, float] = {}
        for r in reports:
            for mid, t in r["pushed"].items():
                if mid in sent and (mid not in start or t < start[mid]):
                    start[mid] = t

        def note(part: str, ms: float) -> None:
            parts.setdefault(f"{mode}:{part}", []).append(ms)

        for mid, t in start.items():
            note("to_gossip", (t - sent[mid][1]) * 1000)
        for i, r in enumerate(reports):
            for mid, t in r[key].items():
                if mid in start and sent[mid][0] != i:
                    note("gossip", (t - start[mid]) * 1000)
        if mode != "stem":
            return
        hands: dict[str, list[float]] = {}
        ends: dict[str, float] = {}
        for r in reports:
            for mid, what, _, t in r["stem"]:
                if mid not in sent:
                    continue
                if what == "stem-sent":
                    hands.setdefault(mid, []).append(t)
                elif what == "stem-end":
                    ends[mid] = min(t, ends.get(mid, t))
        for mid, ts in hands.items():
            ts.sort()
            note("stem_first", (ts[0] - sent[mid][1]) * 1000)
            for a, b in itertools.pairwise(ts):
                note("stem_hop", (b - a) * 1000)
            if mid in ends:
                note("stem_last", (ends[mid] - ts[-1]) * 1000)
        for mid, t in ends.items():
            if mid in start:
                note("stem_end_to_gossip", (start[mid] - t) * 1000)

    async def offers(self) -> dict[str, Any]:
        """The customer (node 0) posts phone intents; the vendor bots answer."""
        a = self.args
        customer = self.procs[0]
        vendors = [self.procs[i] for i in self.vendors]
        t0 = time.time() + 1.0
        times = [t0 + k * a.offer_interval for k in range(a.offer_intents)]
        await customer.call({"cmd": "phones", "times": times})
        await trio.sleep(max(0.0, times[-1] - time.time()))
        deadline = time.time() + a.drain
        while time.time() < deadline:
            held = (await customer.call({"cmd": "count"}))["held"]
            counts = [await v.call({"cmd": "count"}) for v in vendors]
            made = sum(c["made"] for c in counts)
            if held >= made and all(c["answered"] >= a.offer_intents for c in counts):
                break
            await trio.sleep(0.5)
        mine = await customer.call({"cmd": "report"}, timeout=120)
        theirs = [await v.call({"cmd": "report"}, timeout=120) for v in vendors]
        first: list[float] = []
        full: list[float] = []
        made_total = held_total = 0
        for intent_id, posted in mine["sent"].items():
            if intent_id in self.bulk_ids:
                continue
            made = sum(v["made"].get(intent_id, 0) for v in theirs)
            log = mine["offers"].get(intent_id, [])
            made_total += made
            held_total += log[-1][2] if log else 0
            ranked = [t for t, n_ranked, _ in log if n_ranked >= 1]
            if ranked:
                first.append((ranked[0] - posted) * 1000)
            complete = [t for t, _, n_held in log if made and n_held >= made]
            if complete:
                full.append((complete[0] - posted) * 1000)
        self.log(f"offers: made {made_total}, held {held_total}; customer counters "
                 f"{mine['counters']}")  # fmt: skip
        for intent_id, posted in mine["sent"].items():
            if intent_id not in self.bulk_ids:
                per_vendor = [v["made"].get(intent_id, 0) for v in theirs]
                log = [
                    (round((t - posted) * 1000), r, h)
                    for t, r, h in mine["offers"].get(intent_id, [])
                ]
                self.log(f"  {intent_id[:8]} made {per_vendor} log {log}")
        return {
            "vendors": len(vendors),
            "offer_intents": a.offer_intents,
            "offers_made": made_total,
            "offers_delivery": round(held_total / made_total, 4) if made_total else math.nan,
            "first_offer_ms": _ms(statistics.median(first) if first else math.nan),
            "all_offers_ms": _ms(statistics.median(full) if full else math.nan),
            "first_offer_max_ms": _ms(max(first, default=math.nan)),
            "all_offers_max_ms": _ms(max(full, default=math.nan)),
        }

    async def stop(self) -> None:
        await each(self.procs, lambda p: p.call({"cmd": "stop"}, timeout=120))


def _ms(value: float) -> float:
    return round(value, 1)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="intentcast-net-") as tmpdir:
        tmp = Path(tmpdir)
        procs: list[Proc] = []
        stalls = StallMeter(tmp / "stalls.txt")
        try:
            for i in range(args.nodes):
                procs.append(await spawn(i, tmp))
            await each(procs, lambda p: p.receive(timeout=180))  # imports done
            run = Run(args, procs, tmp)
            run.size = bulk_intent_size()
            run.log(f"{args.nodes} children ready after {time.time() - started:.1f} s; "
                    f"{len(run.edges)} links, intent {run.size} bytes")  # fmt: skip

            # Rounds alternate the order (raw, fluff, stem, stem, fluff,
            # raw, ...) so a drift in the machine's load hits all alike.
            order = [m for r in range(args.rounds) for m in (MODES, MODES[::-1])[r % 2]]
            last_node = max(i for i, m in enumerate(order) if m == "stem")
            expected = dict.fromkeys(MODES, 0)
            latencies: dict[str, list[float]] = {m: [] for m in MODES}
            offers: dict[str, Any] = {}
            for i, mode in enumerate(order):
                await run.start(mode)
                pairs, ms = await run.bulk(mode)
                expected[mode] += pairs
                latencies[mode] += ms
                if i == last_node and args.vendors:
                    offers = await run.offers()
                await run.stop()
        finally:
            async with trio.open_nursery() as nursery:
                for p in procs:
                    nursery.start_soon(p.close)
            stalled = stalls.stop()
    raw_ms = latencies["raw"]
    p50_raw, p99_raw = percentile(raw_ms, 50), percentile(raw_ms, 99)

    def cores(mode: str, which: int) -> float:
        return round(statistics.mean(c[which] for c in run.cpu[mode]), 2)

    def phase(mode: str) -> dict[str, Any]:
        ms = latencies[mode]
        p50, p99 = percentile(ms, 50), percentile(ms, 99)
        out = {
            f"delivery_{mode}": round(len(ms) / expected[mode], 4),
            f"p50_{mode}_ms": _ms(p50),
            f"p99_{mode}_ms": _ms(p99),
        }
        if mode != "raw":
            out[f"p50_{mode}_vs_raw"] = round(p50 / p50_raw, 3) if p50_raw else math.nan
            out[f"p99_{mode}_vs_raw"] = round(p99 / p99_raw, 3) if p99_raw else math.nan
        return out

    def stalls_in(mode: str) -> list[float]:
        spans = run.windows.get(mode, [])
        return sorted((late for at, late in stalled if any(a <= at <= b for a, b in spans)),
                      reverse=True)  # fmt: skip

    hops = sorted(run.hops)
    return {
        "nodes": args.nodes,
        "links": len(run.edges),
        "diameter": diameter(args.nodes, run.edges),
        "publishers": len(run.publishers),
        "rate_per_s": args.rate,
        "rounds": args.rounds,
        "synchronous": args.synchronous,
        "messages": args.messages * args.rounds,
        "intent_bytes": run.size,
        **phase("raw"),
        **phase("fluff"),
        **phase("stem"),
        "stem_ends": {r: run.stem_ends.get(r, 0) for r in STEM_ENDS},
        "stems_not_one_end": run.stem_not_one_end,
        "stems_rerouted": run.rerouted,
        "hops_min": hops[0] if hops else math.nan,
        "hops_p50": percentile(hops, 50),
        "hops_mean": round(statistics.mean(hops), 2) if hops else math.nan,
        "hops_max": hops[-1] if hops else math.nan,
        "hops_histogram": {str(h): hops.count(h) for h in range(hops[-1] + 1)} if hops else {},
        "p50_event_ms": _ms(percentile(run.event_ms, 50)),
        "p99_event_ms": _ms(percentile(run.event_ms, 99)),
        "post_p50_ms": _ms(percentile(run.post_ms, 50)),
        "post_p99_ms": _ms(percentile(run.post_ms, 99)),
        "inbound_p50_ms": _ms(percentile(run.inbound_ms, 50)),
        "inbound_p99_ms": _ms(percentile(run.inbound_ms, 99)),
        "inbound_cpu_p50_ms": _ms(percentile(run.inbound_cpu_ms, 50)) if args.inbound_cpu else None,
        "inbound_cpu_p99_ms": _ms(percentile(run.inbound_cpu_ms, 99)) if args.inbound_cpu else None,
        "breakdown_p50_ms": {k: _ms(percentile(v, 50)) for k, v in sorted(run.parts.items())},
        "breakdown_p99_ms": {k: _ms(percentile(v, 99)) for k, v in sorted(run.parts.items())},
        **offers,
        **{f"cpu_{m}_cores": cores(m, 0) for m in MODES},
        **{f"cpu_other_{m}_cores": cores(m, 1) for m in MODES},
        "machine_stalls_ms": {m: stalls_in(m) for m in MODES},
        "seconds": round(time.time() - started, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks network",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--nodes", type=int, default=10, help="nodes (processes), at least 7")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--rate", type=float, default=4.0, help="messages per second, overall")
    parser.add_argument("--messages", type=int, default=40, help="messages per phase")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of raw, fluff and stem phases (ABC CBA order)"
    )
    parser.add_argument("--publishers", type=int, default=5, help="publishing nodes (not vendors)")
    parser.add_argument("--chords", type=int, default=2, help="random links dialled per node")
    parser.add_argument("--vendors", type=int, default=5, help="vendor bots in the node phase")
    parser.add_argument("--offer-intents", type=int, default=8, help="phone intents posted")
    parser.add_argument("--offer-interval", type=float, default=3.0, help="seconds between them")
    parser.add_argument(
        "--settle",
        type=float,
        default=None,
        help="seconds after the mesh forms before publishing (default: 2 for raw; for the "
        "node phases, until the second sync with each new peer is over, ~16 s after connecting)",
    )
    parser.add_argument("--drain", type=float, default=15.0, help="max seconds for stragglers")
    parser.add_argument(
        "--synchronous",
        choices=("FULL", "NORMAL"),
        default="FULL",
        type=str.upper,
        help="SQLite synchronous level of the node stores (node default FULL)",
    )
    parser.add_argument("--seed", type=int, default=1, help="topology seed")
    parser.add_argument(
        "--inbound-cpu",
        action="store_true",
        help="also time the inbound pipeline's CPU (inbound_cpu_*): a system call on the "
        "node's path before each forward, which raw gossip does not make; off by default",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    args = parser.parse_args(argv)
    if args.nodes < args.vendors + 2:
        parser.error(f"--nodes must be at least {args.vendors + 2}")
    figures = trio.run(measure, args)
    report("network", figures, as_json=args.json)
    return 0
