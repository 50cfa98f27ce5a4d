"""The shared category vocabulary: a tree shipped with the project.

``taxonomy.txt`` (next to this module, in the package's data) lists every
category path, parents first, each with the other names customers and
shops use for it. Intents posted through the CLI or the API and every
catalog use its paths; a node still accepts an intent with a path it does
not know from the network (a newer node may know more categories), and the
matcher reads such a path by its closest known category (:meth:`Taxonomy.resolve`).

How two paths relate (:meth:`Taxonomy.relation`) decides how much an item
of one category counts for an intent of another: the same category or a
subcategory of the intent's fully, a parent a little less, a sibling less,
a cousin under the same top level less still, another top level not at all
(it is another gossip topic). Factors: :data:`CATEGORY_FACTOR`.

The file is read once, through the import system (``pkgutil.get_data``,
the loader that reads this module's own code), when the module is
imported: it is part of the package like code, not input, so the matching
package stays free of I/O that depends on where or when it runs.
"""

from __future__ import annotations

import enum
import pkgutil
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz

from intentcast.protocol import InvalidMessage
from intentcast.protocol.intent import category_path

from .analysis import canonical, stem
from .lexicon import FILLER


class Relation(enum.StrEnum):
    """How an item's category stands to the intent's."""

    SAME = "same"
    #: The item is in a subcategory of the intent's (the intent is broader).
    CHILD = "child"
    #: The item is in a parent of the intent's category (the shop filed it broadly).
    PARENT = "parent"
    #: Both sit under the same subcategory (``fashion/outerwear/coats`` and ``.../jackets``).
    SIBLING = "sibling"
    #: Only the top level is shared (``fashion/women/dresses`` and ``fashion/shoes``).
    COUSIN = "cousin"
    #: Another top level: never matched.
    OTHER = "other"


#: How much an item's relevance counts for each relation (docs/matching.md,
#: "Categories"): a subcategory is what a broader intent asked for; an item
#: filed under a parent may well be it (the shop was vaguer); a sibling is
#: what a customer who picked a neighbouring category often means; a cousin
#: shares only the department.
CATEGORY_FACTOR: Final = {
    Relation.SAME: 1.0,
    Relation.CHILD: 1.0,
    Relation.PARENT: 0.95,
    Relation.SIBLING: 0.9,
    Relation.COUSIN: 0.8,
    Relation.OTHER: 0.0,
}

_WORD: Final = re.compile(r"[^\W_]+")


def _tokens(text: str) -> tuple[str, ...]:
    """Words of a name or a query as matched: stemmed, synonyms folded."""
    words = _WORD.findall(text.casefold().replace("'s", ""))
    return tuple(canonical(stem(w)) for w in words if w not in FILLER)


@dataclass(frozen=True, slots=True)
class Category:
    """One node of the tree: its path and the names it goes by (the last
    level's own words first)."""

    path: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def shown(self) -> str:
        return "/".join(self.path)


