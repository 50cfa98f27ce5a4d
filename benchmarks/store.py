"""``python -m benchmarks store [--json]``: the node store against raw
``sqlite3`` writing the same rows.

Measured in one run, interleaved chunk by chunk, each round on fresh files:

- ``store_msgs_per_s``: validated messages (intents, sealed offers,
  withdrawals) ingested through ``Store.gossip.ingest_many`` in batches of
  ``--batch`` (one transaction each, as the node commits a sync chunk);
- ``raw_rows_per_s``: the same rows (``seen`` plus the kind's table),
  precomputed, written with ``sqlite3`` ``executemany`` in the same batches
  and the same pragmas (WAL, ``synchronous`` as the node, foreign keys on):
  the floor the store cannot beat;
- ``store_vs_raw``: the ratio (goal >= 0.5);
- ``ack_p50_ms`` / ``ack_p99_ms``: latency of one acknowledged write
  (``Store.gossip.ingest`` of one message: transaction, commit, fsync),
  next to ``raw_ack_*``: a bare one-message sqlite3 commit, interleaved.

- ``gossip_commit_*_ms``: one gossip message per commit without a flush,
  as a node stores what it relays, timed per commit: ``auto`` with
  SQLite's automatic checkpoint (inside the commit that takes the WAL past
  1,000 pages), ``apart`` as a running node does it (``checkpoints_apart``,
  a thread checkpointing every ``CHECKPOINT_COMMITS`` commits); the two
  stores take the messages alternately.

Store and raw alternate chunk by chunk within a round, because fsync time
on a shared disk swings by 10x within seconds.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import report
from intentcast.node.checkpoints import CHECKPOINT_COMMITS
from intentcast.protocol import Kind, Signed, validate
from intentcast.store import Store, Synchronous
from intentcast.store.schema import migrate
from tests.store import store_samples as s

Row = tuple[Any, ...]


def make_messages(count: int) -> list[Signed[Any]]:
    """``count`` distinct validated gossip messages: 70% intents, 20% sealed
    offers, 10% withdrawals (of other intents)."""
    n_offers = count // 5
    n_withdraws = count // 10
    n_intents = count - n_offers - n_withdraws
    intents = [s.intent(n) for n in range(n_intents)]
    offers = [s.offer(intents[k]) for k in range(0, n_intents, 50)]
    sealed = [
        s.sealed(offers[k % len(offers)], intents[(k % len(offers)) * 50], seed=k)
        for k in range(n_offers)
    ]
    withdraws = [s.withdraw(n_intents + k) for k in range(n_withdraws)]
    out: list[Signed[Any]] = []
    everything: list[Signed[Any]] = [*intents, *sealed, *withdraws]
    for m in everything:
        verdict = validate(m.raw, now=s.T0 + 100, params=s.PARAMS)
        assert verdict.signed is not None, verdict
        out.append(verdict.signed)
    # interleave kinds as the network would deliver them
    out.sort(key=lambda m: m.id)
    return out


def raw_rows(batch: Sequence[Signed[Any]]) -> dict[str, list[Row]]:
    """The rows the store writes for ``batch``, keyed by insert statement."""
    rows: dict[str, list[Row]] = {k: [] for k in _RAW_SQL}
    for m in batch:
        msg = m.message
        rows["seen"].append((m.id, m.kind.value, msg.expires))
        if m.kind is Kind.INTENT:
            rows["intent"].append(
                (m.id, m.signer, msg.revision, msg.category[0], msg.expires, m.raw)
            )
        elif m.kind is Kind.SEALED_OFFER:
            rows["offer"].append((m.id, msg.intent_id, msg.expires, m.raw))
        elif m.kind is Kind.WITHDRAW:
            rows["tombstone"].append((m.signer, m.id, msg.expires, m.raw))
    return rows


_RAW_SQL = {
    "seen": "INSERT INTO seen (id, kind, expires) VALUES (?, ?, ?)",
    "intent": "INSERT INTO cached_intents (id, intent_key, revision, topic, expires, raw) "
    "VALUES (?, ?, ?, ?, ?, ?)",
    "offer": "INSERT INTO relayed_offers (id, intent_id, expires, raw) VALUES (?, ?, ?, ?)",
    "tombstone": "INSERT INTO tombstones (intent_key, withdraw_id, expires, raw) "
    "VALUES (?, ?, ?, ?)",
}


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def open_raw(path: Path, sync: Synchronous) -> sqlite3.Connection:
    """A bare sqlite3 connection with the node's pragmas and schema."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {sync.value}")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


def write_raw(conn: sqlite3.Connection, chunk: dict[str, list[Row]]) -> None:
    """One transaction of bare executemany calls: the floor."""
    conn.execute("BEGIN IMMEDIATE")
    for key, rows in chunk.items():
        if rows:
            conn.executemany(_RAW_SQL[key], rows)
    conn.execute("COMMIT")


def one_round(
    folder: Path,
    chunks: list[Sequence[Signed[Any]]],
    row_chunks: list[dict[str, list[Row]]],
    sync: Synchronous,
) -> tuple[float, float]:
    """Seconds for the store and for raw sqlite3 to write every chunk, on
    fresh files, alternating chunk by chunk (and which goes first) so that
    disk noise on a shared machine hits both sides alike."""
    store_s = raw_s = 0.0
    conn = open_raw(folder / "raw.db", sync)
    try:
        with Store.open(folder / "store.db", synchronous=sync) as store:
            for index, (chunk, rows) in enumerate(zip(chunks, row_chunks, strict=True)):
                for side in (0, 1) if index % 2 else (1, 0):
                    start = time.perf_counter()
                    if side:
                        store.gossip.ingest_many(chunk)
                        store_s += time.perf_counter() - start
                    else:
                        write_raw(conn, rows)
                        raw_s += time.perf_counter() - start
    finally:
        conn.close()
    return store_s, raw_s


