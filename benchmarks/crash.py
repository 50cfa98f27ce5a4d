"""``python -m benchmarks crash [--kills N] [--json]``: SIGKILL the real
daemon (``intentcast node run``) again and again while it handles heavy
traffic, and check after every restart that nothing it acknowledged is lost.

Set-up, all on 127.0.0.1, each in its own OS process:

- **the daemon** under test: ``intentcast node run`` over a fresh home
  (customer + relay, so it stores every topic; network-default proof of
  work), bootstrapping to the flooder;
- **the flooder** (``benchmarks/crash_child.py``): a vendor node with the
  Kiez Phones catalog, which answers the daemon's phone intents with sealed
  offers, and which floods the daemon with valid gossip (intents, sealed
  offers, sealed deals, withdrawals) at ``--rate`` messages a second while
  it is connected;
- **this process**: ``--writers`` API clients, each posting, amending and
  withdrawing its own intents over the local HTTP API one request at a
  time, and an event follower (``GET /v1/events`` long polls).

One life of the daemon: start it and time the restart (spawn until the API
answers under the new cookie); check everything acknowledged so far; wait
until it is connected; post a probe phone intent and wait for an offer;
run writers and flood for a random ``--min-up``..``--max-up`` seconds; then
SIGKILL it (no shutdown code runs) in the middle of whatever it was doing.

What counts as acknowledged:

- an API write answered 2xx: the intent's key, state and revision it
  reported. A request cut by the kill may or may not have been applied;
  either outcome is accepted (the writer never got an answer);
- inbound gossip the daemon reported as stored: ``intent-received``,
  ``intent-withdrawn`` and ``offer-received`` events (the node emits them
  only after the store committed the message).

Checked after every restart: each acknowledged intent is in ``intent
list`` and ``intent show`` with its acknowledged state and revision (or the
outcome of the one request that was cut); no intent appeared that nobody
asked for; the inbound gossip acknowledged is in the store; ``PRAGMA
integrity_check`` is ``ok`` (read while the daemon runs); the CLI's client
finds the new daemon (the dead one's cookie said "stale" in between); the
daemon connects and its probe intent gets an offer. After the last life the
daemon is stopped with SIGTERM: exit code 0, cookie removed, and the store
is checked once more, every acknowledgement of every life at once.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import trio

from benchmarks.harness import report

ROOT: Final = Path(__file__).resolve().parents[1]
#: Generous bound for anything that normally takes a second or two; it only
#: keeps a broken run from hanging.
PATIENCE: Final = 60.0
PHONE: Final[dict[str, Any]] = {
    "category": "electronics/phones", "title": "Google Pixel 8, 128 GB",
    "attributes": {"brand": "google", "storage_gb": 128},
    "terms": {"max_price": "600", "currency": "EUR", "region": "DE",
              "customer_terms": ["cc:no-tracking"], "payment_modes": ["prepay"]},
}  # fmt: skip
TABLE: Final[dict[str, Any]] = {
    "category": "home/furniture", "title": "Oak dining table",
    "attributes": {"material": "oak"},
    "terms": {"max_price": "900", "currency": "EUR", "region": "DE",
              "payment_modes": ["prepay"]},
}  # fmt: skip

LIVE: Final = ("open", "amended")


class CrashRunFailed(Exception):
    """The daemon did not start, did not answer, or a child process died."""


# --- what the daemon acknowledged ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Known:
    """An intent's state and revision, as the API reported it."""

    state: str
    revision: int


@dataclass(slots=True)
class Ledger:
    """Every write the daemon acknowledged, and what the kill left uncertain."""

    #: intent key (hex) -> the last acknowledged state and revision
    intents: dict[str, Known] = field(default_factory=dict)
    #: intent key -> outcomes of requests cut by a kill (applied or not)
    uncertain: dict[str, list[Known]] = field(default_factory=dict)
    #: posts cut by a kill: each may have created an intent we never heard of
    uncertain_posts: int = 0
    acked: dict[str, int] = field(default_factory=lambda: {"post": 0, "amend": 0, "withdraw": 0})
    #: 4xx/5xx answers to requests that should have succeeded, and 2xx
    #: answers that do not show the write done
    refused: list[str] = field(default_factory=list)
    #: inbound gossip reported stored, per life: message or intent key (hex)
    gossip: list[dict[str, set[str]]] = field(default_factory=list)
    #: keys written in the current life
    touched: set[str] = field(default_factory=set)

    def life(self) -> dict[str, set[str]]:
        return self.gossip[-1]

    def ack(self, op: str, intent: dict[str, Any]) -> None:
        key = intent["key"]
        self.intents[key] = Known(intent["state"], intent["revision"])
        self.acked[op] += 1
        self.touched.add(key)


