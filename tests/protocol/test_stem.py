"""Stem-then-fluff routing policy: roles and successors per epoch, fixed
forwarding per inbound edge, the embargo timer, and which kinds use it."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from intentcast.protocol.kinds import GOSSIP_KINDS, Kind
from intentcast.protocol.stem import (
    FLUFF,
    EpochNotBegun,
    Rng,
    Route,
    Stem,
    StemParams,
    StemRouter,
    epoch_of,
    stems,
)

PARAMS = StemParams()
PEERS = list(range(100, 120))
T0 = 1_800_000_000.0


def router(seed: int, peers: list[int] = PEERS, params: StemParams = PARAMS) -> StemRouter[int]:
    """A router whose first epoch has begun, everything drawn from ``seed``."""
    rng = random.Random(seed)
    r: StemRouter[int] = StemRouter(params, rng, phase=0.0)
    r.begin_epoch(0, peers, rng)
    return r


def relayer(seed_from: int = 0, peers: list[int] = PEERS) -> tuple[StemRouter[int], Rng]:
    """The first seeded router at or after ``seed_from`` that is a relayer."""
    for seed in range(seed_from, seed_from + 100):
        r = router(seed, peers)
        if not r.diffuser:
            return r, random.Random(seed + 10_000)
    raise AssertionError("no relayer in 100 seeds at q=0.2")


def test_random_random_is_an_rng() -> None:
    rng: Rng = random.Random(1)
    system: Rng = random.SystemRandom()
    assert 0 <= rng.random() < 1 and 0 <= system.randrange(3) < 3


def test_same_seed_gives_the_same_routes() -> None:
    def trace(seed: int) -> list[Route[int]]:
        rng = random.Random(seed)
        r: StemRouter[int] = StemRouter(PARAMS, rng)
        out: list[Route[int]] = []
        for hour in range(6):
            r.refresh(T0 + hour * PARAMS.epoch_seconds, PEERS, rng)
            out.append(r.route_own())
            out.extend(r.route_relayed(p, rng) for p in PEERS)
            r.peer_lost(r.successors[0], PEERS[5:], rng)
            out.append(r.route_own())
        return out

    assert trace(42) == trace(42)
    assert trace(42) != trace(43)


def test_routing_before_the_first_epoch_is_refused() -> None:
    r: StemRouter[int] = StemRouter(PARAMS, random.Random(1))
    with pytest.raises(EpochNotBegun):
        r.route_own()
    with pytest.raises(EpochNotBegun):
        r.route_relayed(1, random.Random(1))


def test_epochs_change_every_epoch_seconds_after_the_phase() -> None:
    params = StemParams(epoch_seconds=600)
    assert epoch_of(1200.0, params) == 2
    assert epoch_of(1199.9, params) == 1
    assert epoch_of(1200.0, params, phase=30.0) == 1
    assert epoch_of(1230.0, params, phase=30.0) == 2


def test_refresh_draws_only_when_the_epoch_changes() -> None:
    rng = random.Random(5)
    r: StemRouter[int] = StemRouter(PARAMS, rng, phase=0.0)
    assert r.refresh(T0, PEERS, rng)
    before = (r.epoch, r.successors, r.route_own())
    assert T0 % PARAMS.epoch_seconds == 0
    assert not r.refresh(T0 + PARAMS.epoch_seconds - 1, PEERS, rng)
    assert (r.epoch, r.successors, r.route_own()) == before
    assert r.refresh(T0 + PARAMS.epoch_seconds, PEERS, rng)
    assert r.epoch == before[0] + 1  # type: ignore[operator]


def test_nodes_do_not_all_change_epoch_at_the_same_instant() -> None:
    phases = {StemRouter(PARAMS, random.Random(seed)).phase for seed in range(50)}
    assert len(phases) == 50
    assert all(0 <= p < PARAMS.epoch_seconds for p in phases)


def test_new_epochs_redraw_successors_and_roles() -> None:
    rng = random.Random(9)
    r: StemRouter[int] = StemRouter(PARAMS, rng)
    pairs, roles = set(), set()
    for epoch in range(40):
        r.begin_epoch(epoch, PEERS, rng)
        assert len(set(r.successors)) == PARAMS.successors
        assert set(r.successors) <= set(PEERS)
        pairs.add(frozenset(r.successors))
        roles.add(r.diffuser)
    # 190 possible pairs: 40 epochs of one pair would mean nothing is re-drawn.
    assert len(pairs) >= 20
    assert roles == {True, False}


def test_fluff_fraction_over_many_nodes_is_the_fluff_probability() -> None:
    for q in (0.1, 0.2, 0.5):
        params = StemParams(fluff_probability=q)
        rng = random.Random(2024)
        n = 20_000
        diffusers = 0
        for _ in range(n):
            r: StemRouter[int] = StemRouter(params, rng)
            r.begin_epoch(0, PEERS, rng)
            diffusers += r.diffuser
        sigma = math.sqrt(n * q * (1 - q))
        assert abs(diffusers - n * q) < 4 * sigma, (q, diffusers / n)


def test_a_role_holds_for_every_message_of_the_epoch() -> None:
    rng = random.Random(3)
    for seed in range(30):
        r = router(seed)
        routes = [r.route_relayed(p, rng) for p in PEERS for _ in range(3)]
        if r.diffuser:
            assert all(route == FLUFF for route in routes)
        else:
            assert all(isinstance(route, Stem) for route in routes)


def test_each_inbound_peer_keeps_its_successor_within_an_epoch() -> None:
    r, rng = relayer()
    first = {p: r.route_relayed(p, rng) for p in PEERS}
    for _ in range(20):
        for p in reversed(PEERS):
            assert r.route_relayed(p, rng) == first[p]
    targets = {route.peer for route in first.values() if isinstance(route, Stem)}
    # 20 inbound peers over 2 successors: both are used, nothing else is.
    assert targets == set(r.successors)


def test_inbound_mapping_is_drawn_again_next_epoch() -> None:
    r, rng = relayer()
    seen = []
    for epoch in range(1, 30):
        r.begin_epoch(epoch, PEERS, rng)
        if not r.diffuser:
            seen.append(tuple(r.route_relayed(p, rng) for p in PEERS))
    assert len(set(seen)) == len(seen) >= 10


def test_own_messages_always_take_the_same_successor_within_an_epoch() -> None:
    rng = random.Random(11)
    checked_diffuser = False
    for seed in range(40):
        r = router(seed)
        first = r.route_own()
        assert isinstance(first, Stem) and first.peer in r.successors
        for p in PEERS:
            r.route_relayed(p, rng)
            assert r.route_own() == first
        checked_diffuser |= r.diffuser
    # Even a diffuser never fluffs its own messages directly.
    assert checked_diffuser


def test_own_messages_use_both_successor_slots_across_epochs() -> None:
    rng = random.Random(12)
    r: StemRouter[int] = StemRouter(PARAMS, rng)
    slots = set()
    for epoch in range(30):
        r.begin_epoch(epoch, PEERS, rng)
        own = r.route_own()
        assert isinstance(own, Stem)
        slots.add(r.successors.index(own.peer))
    assert slots == {0, 1}


def test_a_repeated_stem_message_is_fluffed_even_by_a_relayer() -> None:
    r, rng = relayer()
    assert isinstance(r.route_relayed(PEERS[0], rng), Stem)
    assert r.route_relayed(PEERS[0], rng, repeat=True) == FLUFF


def test_a_message_is_never_sent_back_to_its_sender() -> None:
    for seed in range(30):
        r, rng = relayer(seed * 100)
        for successor in r.successors:
            route = r.route_relayed(successor, rng)
            assert route != Stem(successor)
            assert isinstance(route, Stem)  # the other successor takes it


def test_no_peers_means_fluff_a_lone_node_cannot_hide() -> None:
    r = router(1, peers=[])
    assert r.successors == ()
    assert r.route_own() == FLUFF
    assert r.route_relayed(5, random.Random(1)) == FLUFF


def test_a_node_without_peers_draws_successors_once_it_has_some() -> None:
    rng = random.Random(4)
    r: StemRouter[int] = StemRouter(PARAMS, rng, phase=0.0)
    r.refresh(T0, [], rng)
    assert r.route_own() == FLUFF
    assert r.refresh(T0 + 1, PEERS, rng)
    assert isinstance(r.route_own(), Stem)


def test_one_peer_takes_own_messages_and_never_gets_its_own_back() -> None:
    for seed in range(20):
        r = router(seed, peers=[7])
        assert r.successors == (7, 7)
        assert r.route_own() == Stem(7)
        if not r.diffuser:
            assert r.route_relayed(7, random.Random(seed)) == FLUFF
            # A stem message from an inbound-only peer still goes to the one successor.
            assert r.route_relayed(8, random.Random(seed)) == Stem(7)


def test_losing_a_successor_redraws_only_its_slot() -> None:
    for seed in range(200):
        r, rng = relayer(seed * 10)
        lost, kept = r.successors
        mapping = {p: r.route_relayed(p, rng) for p in PEERS if p not in (lost, kept)}
        own = r.route_own()
        # The caller may still list the lost peer (it learns of the loss first).
        r.peer_lost(lost, PEERS, rng)
        replacement, still = r.successors
        assert still == kept
        assert replacement not in (lost, kept) and replacement in PEERS
        assert r.route_own() == (Stem(replacement) if own == Stem(lost) else own)
        for p, before in mapping.items():
            expected = Stem(replacement) if before == Stem(lost) else before
            if expected == Stem(p):  # the replacement is this inbound peer: no bounce
                expected = Stem(kept)
            assert r.route_relayed(p, rng) == expected


def test_losing_a_peer_that_is_not_a_successor_changes_nothing() -> None:
    r, rng = relayer()
    before = r.successors
    other = next(p for p in PEERS if p not in before)
    r.peer_lost(other, [p for p in PEERS if p != other], rng)
    assert r.successors == before


def test_losing_the_last_peers_falls_back_to_fluff_and_never_the_lost_peer() -> None:
    r, rng = relayer(peers=[1, 2])
    r.peer_lost(1, [1, 2], rng)
    one_left = r.successors
    assert one_left == (2, 2)
    r.peer_lost(2, [2], rng)
    assert r.successors == ()
    assert r.route_own() == FLUFF


def test_embargo_is_never_shorter_than_its_base_and_has_an_exponential_tail() -> None:
    r = router(1)
    rng = random.Random(77)
    base, mean = PARAMS.embargo_base_seconds, PARAMS.embargo_mean_extra_seconds
    draws = [r.embargo_seconds(rng) for _ in range(20_000)]
    assert min(draws) >= base
    extras = [d - base for d in draws]
    # Mean of 20,000 exponentials: standard error mean/141, tolerance about 4 errors.
    assert abs(statistics.fmean(extras) - mean) < 0.03 * mean
    # Memoryless tail: P(extra > mean) = 1/e, P(extra > 3 mean) = 1/e^3.
    for k in (1, 3):
        tail = sum(e > k * mean for e in extras) / len(extras)
        assert abs(tail - math.exp(-k)) < 0.015, (k, tail)


def test_embargo_ordering_is_decided_by_chance_not_by_who_held_it_first() -> None:
    """The author holds its message a hop before its successor does; with the
    timer's random part large against a hop, the author is the first to fire
    about half the time, not always."""
    r = router(1)
    rng = random.Random(8)
    hop = 0.5
    trials = 10_000
    author_first = sum(r.embargo_seconds(rng) < hop + r.embargo_seconds(rng) for _ in range(trials))
    expected = 1 - 0.5 * math.exp(-hop / PARAMS.embargo_mean_extra_seconds)  # 0.512
    assert abs(author_first / trials - expected) < 0.03


@pytest.mark.parametrize(
    "changes",
    [
        {"epoch_seconds": 0},
        {"fluff_probability": 0},
        {"fluff_probability": 1.5},
        {"successors": 0},
        {"embargo_base_seconds": -1},
        {"embargo_mean_extra_seconds": 0},
    ],
)
def test_params_out_of_range_are_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StemParams(**changes)  # type: ignore[arg-type]


def test_every_kind_a_customer_authors_starts_on_the_stem() -> None:
    assert {k for k in GOSSIP_KINDS if stems(k)} == {
        Kind.INTENT,
        Kind.WITHDRAW,
        Kind.SEALED_OFFER,
        Kind.SEALED_DEAL,
        Kind.RATING,
    }
    assert not stems(Kind.VENDOR_PROFILE)
    assert not stems(Kind.RATING_REPLY)