def ack_latencies_ms(
    folder: Path, messages: Sequence[Signed[Any]], sync: Synchronous
) -> tuple[list[float], list[float]]:
    """Milliseconds from calling ``ingest`` to its return (committed), per
    message; and, interleaved, the same for a bare one-row sqlite3 commit."""
    ours, floor = [], []
    conn = open_raw(folder / "raw.db", sync)
    try:
        with Store.open(folder / "latency.db", synchronous=sync) as store:
            for m in messages:
                start = time.perf_counter()
                store.gossip.ingest(m)
                ours.append((time.perf_counter() - start) * 1000)
                rows = raw_rows([m])
                start = time.perf_counter()
                write_raw(conn, rows)
                floor.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return ours, floor


def gossip_commit_latencies_ms(
    folder: Path, messages: Sequence[Signed[Any]], sync: Synchronous
) -> tuple[list[float], list[float]]:
    """Milliseconds per one-message gossip commit (``flush=False``): with
    SQLite's automatic checkpoint, and with checkpoints apart in a thread
    (as ``node/checkpoints.py`` runs them), the stores taking turns."""
    auto_ms: list[float] = []
    apart_ms: list[float] = []
    with (
        Store.open(folder / "auto.db", synchronous=sync) as auto,
        Store.open(folder / "apart.db", synchronous=sync) as apart,
        apart.checkpoints_apart(),
    ):
        stop = threading.Event()

        def checkpointing() -> None:
            done = apart.commits
            while not stop.wait(0.01):
                if apart.commits - done >= CHECKPOINT_COMMITS:
                    done = apart.commits
                    apart.checkpoint()

        thread = threading.Thread(target=checkpointing)
        thread.start()
        try:
            for m in messages:
                for store, times in ((auto, auto_ms), (apart, apart_ms)):
                    start = time.perf_counter()
                    store.gossip.ingest_many([m], flush=False)
                    times.append((time.perf_counter() - start) * 1000)
        finally:
            stop.set()
            thread.join()
    return auto_ms, apart_ms


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks store",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--messages", type=int, default=10_000, help="messages per round")
    parser.add_argument("--batch", type=int, default=100, help="messages per transaction")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--acks", type=int, default=500, help="single acknowledged writes timed")
    parser.add_argument(
        "--gossip-commits", type=int, default=2_000, help="one-message gossip commits timed"
    )
    parser.add_argument(
        "--synchronous",
        choices=[x.value.lower() for x in Synchronous],
        default="full",
        help="SQLite synchronous level (the node uses full)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (default: tmp)")
    args = parser.parse_args(argv)
    sync = Synchronous(args.synchronous.upper())

    messages = make_messages(args.messages)
    chunks = batches(messages, args.batch)
    row_chunks = [raw_rows(c) for c in chunks]
    rows_per_round = sum(len(r) for c in row_chunks for r in c.values())

    store_s: list[float] = []
    raw_s: list[float] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=args.dir) as folder:
            ours, floor = one_round(Path(folder), chunks, row_chunks, sync)
        store_s.append(ours)
        raw_s.append(floor)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        acks, floor_acks = ack_latencies_ms(Path(folder), messages[: args.acks], sync)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        auto_ms, apart_ms = gossip_commit_latencies_ms(
            Path(folder), messages[: args.gossip_commits], sync
        )

    store_rate = len(messages) / statistics.median(store_s)
    raw_msg_rate = len(messages) / statistics.median(raw_s)
    figures: dict[str, object] = {
        "messages": len(messages),
        "batch": args.batch,
        "synchronous": sync.value,
        "rows_per_round": rows_per_round,
        "store_msgs_per_s": round(store_rate),
        "raw_rows_per_s": round(rows_per_round / statistics.median(raw_s)),
        "raw_msgs_per_s": round(raw_msg_rate),
        "store_vs_raw": round(store_rate / raw_msg_rate, 3),
        "ack_p50_ms": round(percentile(acks, 50), 3),
        "ack_p99_ms": round(percentile(acks, 99), 3),
        "raw_ack_p50_ms": round(percentile(floor_acks, 50), 3),
        "raw_ack_p99_ms": round(percentile(floor_acks, 99), 3),
        "gossip_commits": len(auto_ms),
        "gossip_commit_p50_ms": {
            "auto": round(percentile(auto_ms, 50), 3),
            "apart": round(percentile(apart_ms, 50), 3),
        },
        "gossip_commit_p99_ms": {
            "auto": round(percentile(auto_ms, 99), 3),
            "apart": round(percentile(apart_ms, 99), 3),
        },
        "gossip_commit_max_ms": {"auto": round(max(auto_ms), 2), "apart": round(max(apart_ms), 2)},
        "gossip_commits_over_2ms": {
            "auto": sum(x > 2 for x in auto_ms),
            "apart": sum(x > 2 for x in apart_ms),
        },
    }
    report("store", figures, as_json=args.json)
    return 0
