"""The network benchmark's own setup, simulated (issue 14): what a user
comparing it with ``python -m benchmarks network`` relies on."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.network import StallMeter, topology
from simulations.cli import main
from simulations.scenarios.network_bench import RAW_P50_MS, REAL_N10, REASONS, STEM_HOP_MS, Setup


def bench(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main(["network-bench", "--work-bits", "4", "--json", *args], stdout=out) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.mark.parametrize("n", [10, 30])
def test_the_setup_is_the_benchmarks_graph_dial_directions_and_publishers(n: int) -> None:
    setup = Setup(argparse.Namespace(nodes=n, vendors=5, publishers=5))
    assert setup.edges == topology(n, 2, 1)
    # benchmarks/network.py Run.start: for a link (a, b), a < b, b dials a.
    dials: dict[int, list[int]] = {}
    for a, b in topology(n, 2, 1):
        dials.setdefault(b, []).append(a)
    assert setup.dialled == [set(dials.get(v, [])) for v in range(n)]
    assert setup.publishers == [0, 1, 2, 3, 4]


def test_on_the_healthy_network_every_intent_arrives_and_every_stem_ends_once() -> None:
    result = bench("--nodes", "10", "--draws", "4")
    r = result["results"]
    # The links are fitted so that plain gossip has the measured raw p50.
    assert result["config"]["link"]["fitted_to_raw_p50_ms"] == RAW_P50_MS
    assert r["raw"]["p50_ms"] == pytest.approx(RAW_P50_MS, abs=0.05)
    for phase in ("raw", "fluff_only", "stem"):
        assert r[phase]["delivery"] == 1.0
    stem = r["stem"]
    assert all(d["delivery"] == 1.0 for d in stem["draws"].values())
    # Exactly one stem end per intent, and no embargo timer fires: every
    # stem reaches a diffuser or loops back well within the 10 s minimum.
    assert stem["intents"] == 4 * 40
    assert stem["intents_with_one_stem_end"] == stem["intents"]
    assert sum(stem["stem_ends"].values()) == stem["intents"]
    assert stem["stem_ends"]["embargo"] == 0
    assert set(stem["stem_ends"]) == set(REASONS)
    assert sum(stem["hops_histogram"].values()) == stem["intents"]
    assert stem["hops"]["min"] >= 1  # an author never fluffs its own message directly
    # In the model the node without its stem is plain gossip plus the time
    # from the post_intent call to the publish (0.8 ms measured) plus the
    # validation of each new message (0.1 ms a hop).
    post = result["config"]["post_ms"]
    assert post == REAL_N10["post_p50_ms"]
    for q in ("p50", "p99"):
        extra = r["fluff_only"][f"{q}_ms"] - r["raw"][f"{q}_ms"]
        assert post <= extra <= post + 0.05 * r["raw"][f"{q}_ms"]
        assert r["stem"][f"{q}_vs_fluff_only"] > 1.0


def test_a_stem_hop_costs_the_measured_stem_hop_not_a_gossip_hop() -> None:
    """The links are fitted to gossip (a py-libp2p pubsub hop); a stem frame
    on a kept stream costs what a real stem hop costs, the real run's stem
    p50 over its fluff-only p50 per stem hop, so the simulated stem p50
    lands near the real one, and far below the model that charged a stem
    hop the gossip link."""
    own = bench("--nodes", "10", "--draws", "4")
    on_links = bench("--nodes", "10", "--draws", "4", "--stem-hop-ms", "link")
    assert own["config"]["stem_hop_ms"] == STEM_HOP_MS
    measured = (REAL_N10["stem_p50_ms"] - REAL_N10["fluff_p50_ms"]) / REAL_N10["hops_mean"]
    assert round(measured, 3) == STEM_HOP_MS
    a, b = own["results"]["stem"], on_links["results"]["stem"]
    assert a["stem_ends"] == b["stem_ends"] and a["hops"] == b["hops"]  # the same stems
    assert a["p50_ms"] < REAL_N10["stem_p50_ms"] * 1.25 < b["p50_ms"]
    assert a["p50_ms"] > own["results"]["fluff_only"]["p50_ms"]


def test_stem_draws_do_not_depend_on_the_link_latency() -> None:
    """One generator per node: what stems a draw makes (where they end, how
    long they are) is the same at any link latency; only the times change."""
    fast, slow = (bench("--nodes", "10", "--draws", "3", "--link-ms", ms) for ms in ("5", "20"))
    a, b = fast["results"]["stem"], slow["results"]["stem"]
    assert a["stem_ends"] == b["stem_ends"]
    assert a["hops_histogram"] == b["hops_histogram"]
    assert a["p50_ms"] < b["p50_ms"]


def test_the_stall_meter_reports_a_stall_of_the_machine(tmp_path: Path) -> None:
    """``machine_stalls_ms``: a sleeper process held for 150 ms (SIGSTOP,
    as a stalled machine would hold it) reports a wake-up about that late
    (a busy machine may add shorter ones)."""
    meter = StallMeter(tmp_path / "stalls.txt")
    time.sleep(0.2)  # the interpreter is up and sleeping
    before = time.time()
    os.kill(meter.process.pid, signal.SIGSTOP)
    time.sleep(0.15)
    os.kill(meter.process.pid, signal.SIGCONT)
    time.sleep(0.1)
    stalls = meter.stop()
    assert [late for at, late in stalls if at >= before and 140 <= late <= 1_000], stalls
