"""spam: a fraction of nodes flood their peers; do honest intents still
arrive, and how fast are the spammers cut off?

Spammers are ordinary connected nodes that relay nothing (black holes: they
keep their mesh places) and, from the first honest publish on, send every
connected peer ``--spam-rate`` messages a second:

- ``--mode invalid``: distinct envelopes every node refuses (forged
  signature, no proof of work, not an envelope): each costs the receiver a
  validation and the sender a strike; past 20 strikes in 60 s the sender
  is banned (peer/limits.py).
- ``--mode flood``: valid withdrawals (the cheapest valid gossip: 10 bits of
  work), faster than a peer may send (200 a second, burst 400); the excess
  is dropped and, past 200 drops in 60 s, the sender is banned. Flooders
  send the same sequence (distinct messages would cost them more work).

The same network runs twice, without and with the spam (spammers are black
holes both times), so the cost of the spam itself is the difference.
Honest vendors (a share of the honest nodes) must never accept a message
that is not valid, and honest nodes with no spammer among their peers must
never even receive one: no honest node forwards what it refused.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from typing import Any

from intentcast.protocol import Kind, Signed, Withdraw

from ..builders import BULK_TOPIC, Junk, withdrawals
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..stats import latency_summary, ratio, spread
from . import (
    Result,
    Scenario,
    add_network_arguments,
    fraction,
    network_config,
    option,
    pair,
    positive_float,
    random_network,
)
from .propagation import (
    add_publish_arguments,
    build_intents,
    delivery_figures,
    publish_schedule,
    traffic,
)

NAME = "spam"
DEFAULT_RATE = {"invalid": 100.0, "flood": 1000.0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser, intents=50)
    g = parser.add_argument_group("spam")
    option(g, "--spammers", fraction, 0.05, "FRACTION", "share of nodes that spam")
    g.add_argument(
        "--mode",
        choices=("invalid", "flood"),
        default="invalid",
        help="invalid envelopes, or valid ones faster than the rate limit (default invalid)",
    )
    g.add_argument(
        "--spam-rate",
        type=positive_float,
        default=None,
        metavar="PER_S",
        help="messages a second each spammer sends each peer (default 100 invalid, 1000 flood)",
    )
    option(g, "--vendors", fraction, 0.1, "FRACTION", "share of honest nodes that are vendors")


class Spam:
    """The spammers' sending loops and what became of them."""

    def __init__(
        self,
        net: Network,
        spammers: list[int],
        args: argparse.Namespace,
        work: WorkCache,
        end: float,
    ) -> None:
        self.net = net
        self.mode = args.mode
        self.interval = 1.0 / (args.spam_rate or DEFAULT_RATE[args.mode])
        self.end = end
        self.start = float(args.warmup)
        self.topic = net.topic(BULK_TOPIC)
        self.sent: dict[int, int] = dict.fromkeys(spammers, 0)
        self._spammers = set(spammers)
        #: Each spammer's honest peers when the spam starts, and when each banned it.
        self.neighbours: dict[int, set[int]] = {}
        self.banned_at: dict[int, dict[int, float]] = {s: {} for s in spammers}
        net.on_ban = self._on_ban
        self.messages: list[SimMessage] = []
        self._pool: list[SimMessage] = []
        self._valid: Iterator[Signed[Withdraw]] = withdrawals(work, net.params.network)
        self._junk = Junk(work, net.params.network) if self.mode == "invalid" else None
        self._work = work
        for s in spammers:
            net.loop.call_at(self.start, self._tick, s)

    def message(self, s: int, k: int) -> SimMessage:
        """Spammer ``s``'s ``k``-th message."""
        if self._junk is not None:
            msg = self.net.messages.add(self._junk(s * 1_000_003 + k), self.topic, tag="spam")
            self.messages.append(msg)
            return msg
        while len(self._pool) <= k:  # flooders share one sequence of valid withdrawals
            raw = next(self._valid).raw
            self._pool.append(self.net.messages.add(raw, self.topic, tag="spam"))
        return self._pool[k]

    def _on_ban(self, v: int, peer: int, now: float, reason: str) -> None:
        bans = self.banned_at.get(peer)
        if bans is not None:
            bans.setdefault(v, now - self.start)

    def cut_off(self) -> dict[int, float]:
        """Seconds from the start of the spam until the last honest peer
        of each spammer banned it (spammers some peer never banned are left out)."""
        out = {}
        for s, peers in self.neighbours.items():
            bans = self.banned_at[s]
            if peers and all(p in bans for p in peers):
                out[s] = max(bans[p] for p in peers)
        return out

    def _tick(self, s: int) -> None:
        net = self.net
        # Spammers do not ban each other; cut off means no honest peer is left.
        peers = sorted(p for p in net.nodes[s].peers if p not in self._spammers)
        self.neighbours.setdefault(s, set(peers))
        now = net.loop.now
        if not peers or now > self.end:
            return
        k = self.sent[s]
        self.sent[s] = k + 1
        net.push(s, self.message(s, k), peers)
        net.loop.call_at(now + self.interval, self._tick, s)

    @property
    def all_messages(self) -> list[SimMessage]:
        return self.messages if self.mode == "invalid" else self._pool


