"""Churn with real nodes in separate processes: six nodes (two vendors, two
customers, two relays), a third of them (a vendor and a customer among
them) killed with SIGKILL while customers post, then restarted on the same
store, port and keys. Every intent posted reaches every vendor, the
restarted vendor included (by sync on reconnect), and no restarted node
lost what it had stored or posted.

The harness is the churn benchmark's (``benchmarks/churn.py``);
``python -m benchmarks churn`` runs twelve nodes for several rounds and
reports the times (docs/benchmarks.md, "churn"). Nothing here is timed:
the waits only keep a broken run from hanging.
"""

from __future__ import annotations

import trio

from benchmarks.churn import measure, options


def test_every_intent_reaches_every_vendor_through_kill_and_restart() -> None:
    args = options(
        ["--nodes", "6", "--rounds", "1", "--round-seconds", "6", "--kill-at", "2",
         "--down", "1", "--interval", "1", "--settle", "2", "--drain", "90"]
    )  # fmt: skip
    figures = trio.run(measure, args)
    assert figures["killed_per_round"] == 2 and figures["vendor_restarts"] == 1
    assert figures["intents"] >= 4  # customers posted before, during and after the kill
    assert figures["undelivered"] == []
    assert figures["delivery"] == 1.0
    assert figures["lost_after_restart"] == 0, figures["problems"]