@dataclass(slots=True)
class Check:
    """What one verification found wrong (empty lists: all well)."""

    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    gossip_lost: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    applied_unacked: int = 0


# --- the daemon process ---------------------------------------------------------


class Daemon:
    """``intentcast node run --home HOME`` in a child process."""

    def __init__(self, home: Path, log: Path) -> None:
        self.home = home
        self.log = log
        self.process: trio.Process | None = None
        self.url = ""
        self.token = ""

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"

    async def start(self) -> float:
        """Start it; returns the seconds until its API answered under a
        fresh cookie (one naming the new process)."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = await trio.lowlevel.open_process(
                [sys.executable, "-c", "from intentcast.cli import main; main()",
                 "node", "run", "--home", str(self.home)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        deadline = trio.current_time() + PATIENCE
        cookie = self.home / "api.cookie"
        while trio.current_time() < deadline:
            if self.process.returncode is not None:
                raise CrashRunFailed(f"the daemon exited {self.process.returncode}:\n{self.tail()}")
            try:
                data = json.loads(cookie.read_text())
            except (OSError, ValueError):
                data = {}
            if data.get("pid") == self.process.pid:
                self.url, self.token = data["url"], data["token"]
                async with self.client() as client:
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/v1/status")).status_code == 200:
                            return time.perf_counter() - started
            await trio.sleep(0.02)
        raise CrashRunFailed(f"the daemon did not answer within {PATIENCE} s:\n{self.tail()}")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=PATIENCE
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def close(self) -> None:
        """Kill it if it still runs (a run that failed half-way)."""
        if self.process is not None and self.process.returncode is None:
            with trio.CancelScope(shield=True):
                await self.kill()

    async def stop(self) -> int:
        """SIGTERM, as Ctrl-C would; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        with trio.move_on_after(PATIENCE) as waited:
            code = await self.process.wait()
        if not waited.cancelled_caught:
            return code
        self.process.kill()
        await self.process.wait()
        raise CrashRunFailed(f"the daemon did not stop on SIGTERM:\n{self.tail()}")


class Flooder:
    """``benchmarks/crash_child.py`` in a child process."""

    def __init__(self, process: trio.Process, log: Path) -> None:
        self.process = process
        self.log = log
        self._buffer = b""

    @classmethod
    async def start(cls, tmp: Path, rate: float) -> tuple[Flooder, str]:
        """Start it; returns it and the address it will listen on (a fixed
        port and peer key, so the daemon can start at the same time)."""
        from libp2p.crypto.ed25519 import create_new_key_pair
        from libp2p.peer.id import ID

        seed = os.urandom(32)
        peer = ID.from_pubkey(create_new_key_pair(seed).public_key).to_base58()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = tmp / "flooder.log"
        with log.open("wb") as err:
            process = await trio.lowlevel.open_process(
                [sys.executable, "-m", "benchmarks.crash_child", str(tmp / "flooder.db"),
                 str(rate), str(port), seed.hex()],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=ROOT,
            )  # fmt: skip
        return cls(process, log), f"/ip4/127.0.0.1/tcp/{port}/p2p/{peer}"

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        with trio.move_on_after(PATIENCE):
            while b"\n" not in self._buffer:
                chunk = await self.process.stdout.receive_some(65536)
                if not chunk:
                    tail = self.log.read_text(errors="replace")[-3000:]
                    raise CrashRunFailed(f"the flooder exited:\n{tail}")
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\n", 1)
            reply: dict[str, Any] = json.loads(line)
            return reply
        raise CrashRunFailed("the flooder went silent")

    async def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        await self.process.stdin.send_all(b'{"cmd": "stats"}\n')
        return await self.receive()

    async def close(self) -> None:
        with trio.CancelScope(shield=True):
            with contextlib.suppress(Exception):
                if self.process.stdin is not None:
                    await self.process.stdin.aclose()
            with trio.move_on_after(10):
                await self.process.wait()
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