def run_once(args: argparse.Namespace, work: WorkCache, *, spam: bool) -> dict[str, Any]:
    net = random_network(args, topics=[BULK_TOPIC])
    pick = random.Random(f"spam/{args.seed}")
    spammers = sorted(pick.sample(range(net.n), round(args.spammers * net.n)))
    spammer_set = set(spammers)
    honest = [v for v in range(net.n) if v not in spammer_set]
    vendors = sorted(pick.sample(honest, max(1, round(args.vendors * len(honest)))))
    for s in spammers:
        net.silent[s] = 1
    intents = build_intents(net, args.intents, work)
    net.start()
    publishers = pick.sample(honest, min(len(honest), args.intents))
    last = publish_schedule(net, intents, args, publishers)
    end = last + args.drain
    attack = Spam(net, spammers, args, work, end) if spam and spammers else None
    net.run(end)
    work.save()
    figures = delivery_figures(net, intents, receivers=honest)
    out: dict[str, Any] = {
        "delivery": figures["delivery"],
        "latency": figures["latency"],
        "to_all": figures["to_all"],
        "honest_bytes_per_node": spread(
            [float(net.sent_bytes[v] + net.received_bytes[v]) for v in honest], 0
        ),
        "events": net.loop.events,
        "histogram": figures["histogram"],
        "network": network_config(args, net),
    }
    if attack is None:
        return out
    junk_msgs = attack.all_messages
    adjacent = {p for s in spammers for p in net.nodes[s].links}
    far_vendors = [v for v in vendors if v not in adjacent]
    honest_bans = [(t, v, p) for t, v, p, _ in net.bans if p not in spammer_set]
    spam_bans = [(t, v, p) for t, v, p, _ in net.bans if p in spammer_set]
    accepted_at_honest = sum(1 for m in junk_msgs if m.via is not None for v in honest if m.via[v])
    cut_off = attack.cut_off()
    never = [s for s in spammers if s not in cut_off]
    out["spam"] = {
        "spammers": len(spammers),
        "mode": attack.mode,
        "rate_per_peer": round(1 / attack.interval, 1),
        "messages_sent": sum(attack.sent.values()),
        "distinct": len(junk_msgs),
        "refused_by_honest": sum(net.refused[v] for v in honest),
        "accepted_by_honest_nodes": accepted_at_honest,
        "accepted_by_honest_vendors": sum(
            1 for m in junk_msgs if m.via is not None for v in vendors if m.via[v]
        ),
        "vendors": len(vendors),
        "vendors_not_next_to_a_spammer": len(far_vendors),
        "refused_by_those": sum(net.refused[v] for v in far_vendors),
        "kinds_refused": net.messages.reasons(),
        "bans_of_spammers": len(spam_bans),
        "bans_of_honest_nodes": len(honest_bans),
        "cut_off": {**latency_summary(list(cut_off.values())), "never_cut_off": len(never)},
    }
    if attack.mode == "flood":
        valid = [
            m
            for m in junk_msgs
            if m.action is not None and m.signed is not None and m.signed.kind is Kind.WITHDRAW
        ]
        reached = [m.delivered() for m in valid]
        out["spam"]["flood_messages_accepted_per_honest_node"] = round(
            sum(reached) / max(1, len(honest)), 1
        )
    return out


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    quiet = run_once(args, work, spam=False)
    attacked = run_once(args, work, spam=True)
    config, events = pair(quiet, attacked)
    return {
        "scenario": NAME,
        "config": {
            **config,
            **traffic(args),
            "spammers": args.spammers,
            "mode": args.mode,
            "spam_rate": args.spam_rate or DEFAULT_RATE[args.mode],
        },
        "results": {
            "without_spam": quiet,
            "with_spam": attacked,
            "delivery_ratio_change": ratio(attacked["delivery"] or 0, quiet["delivery"] or 1),
            "events": events,
        },
    }


def plot(result: Result, path: str) -> None:
    from ..plots import latency_histogram

    r = result["results"]["with_spam"]
    c = result["config"]
    latency_histogram(
        r["histogram"],
        r["latency"],
        title=f"Honest intents under {c['mode']} spam: {c['spammers']:.0%} of "
        f"{c['nodes']:,} nodes spam",
        path=path,
        label="publish to honest node",
    )


SCENARIO = Scenario(
    NAME,
    "honest delivery under invalid or over-limit floods; spammer cut-off",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
