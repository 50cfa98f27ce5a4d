"""Remote events are counted per (peer, reason) and summarised per
interval; lines per interval are bounded whatever the peers do
(``intentcast.peer.remote_events``; the node's logger is
``tests/node/test_logs.py``'s). The clock is an argument: no sleeping."""

from __future__ import annotations

from intentcast.peer.remote_events import RemoteEvents, RemoteLogConfig

ALICE = "12D3KooWAlice"
MALLORY = "12D3KooWMallory"


def test_the_first_event_of_each_peer_and_reason_is_logged_the_rest_counted() -> None:
    events = RemoteEvents(RemoteLogConfig(interval=60.0))
    assert events.note(MALLORY, "bad-signature", 0.0)
    assert not any(events.note(MALLORY, "bad-signature", t / 100) for t in range(1, 1_500))
    assert events.note(MALLORY, "wrong-topic", 1.0)  # another reason: its first is logged
    assert not any(events.note(MALLORY, "wrong-topic", 1.0) for _ in range(31))
    assert events.note(ALICE, "bad-signature", 2.0)  # another peer is never hidden
    assert events.summary(59.9) == []  # not before the interval is over
    assert events.summary(60.0) == [
        f"peer {MALLORY}: 1,532 events in 60 s, 2 logged: bad-signature 1,500, wrong-topic 32"
    ]
    assert events.summary(61.0) == []  # once
    # A new interval: the first occurrence is logged again.
    assert events.note(MALLORY, "bad-signature", 70.0)


def test_a_peer_whose_every_event_was_logged_gets_no_summary() -> None:
    events = RemoteEvents(RemoteLogConfig(interval=10.0, first=2))
    assert events.note(ALICE, "sync-refused", 0.0)
    assert events.note(ALICE, "sync-refused", 1.0)
    assert events.summary(10.0) == []


def test_an_event_after_the_interval_closes_it_and_its_summary_waits() -> None:
    events = RemoteEvents(RemoteLogConfig(interval=10.0))
    for _ in range(5):
        events.note(MALLORY, "junk", 0.0)
    assert events.note(MALLORY, "junk", 25.0)  # a new interval began
    assert events.summary(26.0) == [f"peer {MALLORY}: 5 events in 25 s, 1 logged: junk 5"]


def test_lines_per_interval_are_bounded_whatever_the_number_of_peers() -> None:
    config = RemoteLogConfig(interval=60.0, full_lines=50, summary_peers=20, max_peers=1_000)
    events = RemoteEvents(config)
    logged = 0
    for n in range(10_000):  # a Sybil: 10,000 peer ids, three events each
        for _ in range(3):
            logged += events.note(f"sybil-{n}", "junk", 0.0)
    assert logged == 50
    lines = events.summary(60.0)
    # 1,000 peers counted one by one, the other 9,000 together; the 20
    # with most events named (the 9,000 first), the 981 others summed.
    assert len(lines) == 21
    assert lines[0].startswith("peers past the first 1,000: 27,000 events")
    assert lines[1].startswith("peer sybil-") and lines[1].endswith("junk 3")
    assert lines[-1].startswith("981 more peers: 2,943 events")
    counted = sum(int(line.split(": ")[1].split(" events")[0].replace(",", "")) for line in lines)
    assert counted == 30_000
