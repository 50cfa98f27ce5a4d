"""What the attacks on reputation cost (issue 21, 5 a-b), priced by the
node's own figure: every number here comes from
:func:`intentcast.matching.summarise` and :func:`meets_minimum` on the
ratings an attacker would have to produce, under each weighting.

(a) **Self-dealing.** A vendor posts intents under fresh one-time keys,
accepts its own offers, confirms them and rates them 5 stars. Every time
in such a deal is the vendor's own to choose (the confirm is its own, the
rating is signed by a key it made), so it may *backdate*: spread its fake
ratings over a past span for free. A rating from the future never counts.
Reported per weighting: the fewest fake deals that move a new vendor
(3.00) to 4.50 stars, for each span the attacker spreads them over (0:
all today), the cheapest, and their proof of work.

(b) **A competitor's bad ratings.** Each one needs a real deal the victim
confirmed: the receipt's time is the victim's, so a competitor cannot
backdate; it buys over real time. Reported: the fewest 0-star deals that
pull a steady 4.5+ vendor (20 deals a month for a year, rated 4.90) below
3.00, bought today or over the last 30 days, and what they cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

from intentcast.matching import VerifiedRating, Weighting, meets_minimum, summarise
from intentcast.matching.reputation import (
    DEFAULT_WEIGHTING,
    FULL_WEIGHT,
    bayesian_rating,
    rated_as_seen,
)
from intentcast.protocol import DEFAULT_PARAMS, Kind
from intentcast.protocol.fields import DAY

#: One BLAKE2b work hash on one core in Python: the mean 16-bit intent mint
#: (63.6 ms, docs/benchmarks.md, ``python -m benchmarks validate``) / 2**16.
HASH_SECONDS: Final = 0.0636 / 65_536
#: Fewest-deals search stops here (reported as "more than").
MOST: Final = 200_000
TARGET: Final = 450
FLOOR: Final = 300
#: Spans (days) a self-dealer may spread its backdated ratings over.
SPANS: Final = (0, 7, 30, 90, 180, 365, 730)
#: The weightings measured: every rating at full weight (before issue
#: 21), each defence alone, and the node's figure.
WEIGHTINGS: Final[dict[str, Weighting]] = {
    "full_weight": FULL_WEIGHT,
    "age_decay": Weighting(burst_window=0, burst_free=0),
    "burst_damping": Weighting(half_life=0),
    "receipt_gap_3d": Weighting(half_life=0, burst_window=0, burst_free=0, min_gap=3 * DAY),
    "profile_age_90d": Weighting(half_life=0, burst_window=0, burst_free=0, profile_ramp=90 * DAY),
    "default": DEFAULT_WEIGHTING,
}
VENDOR: Final = b"v" * 32
NOW: Final = 1_800_000_000


def rating_bits() -> int:
    """The rating's proof of work: the protocol's, once the ratings branch
    defines the kind; until then the intent's (16 bits)."""
    bits = DEFAULT_PARAMS.pow_bits
    for kind in bits:
        if kind.value in ("receipt", "rating"):
            return bits[kind]
    return bits[Kind.INTENT]


def deal_hashes() -> dict[str, int]:
    """Expected work hashes of one fake deal, per message it needs."""
    bits = DEFAULT_PARAMS.pow_bits
    return {
        "intent": 2 ** bits[Kind.INTENT],
        "sealed_offer": 2 ** bits[Kind.SEALED_OFFER],
        "accept_sealed": 2 ** bits[Kind.SEALED_DEAL],
        "confirm_sealed": 2 ** bits[Kind.SEALED_DEAL],
        "rating": 2 ** rating_bits(),
    }