# --- traffic --------------------------------------------------------------------


@dataclass(slots=True)
class Writer:
    """One API client writing its own intents, one request at a time."""

    index: int
    ledger: Ledger
    rng: random.Random
    #: keys of this writer's intents that are still open or amended
    live: list[str] = field(default_factory=list)

    async def run(self, daemon: Daemon) -> None:
        async with daemon.client() as client:
            while True:
                await self.one(client)

    async def one(self, client: httpx.AsyncClient) -> None:
        ledger, rng = self.ledger, self.rng
        choice = rng.random()
        # Withdrawals are cheap (10 bits of work against an intent's 16), so
        # they are frequent: more acknowledged writes for the kills to hit.
        if not self.live or choice < 0.4:
            draft = dict(PHONE if rng.random() < 0.3 else TABLE)
            draft["title"] = f"{draft['title']} (writer {self.index})"
            op, key, path, body = "post", None, "/v1/intents", draft
        elif choice < 0.6:
            key = rng.choice(self.live)
            revision = ledger.intents[key].revision + 1
            op, path = "amend", f"/v1/intents/{key}/amend"
            body = {"title": f"Amended to revision {revision} (writer {self.index})"}
        else:
            key = rng.choice(self.live)
            op, path, body = "withdraw", f"/v1/intents/{key}/withdraw", {"reason": "bought one"}
        # Until an answer comes, the request's outcome is uncertain: if the
        # kill cuts it, the daemon may or may not have applied it.
        if key is None:
            outcome = Known("open", 0)
            ledger.uncertain_posts += 1
        else:
            now = ledger.intents[key]
            outcome = (Known("amended", now.revision + 1) if op == "amend"
                       else Known("withdrawn", now.revision))  # fmt: skip
            ledger.uncertain.setdefault(key, []).append(outcome)
        response = await client.post(path, json=body)  # a kill raises TransportError here
        if key is None:
            ledger.uncertain_posts -= 1
        else:
            ledger.uncertain[key].pop()
        if not response.is_success:
            ledger.refused.append(f"{op} {key}: HTTP {response.status_code} {response.text[:200]}")
            return
        intent = response.json()["intent"]
        answered = Known(intent["state"], intent["revision"])
        if answered != outcome:  # the answer must say what the write did
            ledger.refused.append(f"{op} {intent['key'][:12]}: answered {answered}, not {outcome}")
        ledger.ack(op, intent)
        if op == "post":
            self.live.append(intent["key"])
        elif op == "withdraw":
            self.live.remove(intent["key"])


async def follow_events(daemon: Daemon, ledger: Ledger) -> None:
    """Record the inbound gossip the daemon reports as stored."""
    kinds = {"intent-received": "intents", "intent-withdrawn": "withdrawals",
             "offer-received": "offers"}  # fmt: skip
    since = 0
    async with daemon.client() as client:
        while True:
            response = await client.get("/v1/events", params={"since": since, "timeout": 5})
            data = response.json()
            for event in data["events"]:
                kind = kinds.get(event["kind"])
                if kind is not None:
                    ledger.life()[kind].add(event["subject"])
            since = data["last"]


async def with_traffic(
    daemon: Daemon, ledger: Ledger, writers: Sequence[Writer], seconds: float
) -> None:
    """Writers and the event follower for ``seconds``, then SIGKILL."""

    async def quietly(fn: Any, *args: Any) -> None:
        with contextlib.suppress(httpx.TransportError):
            await fn(*args)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(quietly, follow_events, daemon, ledger)
        for w in writers:
            nursery.start_soon(quietly, w.run, daemon)
        await trio.sleep(seconds)
        await daemon.kill()  # mid-request: the writers' calls fail now
        nursery.cancel_scope.cancel()


