"""detail-updates: "change my details" with vendors that are offline (issue 22).

Customers each hold relationships with a few vendors (a confirmed deal
each); some of those vendors hold her shipping address, the others only
her email. Every customer changes her address once, at a random moment of
the first day while her node is online; her node sends the update to the
vendors that hold the old address under a live relationship and to no
other (the core's :func:`intentcast.peer.relationships.update_targets`),
each after the follow-up delay (:func:`intentcast.peer.followup.
follow_up_delay`). Each vendor's node acknowledges on receipt, after its
own follow-up delay. The customer's node sends the value again to the
vendors that are silent (:func:`~intentcast.peer.relationships.silent`)
once the last copy has expired on the network (``--ttl-days``; the
node's rule, :meth:`intentcast.node.relationships.RelationshipsPart.keep_up`)
at its next check while it is up.

Time scale: hours and days, so the network is not simulated hop by hop
here; its two measured properties are parameters instead. A message
between two online nodes arrives ``--hop-seconds`` after it leaves (the
propagation scenario's tail at 1,000 nodes is well under that), and one
sent to a node that is offline reaches it by sync when it comes back,
as long as its sealed outer has not expired (``--ttl-days``, the node's
``DEAL_TTL``): relays keep it until then (the churn scenario measures
that sync hands missed messages over on reconnect). Vendors are either
always on (a shop's server) or up and down (exponential sessions);
customers' nodes are up and down (a phone or a laptop).

Reported: the share of (customer, vendor) updates acknowledged back on the
customer's node within 1 minute, 1 hour, 1 day and by the end of the
run, overall and for each kind of vendor, and the resends it took.
"""

from __future__ import annotations

import argparse
import bisect
import random
from typing import Any, Final

from intentcast.peer.followup import FollowUpDelay, follow_up_delay
from intentcast.peer.relationships import Holding, silent, update_targets

from ..messages import WorkCache
from . import Result, Scenario, fraction, option, positive_float, positive_int

NAME = "detail-updates"
HOUR: Final = 3_600.0
DAY: Final = 24 * HOUR
#: Within these of the change, in the report.
WITHIN: Final = {"1 min": 60.0, "1 h": HOUR, "1 day": DAY}