class UnknownCategory(ValueError):
    """A category path the taxonomy does not have, with the closest known ones."""

    def __init__(self, path: Sequence[str], closest: Sequence[str]) -> None:
        self.path = tuple(path)
        self.closest = tuple(closest)
        shown = "/".join(self.path)
        hint = f"; closest: {', '.join(self.closest)}" if self.closest else ""
        super().__init__(
            f"unknown category {shown!r}{hint} (`intentcast categories SEARCH` lists them)"
        )


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A category and how well it fits a search (0..1, higher is closer)."""

    path: str
    score: float


class Taxonomy:
    """The category tree: lookups, relations and searches."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories: dict[tuple[str, ...], Category] = {}
        for c in categories:
            if c.path in self.categories:
                raise ValueError(f"taxonomy: {c.shown} is listed twice")
            if len(c.path) > 1 and c.path[:-1] not in self.categories:
                raise ValueError(f"taxonomy: {c.shown} comes before its parent")
            self.categories[c.path] = c
        self._resolved: dict[tuple[str, ...], tuple[str, ...]] = {}
        # Each category's names as words, its path's own levels last; and
        # which categories have a word (so a search looks at few of them).
        self._name_tokens = {
            path: tuple(
                t
                for t in (*(_tokens(n) for n in c.names), _tokens(" ".join(path[1:] or path)))
                if t
            )
            for path, c in self.categories.items()
        }
        self._by_token: dict[str, set[tuple[str, ...]]] = {}
        for path, names in self._name_tokens.items():
            for name in names:
                for token in name:
                    self._by_token.setdefault(token, set()).add(path)

    def __contains__(self, path: object) -> bool:
        return tuple(path) in self.categories if isinstance(path, (tuple, list)) else False

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories.values())

    def __len__(self) -> int:
        return len(self.categories)

    def children(self, path: Sequence[str]) -> list[Category]:
        """The direct subcategories of ``path``."""
        p = tuple(path)
        return [c for c in self if len(c.path) == len(p) + 1 and c.path[:-1] == p]

    def resolve(self, path: Sequence[str]) -> tuple[str, ...]:
        """The known category ``path`` means: itself if known; else the
        category under the same top level whose name matches the unknown
        last level (``fashion/dresses`` -> ``fashion/women/dresses``,
        ``home/home-garden`` -> ``home/garden``); else its deepest known
        ancestor. A path under an unknown top level is returned unchanged."""
        p = tuple(path)
        if p in self.categories or not p or (p[0],) not in self.categories:
            return p
        resolved = self._resolved.get(p)
        if resolved is None:
            resolved = self._resolved[p] = self._resolve(p)
        return resolved

    def _resolve(self, p: tuple[str, ...]) -> tuple[str, ...]:
        parent = self.resolve(p[:-1])
        if (*parent, p[-1]) in self.categories:
            return (*parent, p[-1])
        found = self.search(p[-1].replace("-", " "), top=p[0], limit=50, complete=True)
        for pool in ([s for s in found if s.path.startswith("/".join(parent) + "/")], found):
            if pool and (len(pool) == 1 or pool[0].score > pool[1].score):
                return tuple(pool[0].path.split("/"))
        return parent

    def check(self, path: Sequence[str]) -> tuple[str, ...]:
        """``path`` if the taxonomy has it, else :class:`UnknownCategory`
        naming the closest known ones."""
        p = tuple(path)
        if p in self.categories:
            return p
        if not p:
            raise UnknownCategory(p, [c.shown for c in self if len(c.path) == 1][:3])
        resolved = self.resolve(p)
        closest = [s.path for s in self.search(" ".join(p[1:]) or p[0], top=p[0], limit=3)]
        if len(resolved) > 1:
            closest = ["/".join(resolved), *(c for c in closest if c != "/".join(resolved))][:3]
        if not closest:
            closest = [s.path for s in self.search(" ".join(p), limit=3)]
        raise UnknownCategory(p, closest)

    def relation(self, wanted: Sequence[str], have: Sequence[str]) -> Relation:
        """How an item's category ``have`` stands to an intent's ``wanted``
        (an unknown intent path is first resolved)."""
        w, h = self.resolve(wanted), tuple(have)
        if w == h:
            return Relation.SAME
        if not w or not h or w[0] != h[0]:
            return Relation.OTHER
        if h[: len(w)] == w:
            return Relation.CHILD
        if w[: len(h)] == h:
            return Relation.PARENT
        shared = next(n for n in range(min(len(w), len(h)), -1, -1) if w[:n] == h[:n])
        return Relation.SIBLING if shared >= 2 else Relation.COUSIN

    def named(self, title: str, top: str) -> tuple[str, ...] | None:
        """The category an intent's title names under ``top``, if one clearly
        does ("winter coat" names fashion/outerwear/coats; "Pixel 8" none):
        the single best category one of whose names the title's words cover
        exactly, with at least half the title's weight."""
        best = self.search(title, top=top, limit=2, complete=True, fuzzy=False)
        if best and best[0].score >= 0.5 and (len(best) == 1 or best[0].score > best[1].score):
            return tuple(best[0].path.split("/"))
        return None

    def search(
        self,
        text: str,
        *,
        top: str | None = None,
        limit: int = 10,
        complete: bool = False,
        fuzzy: bool = True,
    ) -> list[Suggestion]:
        """Categories for free text (a search or an intent's title), closest
        first. A category scores by the query words its names cover (a name
        counts only when all its words are there, or half when some are;
        typos and word beginnings count a little less unless ``fuzzy`` is
        off); ties go to the shallower path, then the path's order. ``top``
        keeps one top level; ``complete`` keeps only categories one of
        whose names the text covers entirely."""
        query = _query(text)
        if not query:
            return []
        total = sum(w for _, w in query)
        words = {q for q, _ in query}
        candidates: set[tuple[str, ...]] = set()
        for q, _ in query:
            candidates.update(self._by_token.get(q, ()))
            if fuzzy:
                for token, paths in self._by_token.items():
                    if _close(q, token):
                        candidates.update(paths)
        out: list[tuple[float, int, str]] = []
        for path in candidates:
            if top is not None and path[0] != top:
                continue
            best = 0.0
            whole = False
            for name in self._name_tokens[path]:
                if complete and not fuzzy and not words.issuperset(name):
                    continue
                covered: dict[int, float] = {}
                full = True
                for term in name:
                    at, hit = _hit(term, query, fuzzy=fuzzy)
                    full = full and hit > 0
                    if hit > covered.get(at, 0.0):
                        covered[at] = hit
                share = sum(h * query[at][1] for at, h in covered.items()) / total
                # Longer names fully covered are more specific: "bike helmet"
                # beats "bike" for "helmet for my bike".
                score = share if full else share / 2
                if score > best:
                    best, whole = score, full
            if best > 0 and (whole or not complete):
                out.append((best, len(path), "/".join(path)))
        out.sort(key=lambda s: (-s[0], s[1], s[2]))
        return [Suggestion(path, round(min(score, 1.0), 3)) for score, _, path in out[:limit]]