def fewest(enough: Callable[[int], bool]) -> int | None:
    """The least ``k`` in 1..MOST with ``enough(k)`` (assumed monotone), or None."""
    hi = 1
    while not enough(hi):
        if hi >= MOST:
            return None
        hi = min(hi * 2, MOST)
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def spread(
    k: int, span: int, *, end: int, stars: int, tag: bytes, gap: int
) -> list[VerifiedRating]:
    """``k`` ratings of ``stars`` evenly over ``span`` seconds up to ``end``."""
    return [
        VerifiedRating(
            vendor=VENDOR,
            deal=tag + j.to_bytes(4, "big"),
            stars=stars,
            rated=end - (span * j) // k,
            confirmed=end - (span * j) // k - gap,
        )
        for j in range(k)
    ]


def self_dealing(w: Weighting) -> dict[str, Any]:
    """(a): fake 5-star deals moving a new vendor from 3.00 to 4.50."""
    since = {VENDOR: NOW}  # the new vendor's profile, as a node saw it appear

    def reaches(span: int, *, online: bool = False) -> Callable[[int], bool]:
        def enough(k: int) -> bool:
            # The self-dealer signs both times: it fakes a 14-day receipt gap.
            fake = spread(k, span * DAY, end=NOW, stars=500, tag=b"fake", gap=14 * DAY)
            if online:  # a node that was online saw them all arrive today
                fake = [replace(r, rated=rated_as_seen(r.rated, NOW)) for r in fake]
            s = summarise(fake, now=NOW, weighting=w, since=since).get(VENDOR)
            return s is not None and meets_minimum(s, TARGET)

        return enough

    per_span = {f"{span}d": fewest(reaches(span)) for span in SPANS}
    online = {f"{span}d": fewest(reaches(span, online=True)) for span in SPANS}
    found = [k for k in per_span.values() if k is not None]
    cheapest = min(found) if found else None
    per_deal = sum(deal_hashes().values())
    return {
        "fake_deals_by_backdated_span": per_span,
        "fake_deals_cheapest": cheapest,
        "fake_deals_today": per_span["0d"],
        # What the backdated ratings buy on a node that was online when
        # they arrived (rated_as_seen): the span no longer helps; only
        # real days do (the first table, read as days of waiting).
        "fake_deals_backdated_seen_online": min(
            (k for k in online.values() if k is not None), default=None
        ),
        "pow_core_seconds_cheapest": None
        if cheapest is None
        else round(cheapest * per_deal * HASH_SECONDS, 1),
    }


def competitor(w: Weighting) -> dict[str, Any]:
    """(b): 0-star deals pulling a steady 4.9-rated vendor below 3.00."""
    honest = spread(240, 365 * DAY, end=NOW - DAY, stars=490, tag=b"good", gap=3 * DAY)
    start = summarise(honest, now=NOW, weighting=w).get(VENDOR)
    assert start is not None

    def pulls(span: int) -> Callable[[int], bool]:
        def enough(k: int) -> bool:
            bad = spread(k, span * DAY, end=NOW, stars=0, tag=b"bad-", gap=3 * DAY)
            s = summarise(honest + bad, now=NOW, weighting=w)[VENDOR]
            return not meets_minimum(s, FLOOR)

        return enough

    return {
        "victim_rating": round(bayesian_rating(start) / 100, 2),
        "bad_deals_bought_today": fewest(pulls(0)),
        "bad_deals_over_30_days": fewest(pulls(30)),
    }


def attack_costs(chosen: Weighting = DEFAULT_WEIGHTING) -> dict[str, Any]:
    """Both attacks under every weighting (``chosen`` as "default"), and
    what one fake deal costs."""
    weightings = {**WEIGHTINGS, "default": chosen}
    hashes = deal_hashes()
    return {
        "per_fake_deal": {
            "rating_pow_bits": rating_bits(),
            "work_hashes": hashes,
            "pow_core_seconds": round(sum(hashes.values()) * HASH_SECONDS, 3),
        },
        "self_dealing_3_to_4.5": {name: self_dealing(w) for name, w in weightings.items()},
        "competitor_4.9_to_below_3": {name: competitor(w) for name, w in weightings.items()},
    }