# --- checks ---------------------------------------------------------------------


def check_api(home: Path, ledger: Ledger) -> Check:
    """Compare ``intent list`` and ``intent show`` (through the CLI's own
    client, which reads the new cookie) with what was acknowledged."""
    from intentcast.sdk.client import Client

    client = Client(home)
    found = {i["key"]: i for i in client.get("/v1/intents")["intents"]}
    check = Check()
    missing: list[str] = []
    for key, known in list(ledger.intents.items()):
        intent = found.get(key)
        if intent is None:
            check.lost.append(f"{key[:12]}: missing (acknowledged {known})")
            missing.append(key)
            continue
        now = Known(intent["state"], intent["revision"])
        if key in ledger.touched:
            shown = client.get(f"/v1/intents/{key}")["intent"]
            if Known(shown["state"], shown["revision"]) != now:
                check.lost.append(f"{key[:12]}: show {shown['state']} != list {now}")
        if now == known:
            continue
        if now in ledger.uncertain.get(key, []):
            check.applied_unacked += 1
            ledger.intents[key] = now
            continue
        check.lost.append(f"{key[:12]}: {now}, acknowledged {known}")
        ledger.intents[key] = now  # count each lost write once
    for key in missing:  # count each lost write once
        del ledger.intents[key]
    strangers = [k for k in found if k not in ledger.intents]
    if len(strangers) > ledger.uncertain_posts:
        check.unexpected += [k[:12] for k in strangers]
    for key in strangers:  # a post the kill cut, applied: keep watching it
        ledger.intents[key] = Known(found[key]["state"], found[key]["revision"])
        check.applied_unacked += 1
    ledger.uncertain.clear()
    ledger.uncertain_posts = 0
    ledger.touched.clear()
    return check


def check_store(path: Path, lives: Sequence[dict[str, set[str]]], check: Check) -> None:
    """Integrity of the file, and the acknowledged inbound gossip of ``lives``."""
    from intentcast.store import Store

    with Store.open(path, busy_timeout=PATIENCE) as store:
        result = store.integrity_check()
        if result != ["ok"]:
            check.integrity += result
        for life in lives:
            for mid in life["intents"]:
                if store.gossip.intent(bytes.fromhex(mid)) is None:
                    check.gossip_lost.append(f"intent {mid[:12]}")
            for key in life["withdrawals"]:
                if store.gossip.tombstone(bytes.fromhex(key)) is None:
                    check.gossip_lost.append(f"withdrawal of {key[:12]}")
            for oid in life["offers"]:
                if store.offers.get_received(bytes.fromhex(oid)) is None:
                    check.gossip_lost.append(f"offer {oid[:12]}")


def stale_cookie_is_told(home: Path) -> bool:
    """With the daemon dead, the CLI says its cookie is stale (exit code 3)."""
    from intentcast.sdk.client import Client, NotRunning

    try:
        Client(home).get("/v1/status")
    except NotRunning as exc:
        return "stale api.cookie" in str(exc)
    return False


async def probe(daemon: Daemon, ledger: Ledger) -> tuple[float, float]:
    """Wait until the daemon is connected, post a phone intent and wait for
    its first offer; returns (seconds to connect, seconds post to offer)."""
    start = trio.current_time()
    async with daemon.client() as client:
        with trio.move_on_after(PATIENCE):
            while (await client.get("/v1/status")).json()["connected_peers"] < 1:
                await trio.sleep(0.05)
        connected = trio.current_time() - start
        if connected >= PATIENCE:
            raise CrashRunFailed(f"the daemon did not connect:\n{daemon.tail()}")
        posted = trio.current_time()
        response = await client.post("/v1/intents", json=PHONE)
        if response.status_code != 201:
            raise CrashRunFailed(f"probe post: HTTP {response.status_code} {response.text}")
        intent = response.json()["intent"]
        ledger.ack("post", intent)
        with trio.move_on_after(PATIENCE):
            while not (await client.get(f"/v1/intents/{intent['key']}/offers")).json()["ranked"]:
                await trio.sleep(0.05)
            return connected, trio.current_time() - posted
    raise CrashRunFailed(f"no offer for the probe intent:\n{daemon.tail()}")


