"""Connection graphs and link latencies.

A graph is a list of undirected edges ``(a, b)`` with ``a < b`` over nodes
``0..n-1``. Each link gets one latency, drawn once from a
:class:`Latency` distribution when the network is built: a link's delay
is a property of the path between two machines, and messages on it do not
overtake each other.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

Edge = tuple[int, int]


class TopologyError(ValueError):
    """A graph or latency specification that cannot be built."""


def random_dials(n: int, degree: int, rng: random.Random) -> list[Edge]:
    """Who dials whom: every node dials ``degree // 2`` distinct random
    peers, as a node dials its bootstrap peers. ``(dialler, dialled)``
    pairs, in the order drawn; both directions of one pair may occur."""
    if n < 2:
        raise TopologyError(f"a network needs at least 2 nodes, not {n}")
    if not 2 <= degree < n:
        raise TopologyError(f"degree must be between 2 and nodes - 1 ({n - 1}), not {degree}")
    dials = degree // 2
    out: list[Edge] = []
    for a in range(n):
        chosen: set[int] = set()
        while len(chosen) < dials:
            b = rng.randrange(n)
            if b != a:
                chosen.add(b)
        out.extend((a, b) for b in sorted(chosen))
    return out


def undirected(dials: Sequence[Edge]) -> list[Edge]:
    """The graph of ``dials``: one edge ``(a, b)``, ``a < b``, per pair."""
    return sorted({(a, b) if a < b else (b, a) for a, b in dials})


def random_graph(n: int, degree: int, rng: random.Random) -> list[Edge]:
    """The graph of :func:`random_dials` (the same draws): the average
    degree is about ``degree``, the smallest ``degree // 2``."""
    return undirected(random_dials(n, degree, rng))


def ring_with_chords(n: int, chords: int, seed: int) -> list[Edge]:
    """The network benchmark's topology (``benchmarks/network.py``,
    ``topology``): a ring plus ``chords`` random links dialled by every
    node, from its own ``random.Random(seed)``, so the same seed gives the
    same edges as the benchmark."""
    rng = random.Random(seed)
    edges = {(min(i, (i + 1) % n), max(i, (i + 1) % n)) for i in range(n) if n > 1}
    for i in range(n):
        for j in rng.sample([j for j in range(n) if j != i], min(chords, n - 1)):
            edges.add((min(i, j), max(i, j)))
    return sorted(edges)


def line(n: int) -> list[Edge]:
    """Nodes 0 - 1 - ... - n-1 in a row."""
    return [(i, i + 1) for i in range(n - 1)]


def adjacency(n: int, edges: Sequence[Edge]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        if not (0 <= a < n and 0 <= b < n) or a == b:
            raise TopologyError(f"bad edge {(a, b)} for {n} nodes")
        out[a].append(b)
        out[b].append(a)
    return out


def hops_from(start: int, adjacent: Sequence[Sequence[int]]) -> list[int]:
    """Hop distance from ``start`` to every node (-1: unreachable)."""
    dist = [-1] * len(adjacent)
    dist[start] = 0
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in adjacent[v]:
            if dist[w] < 0:
                dist[w] = dist[v] + 1
                queue.append(w)
    return dist


@dataclass(frozen=True, slots=True)
class Latency:
    """A distribution of one-way link latency, in seconds.

    Written ``fixed:MS``, ``uniform:LO,HI`` or ``lognormal:MEDIAN,SIGMA``
    (milliseconds; sigma of the underlying normal) on the command line.
    """

    shape: str
    a: float
    b: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> Latency:
        """Raises :class:`TopologyError` with what a valid spec looks like."""
        name, _, rest = spec.partition(":")
        try:
            values = [float(x) for x in rest.split(",")] if rest else []
        except ValueError:
            values = []
        shapes = {"fixed": 1, "uniform": 2, "lognormal": 2}
        if (
            name not in shapes
            or len(values) != shapes[name]
            or not all(math.isfinite(v) and v >= 0 for v in values)
        ):
            raise TopologyError(
                f"latency {spec!r}: write fixed:MS, uniform:LO,HI or lognormal:MEDIAN,SIGMA "
                "(milliseconds, not negative), e.g. lognormal:40,0.5"
            )
        if name == "uniform" and values[0] > values[1]:
            raise TopologyError(f"latency {spec!r}: LO must not exceed HI")
        if name == "fixed":
            return cls("fixed", values[0] / 1000)
        if name == "uniform":
            return cls("uniform", values[0] / 1000, values[1] / 1000)
        return cls("lognormal", values[0] / 1000, values[1])  # sigma has no unit

    def sample(self, rng: random.Random) -> float:
        if self.shape == "fixed":
            return self.a
        if self.shape == "uniform":
            return rng.uniform(self.a, self.b)
        return self.a * math.exp(rng.gauss(0.0, self.b))

    def __str__(self) -> str:
        if self.shape == "fixed":
            return f"fixed:{self.a * 1000:g}"
        if self.shape == "uniform":
            return f"uniform:{self.a * 1000:g},{self.b * 1000:g}"
        return f"lognormal:{self.a * 1000:g},{self.b:g}"