#: Weight of query words after "for" ("charger for my laptop" is a charger).
_PURPOSE: Final = 0.3


def _query(text: str) -> list[tuple[str, float]]:
    """The words of a search with their weights (after "for": less)."""
    out: list[tuple[str, float]] = []
    weight = 1.0
    for w in _WORD.findall(text.casefold().replace("'s", "")):
        if w == "for":
            weight = _PURPOSE
        if w not in FILLER:
            term = canonical(stem(w))
            if all(term != t for t, _ in out):
                out.append((term, weight))
    return out


def _close(q: str, term: str) -> float:
    """0.9 if ``q`` is a typo of ``term``, 0.8 if it is the word's beginning
    (three letters at least), else 0."""
    if q == term:
        return 0.0
    if len(q) >= 4 and len(term) >= 5 and q[0] == term[0] and fuzz.ratio(q, term) >= 85:
        return 0.9
    return 0.8 if len(q) >= 3 and term.startswith(q) else 0.0


def _hit(term: str, query: Sequence[tuple[str, float]], *, fuzzy: bool) -> tuple[int, float]:
    """Which query word has one word of a name, and how well: 1 exact, else
    (``fuzzy``) 0.9 a typo, 0.8 the word's beginning."""
    best, at = 0.0, -1
    for n, (q, _) in enumerate(query):
        if q == term:
            return n, 1.0
        if fuzzy:
            close = _close(q, term)
            if close > best:
                best, at = close, n
    return at, best


def parse_taxonomy(text: str) -> Taxonomy:
    """The tree from its text (the format of ``taxonomy.txt``). Raises
    ValueError naming the line of a path the protocol would refuse."""
    categories: list[Category] = []
    for n, whole in enumerate(text.splitlines(), 1):
        line = whole.strip()
        if not line or line.startswith("#"):
            continue
        raw, _, names = line.partition(":")
        try:
            path = category_path("category", raw.strip().split("/"))
        except InvalidMessage as exc:
            raise ValueError(f"taxonomy.txt:{n}: {exc}") from None
        own = [path[-1].replace("-", " ")]
        own += [x.strip() for x in names.split(",") if x.strip()]
        categories.append(Category(path, tuple(own)))
    return Taxonomy(categories)


def _load() -> Taxonomy:
    data = pkgutil.get_data(__package__ or "intentcast.matching", "taxonomy.txt")
    if data is None:  # pragma: no cover - only a broken installation
        raise RuntimeError("intentcast/matching/taxonomy.txt is missing from the package")
    return parse_taxonomy(data.decode("utf-8"))


#: The shipped taxonomy.
TAXONOMY: Final = _load()