async def diagnose(daemon: Daemon, flooder: Flooder, port: str) -> str:
    """Both sides' view of their connection, twice, 2 s apart, and the
    kernel's (bytes queued unread and unsent on the TCP connection)."""
    lines = []
    for _ in range(2):
        ss = await trio.run_process(
            ["ss", "-tn", f"( sport = :{port} or dport = :{port} )"],
            capture_stdout=True, check=False,
        )  # fmt: skip
        lines.append(ss.stdout.decode(errors="replace"))
        async with daemon.client() as client:
            try:
                status = (await client.get("/v1/status")).json()
                peers = (await client.get("/v1/peers")).json()
                lines.append(f"daemon: connected {status['connected_peers']}, "
                             f"counters {status['counters']}, peers {peers}")  # fmt: skip
            except httpx.HTTPError as exc:
                lines.append(f"daemon: no answer ({exc!r})")
        lines.append(f"flooder: {await flooder.stats()}")
        await trio.sleep(2)
    return "\n".join(lines)


# --- the run --------------------------------------------------------------------


@dataclass(slots=True)
class CrashReport:
    """What a crash run did and found. Every list must be empty."""

    kills: int = 0
    restarts: list[float] = field(default_factory=list)
    connect: list[float] = field(default_factory=list)
    first_offer: list[float] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    gossip_lost: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    stale_cookie_not_told: int = 0
    applied_unacked: int = 0
    acked: dict[str, int] = field(default_factory=dict)
    gossip_acked: dict[str, int] = field(default_factory=dict)
    clean_stop_code: int | None = None
    cookie_left_after_stop: bool = False
    flood: dict[str, Any] = field(default_factory=dict)
    #: the machine's load average at the start and the end (others' jobs too)
    load: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def absorb(self, check: Check) -> None:
        self.lost += check.lost
        self.unexpected += check.unexpected
        self.gossip_lost += check.gossip_lost
        self.integrity += check.integrity
        self.applied_unacked += check.applied_unacked

    def figures(self) -> dict[str, Any]:
        def ms(values: Sequence[float], q: float) -> float:
            return round(percentile(values, q) * 1000, 1)

        return {
            "kills": self.kills,
            "acked_writes": sum(self.acked.values()),
            **{f"acked_{k}": v for k, v in self.acked.items()},
            "acked_gossip": sum(self.gossip_acked.values()),
            **{f"acked_gossip_{k}": v for k, v in self.gossip_acked.items()},
            "writes_lost": len(self.lost) + len(self.unexpected),
            "gossip_lost": len(self.gossip_lost),
            "integrity_failures": len(self.integrity),
            "refused": len(self.refused),
            "stale_cookie_not_told": self.stale_cookie_not_told,
            "applied_unacked": self.applied_unacked,
            "restart_p50_ms": ms(self.restarts, 50),
            "restart_p99_ms": ms(self.restarts, 99),
            "restart_max_ms": round(max(self.restarts, default=math.nan) * 1000, 1),
            "connect_p50_ms": ms(self.connect, 50),
            "first_offer_p50_ms": ms(self.first_offer, 50),
            "first_offer_max_ms": round(max(self.first_offer, default=math.nan) * 1000, 1),
            "clean_stop_code": self.clean_stop_code,
            "cookie_left_after_stop": self.cookie_left_after_stop,
            **{f"flood_{k}": v for k, v in self.flood.items()},
            "load_1m_start_end": [round(x, 1) for x in self.load],
            "seconds": round(self.seconds, 1),
            "problems": self.problems()[:20],
        }

    def problems(self) -> list[str]:
        """Everything that went wrong (empty: nothing lost, nothing broken)."""
        return self.lost + self.unexpected + self.gossip_lost + self.integrity + self.refused


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def crash_run(
    tmp: Path,
    *,
    kills: int,
    writers: int = 2,
    rate: float = 100.0,
    min_up: float = 0.5,
    max_up: float = 3.0,
    seed: int = 1,
    verbose: bool = False,
) -> CrashReport:
    """Kill the daemon ``kills`` times under traffic; see the module doc."""
    from intentcast.daemon.home import init_home

    started = time.perf_counter()
    rng = random.Random(seed)
    out = CrashReport(load=[os.getloadavg()[0]])
    ledger = Ledger()
    home = tmp / "home"
    daemon = Daemon(home, tmp / "daemon.log")
    flooder, flooder_addr = await Flooder.start(tmp, rate)
    try:
        init_home(home, roles=("customer", "relay"), listen=("/ip4/127.0.0.1/tcp/0",),
                  bootstrap=(flooder_addr,), api_port=0)  # fmt: skip
        crew = [Writer(i, ledger, random.Random(rng.random())) for i in range(writers)]
        for life in range(kills + 1):
            ledger.gossip.append({"intents": set(), "withdrawals": set(), "offers": set()})
            restart = await daemon.start()
            if not life:
                await flooder.receive()  # it listens
            if life:
                out.restarts.append(restart)
                check = await trio.to_thread.run_sync(check_api, home, ledger)
                # The file as the restarted daemon found it; the gossip the
                # previous life acknowledged.
                await trio.to_thread.run_sync(
                    check_store, home / "node.db", ledger.gossip[-2:-1], check
                )
                out.absorb(check)
                for w in crew:  # a withdrawal the kill cut may have been applied
                    w.live = [k for k in w.live if k in ledger.intents
                              and ledger.intents[k].state in LIVE]  # fmt: skip
            try:
                connected, offered = await probe(daemon, ledger)
            except CrashRunFailed as exc:
                port = flooder_addr.split("/")[4]
                raise CrashRunFailed(f"{exc}\n{await diagnose(daemon, flooder, port)}") from None
            out.connect.append(connected)
            out.first_offer.append(offered)
            if life == kills:
                break
            up = rng.uniform(min_up, max_up)
            await with_traffic(daemon, ledger, crew, up)
            out.kills += 1
            if not await trio.to_thread.run_sync(stale_cookie_is_told, home):
                out.stale_cookie_not_told += 1
            if verbose:
                print(f"kill {out.kills}: up {up:.1f} s, restart {restart:.2f} s, "
                      f"acked {ledger.acked}, problems {len(out.lost) + len(out.gossip_lost)}",
                      file=sys.stderr, flush=True)  # fmt: skip
        out.flood = await flooder.stats()
        out.clean_stop_code = await daemon.stop()
        out.cookie_left_after_stop = (home / "api.cookie").exists()
        final = Check()
        check_store(home / "node.db", ledger.gossip, final)  # every life, at rest
        out.absorb(final)
    finally:
        await daemon.close()
        await flooder.close()
    out.acked = dict(ledger.acked)
    out.refused = list(ledger.refused)
    out.gossip_acked = {
        k: sum(len(life[k]) for life in ledger.gossip) for k in ("intents", "withdrawals", "offers")
    }
    out.seconds = time.perf_counter() - started
    out.load.append(os.getloadavg()[0])
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks crash",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of the daemon")
    parser.add_argument("--writers", type=int, default=2, help="API clients writing at once")
    parser.add_argument("--rate", type=float, default=100.0, help="flood messages per second")
    parser.add_argument("--min-up", type=float, default=0.5, help="least seconds of traffic")
    parser.add_argument("--max-up", type=float, default=3.0, help="most seconds of traffic")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill schedule")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (path on stderr)")
    args = parser.parse_args(argv)
    tmpdir = tempfile.mkdtemp(prefix="intentcast-crash-")
    try:
        run = functools.partial(
            crash_run, Path(tmpdir), kills=args.kills, writers=args.writers, rate=args.rate,
            min_up=args.min_up, max_up=args.max_up, seed=args.seed, verbose=args.verbose,
        )  # fmt: skip
        result = trio.run(run)
    finally:
        if args.keep:
            print(f"kept {tmpdir}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)
    figures = result.figures()
    report("crash", figures, as_json=args.json)
    bad = figures["writes_lost"] + figures["gossip_lost"] + figures["integrity_failures"]
    return 1 if bad or figures["refused"] or figures["clean_stop_code"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