CONFIG: Final = (
    "seed", "customers", "vendors", "relationships", "hold_address", "always_on",
    "vendor_up_hours", "vendor_down_hours", "customer_up_hours", "customer_down_hours",
    "hop_seconds", "ttl_days", "days",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("detail updates")
    option(g, "--customers", positive_int, 1_000, "N", "customers, each changing her address once")
    option(g, "--vendors", positive_int, 100, "N", "vendors")
    option(g, "--relationships", positive_int, 4, "K", "vendors each customer has a deal with")
    option(g, "--hold-address", fraction, 0.5, "FRACTION", "share of deals that disclosed it")
    option(g, "--always-on", fraction, 0.5, "FRACTION", "share of vendors whose node never stops")
    option(g, "--vendor-up-hours", positive_float, 8.0, "H", "mean session of the other vendors")
    option(g, "--vendor-down-hours", positive_float, 16.0, "H", "mean time they are down")
    option(g, "--customer-up-hours", positive_float, 1.0, "H", "mean session of a customer node")
    option(g, "--customer-down-hours", positive_float, 5.0, "H", "mean time it is down")
    option(g, "--hop-seconds", positive_float, 2.0, "S", "delivery between two online nodes")
    option(g, "--ttl-days", positive_float, 3.0, "D", "a sealed message's life on the network")
    option(g, "--days", positive_float, 7.0, "D", "length of the run")


class Availability:
    """When one node is up: sorted, disjoint ``[start, end)`` intervals."""

    def __init__(self, intervals: list[tuple[float, float]]) -> None:
        self.starts = [a for a, _ in intervals]
        self.intervals = intervals

    @classmethod
    def always(cls, end: float) -> Availability:
        return cls([(0.0, end)])

    @classmethod
    def sessions(cls, up: float, down: float, end: float, rng: random.Random) -> Availability:
        t = rng.uniform(0, up + down)  # a random phase
        intervals = []
        if rng.random() < up / (up + down):
            intervals.append((0.0, min(end, rng.expovariate(1 / up))))
            t = intervals[-1][1] + rng.expovariate(1 / down)
        while t < end:
            stop = min(end, t + rng.expovariate(1 / up))
            intervals.append((t, stop))
            t = stop + rng.expovariate(1 / down)
        return cls(intervals)

    def next_up(self, t: float) -> float | None:
        """``t`` if the node is up then, else when it next comes up (None: never)."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i >= 0 and self.intervals[i][0] <= t < self.intervals[i][1]:
            return t
        return self.starts[i + 1] if i + 1 < len(self.starts) else None

    def comes_up(self, after: float, before: float) -> list[float]:
        """Every time the node comes up in ``(after, before)``."""
        i = bisect.bisect_right(self.starts, after)
        j = bisect.bisect_left(self.starts, before)
        return self.starts[i:j]


def deliver(sent: float, to: Availability, *, hop: float, ttl: float) -> float | None:
    """When a message that left at ``sent`` reaches a node: at once if it
    is up, else by sync when it next comes up, if the message lives that long."""
    up = to.next_up(sent)
    if up is None or up > sent + ttl:
        return None
    return up + hop


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    rng = random.Random(f"detail-updates/{args.seed}")
    end = args.days * DAY
    delay = FollowUpDelay()
    hop, ttl = args.hop_seconds, args.ttl_days * DAY
    always = set(rng.sample(range(args.vendors), round(args.always_on * args.vendors)))
    vendors = [
        Availability.always(end)
        if v in always
        else Availability.sessions(
            args.vendor_up_hours * HOUR, args.vendor_down_hours * HOUR, end, rng
        )
        for v in range(args.vendors)
    ]
    outcomes: dict[str, list[float | None]] = {"always on": [], "up and down": []}
    not_sent = resends = 0
    for c in range(args.customers):
        me = Availability.sessions(
            args.customer_up_hours * HOUR, args.customer_down_hours * HOUR, end, rng
        )
        mine = rng.sample(range(args.vendors), min(args.relationships, args.vendors))
        holdings = [
            Holding(
                accept_id=c.to_bytes(4, "big") + v.to_bytes(4, "big"),
                vendor_key=v.to_bytes(4, "big"),
                live=True,
                value="Hauptstr. 1" if rng.random() < args.hold_address else None,
                acknowledged=True,
            )
            for v in mine
        ]
        change = me.next_up(rng.uniform(0, DAY))
        if change is None:
            not_sent += 1
            continue
        targets = update_targets(holdings, "Neue Str. 2")
        acked: dict[bytes, float] = {}
        # What the customer's node sends: the change to every target, then
        # again to the silent ones once the last copy has expired on the
        # network (its resend rule, at the next check while it is up).
        last = dict.fromkeys(targets, change)
        for accept_id in targets:
            _send(accept_id, change, vendors, me, acked, rng, delay, hop, ttl)
        while True:
            state = [
                Holding(a, a[4:], True, "Neue Str. 2", a in acked and acked[a] <= last[a] + ttl)
                for a in targets
            ]
            due = []
            for a in silent(state):
                t = me.next_up(last[a] + ttl)
                if t is not None and t < end:
                    due.append((t, a))
            if not due:
                break
            for t, a in due:
                resends += 1
                last[a] = t
                _send(a, t, vendors, me, acked, rng, delay, hop, ttl)
        for accept_id in targets:
            kind = "always on" if int.from_bytes(accept_id[4:], "big") in always else "up and down"
            at = acked.get(accept_id)
            outcomes[kind].append(None if at is None or at > end else at - change)
    everyone = outcomes["always on"] + outcomes["up and down"]
    return {
        "scenario": NAME,
        "config": {k: getattr(args, k) for k in CONFIG},
        "results": {
            "updates": len(everyone),
            "acknowledged": _shares(everyone),
            "by_vendor": {k: _shares(v) for k, v in outcomes.items()},
            "resends": resends,
            "customers_never_online": not_sent,
        },
    }


def _send(  # noqa: PLR0917  (the run's state, passed along)
    accept_id: bytes,
    moment: float,
    vendors: list[Availability],
    me: Availability,
    acked: dict[bytes, float],
    rng: random.Random,
    delay: FollowUpDelay,
    hop: float,
    ttl: float,
) -> None:
    """One copy of the update leaves after the follow-up delay; the vendor's
    node acknowledges on receipt after its own; ``acked`` keeps the first
    acknowledgement that reaches the customer's node."""
    sent = moment + follow_up_delay(delay, rng.random())
    received = deliver(sent, vendors[int.from_bytes(accept_id[4:], "big")], hop=hop, ttl=ttl)
    if received is None:
        return
    back = deliver(received + follow_up_delay(delay, rng.random()), me, hop=hop, ttl=ttl)
    if back is not None and back < acked.get(accept_id, float("inf")):
        acked[accept_id] = back


def _shares(delays: list[float | None]) -> dict[str, Any]:
    n = len(delays)
    done = [d for d in delays if d is not None]
    out: dict[str, Any] = {
        f"within {name}": round(sum(d <= s for d in done) / n, 4) if n else None
        for name, s in WITHIN.items()
    }
    out["by the end"] = round(len(done) / n, 4) if n else None
    out["updates"] = n
    return out


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    groups = [*[f"within {n}" for n in WITHIN], "by the end"]
    series = {
        kind: [100 * (shares[g] or 0.0) for g in groups]
        for kind, shares in result["results"]["by_vendor"].items()
    }
    c = result["config"]
    bars(
        groups,
        series,
        ylabel="% of updates acknowledged",
        path=path,
        title=f"Change my details: {c['customers']:,} customers, {c['vendors']} vendors "
        f"({c['always_on']:.0%} always on)",
    )


SCENARIO = Scenario(
    NAME,
    "change my details with offline vendors: share acknowledged within 1 min / 1 h / 1 day",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
