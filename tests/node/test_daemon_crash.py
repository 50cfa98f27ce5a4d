"""Crash safety of the real daemon: ``intentcast node run`` in a child
process is SIGKILLed while API clients post, amend and withdraw intents and
a flooding peer in another process pushes valid gossip at it. After every
restart, nothing the daemon acknowledged is missing (API writes answered
2xx, gossip it reported stored), its database passes ``PRAGMA
integrity_check``, it starts despite the dead daemon's cookie and lock,
connects, and gets an offer for a new intent.

The harness is the crash benchmark's (``benchmarks/crash.py``); the suite
runs two kills, ``python -m benchmarks crash --kills 100`` many more
(docs/benchmarks.md, "crash"). Nothing here is timed; waits are generous.
"""

from __future__ import annotations

from pathlib import Path

import trio

from benchmarks.crash import crash_run

KILLS = 2


def test_sigkill_under_traffic_loses_no_acknowledged_write(tmp_path: Path) -> None:
    report = trio.run(
        lambda: crash_run(tmp_path, kills=KILLS, writers=2, rate=100.0, min_up=0.5, max_up=1.5)
    )
    assert report.kills == KILLS
    assert report.lost == []  # every acknowledged intent, state and revision is there
    assert report.unexpected == []  # and no intent appeared that nobody asked for
    assert report.gossip_lost == []  # every message it reported stored is stored
    assert report.integrity == []
    assert report.refused == []  # no write was refused after a restart
    assert report.stale_cookie_not_told == 0  # the CLI told the dead daemon's cookie is stale
    assert len(report.restarts) == KILLS  # each restart came up (no stale lock or cookie)
    assert len(report.first_offer) == KILLS + 1  # and got an offer for a new intent
    assert report.clean_stop_code == 0 and not report.cookie_left_after_stop
    # The kills landed mid-traffic: writes and gossip were acknowledged in between.
    assert sum(report.acked.values()) > 2 * KILLS
    assert report.gossip_acked["intents"] > 0 and report.gossip_acked["withdrawals"] > 0
