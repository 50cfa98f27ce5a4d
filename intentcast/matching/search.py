"""Relevance as a shop search does it: the query, an inverted index, scoring.

Text is analysed the same way on both sides (:mod:`.analysis`).

An intent's title becomes *concepts* (:func:`parse_query`): each a word
with its alternatives (synonyms, related terms, a typo's closest catalog
word), or a quantity. Each concept weighs its inverse document frequency in
the catalog (BM25's idf), so the word that tells items apart (a model
number, a size, "pro") weighs most; an unknown plain word ("university")
weighs little, an unknown number or size weighs most. An item's *coverage*
is the weighted share of concepts it has.

:class:`CatalogIndex` keeps postings (word -> items) and quantities per
dimension, so an intent only looks at items that share a heavy concept
with it (MaxScore pruning: items that can only match light concepts cannot
reach the threshold and are never scored).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from rapidfuzz import fuzz, process

from . import lexicon
from .analysis import (
    CANONICALS,
    FILLER,
    INCH,
    NUMBER,
    PART,
    RELATED,
    TOLERANCE,
    Analysis,
    Quantity,
    canonical,
    item_analysis,
    quantity,
    segments,
    stem,
)

if TYPE_CHECKING:
    from .catalog import CatalogItem

#: Coverage an item needs to be relevant.
THRESHOLD: Final = 0.7
#: Weight of an intent word after "for" ("charger for my laptop").
QUERY_PURPOSE: Final = 0.3
#: Weight of an unknown plain word (in no item, not a number).
UNKNOWN_WORD: Final = 0.3
#: A typo's closest catalog word counts this much (rapidfuzz ratio >= FUZZY_CUTOFF).
FUZZY: Final = 0.9
FUZZY_CUTOFF: Final = 80.0
_MONEY: Final = re.compile(
    rf"[€$£]\s*{NUMBER}|{NUMBER}\s*(?:€|\$|£|eur\b|euros?\b|usd\b|dollars?\b"
    r"|gbp\b|pounds?\b|chf\b|bucks\b)"
)
_BUDGET: Final = re.compile(
    r"\b(?:under|below|max(?:imum)?|up to|upto|less than|budget(?: of)?|at most|no more than)"
    rf"\s+({NUMBER})(?!\s*[a-z\"])"
)
_WITHIN: Final = re.compile(r"\b(?:within|in)\s+\d+\s*(?:days?|weeks?|hours?|h)\b")


# --- the query side --------------------------------------------------------


@dataclass(slots=True)
class Concept:
    """One thing an intent's title asks for: a word with alternatives (term
    -> how much it counts), or a quantity."""

    label: str
    alternatives: dict[str, float] = field(default_factory=dict)
    #: Terms an item must all have to match when the joined word is missing.
    parts: tuple[str, ...] = ()
    quantity: Quantity | None = None
    #: Multiplies the concept's weight (words after "for" count less).
    emphasis: float = 1.0
    weight: float = 0.0


def _strip_terms(title: str) -> str:
    text = INCH.sub(r"\1 inch ", title.casefold())
    text = _MONEY.sub(" ", text)
    text = _BUDGET.sub(" ", text)
    return _WITHIN.sub(" ", text)


def parse_query(title: str, vocabulary: Mapping[str, object]) -> list[Concept]:
    """The concepts of an intent title, against a catalog's vocabulary (for
    joining split words and correcting typos). Budget and delivery wording
    ("under 500 eur", "within 3 days", "by friday") is dropped."""
    concepts: list[Concept] = []
    for raw in segments(_strip_terms(title)):
        emphasis = 1.0
        words: list[tuple[str, list[str]]] = []
        skip = False
        for n, word in enumerate(raw):
            if skip:
                skip = False
                continue
            if word == "for":
                emphasis = QUERY_PURPOSE
            if word in FILLER:
                words.append(("", []))
                continue
            parts = PART.findall(word)
            if len(parts) == 2 and parts[0][0].isdigit() and (q := quantity(*parts)):
                concepts.append(Concept(word, quantity=q, emphasis=emphasis))
                words.append(("", []))
                continue
            if len(parts) == 1 and word[0].isdigit() and n + 1 < len(raw):
                q = quantity(word, raw[n + 1])
                if q is not None:
                    concepts.append(Concept(f"{word} {raw[n + 1]}", quantity=q, emphasis=emphasis))
                    words.append(("", []))
                    skip = True
                    continue
            words.append((word, parts))
        # Join neighbours the lexicon or the catalog knows as one word.
        n = 0
        while n < len(words):
            word, parts = words[n]
            if not word:
                n += 1
                continue
            if n + 1 < len(words) and words[n + 1][0]:
                nxt, nparts = words[n + 1]
                joined = canonical(stem("".join(parts) + "".join(nparts)))
                split_known = all(
                    canonical(stem(p)) in vocabulary for p in (*parts, *nparts) if p not in FILLER
                )
                if (
                    joined in RELATED
                    or joined in CANONICALS
                    or (joined in vocabulary and not split_known)
                ):
                    concept = Concept(f"{word} {nxt}", {joined: 1.0}, emphasis=emphasis)
                    concept.parts = tuple(canonical(stem(p)) for p in (*parts, *nparts))
                    concepts.append(concept)
                    n += 2
                    continue
            whole = canonical(stem("".join(parts)))
            if len(parts) > 1 and whole not in vocabulary and whole not in CANONICALS:
                concepts += [
                    Concept(p, {canonical(stem(p)): 1.0}, emphasis=emphasis)
                    for p in parts
                    if p not in FILLER
                ]
            else:
                concepts.append(Concept(word, {whole: 1.0}, emphasis=emphasis))
            n += 1
    for c in concepts:
        if c.quantity is None:
            for term in list(c.alternatives):
                for related in RELATED.get(term, ()):
                    c.alternatives.setdefault(related, lexicon.RELATED_WEIGHT)
    return concepts


# --- the index --------------------------------------------------------------


def idf(df: int, n: int) -> float:
    """BM25's inverse document frequency of a term in ``df`` of ``n`` items."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class CatalogIndex:
    """An in-memory inverted index of a catalog's items."""

    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self.items = tuple(items)
        self.analyses = [item_analysis(item) for item in self.items]
        self.postings: dict[str, list[int]] = {}
        quantities: dict[str, list[tuple[float, int]]] = {}
        self.by_category: dict[tuple[str, ...], list[int]] = {}
        for n, (item, a) in enumerate(zip(self.items, self.analyses, strict=True)):
            for term in a.terms:
                self.postings.setdefault(term, []).append(n)
            for q in a.quantities:
                quantities.setdefault(q.dimension, []).append((q.value, n))
            for depth in range(1, len(item.category) + 1):
                self.by_category.setdefault(item.category[:depth], []).append(n)
        self.quantities = {d: sorted(v) for d, v in quantities.items()}
        self._quantity_keys = {d: [v for v, _ in vs] for d, vs in self.quantities.items()}
        self._fuzzy_vocabulary: list[str] | None = None

    @property
    def size(self) -> int:
        return len(self.items)

    def fuzzy_vocabulary(self) -> list[str]:
        if self._fuzzy_vocabulary is None:
            self._fuzzy_vocabulary = sorted(t for t in self.postings if len(t) >= 3 and t.isalpha())
        return self._fuzzy_vocabulary

    def quantity_items(self, q: Quantity) -> list[int]:
        """Items stating a quantity equal to ``q`` (within the tolerance)."""
        keys = self._quantity_keys.get(q.dimension)
        if not keys:
            return []
        lo = bisect.bisect_left(keys, q.value * (1 - TOLERANCE))
        hi = bisect.bisect_right(keys, q.value * (1 + TOLERANCE))
        return [n for _, n in self.quantities[q.dimension][lo:hi]]

    def prepare(self, title: str) -> list[Concept]:
        """The title's concepts with typo corrections and idf weights."""
        concepts = parse_query(title, self.postings)
        n = max(self.size, 1)
        for c in concepts:
            if c.quantity is not None:
                c.weight = idf(len(self.quantity_items(c.quantity)), n) * c.emphasis
                continue
            known = [t for t in c.alternatives if t in self.postings]
            if not known and not c.parts and c.label.isalpha() and len(c.label) >= 4:
                (term,) = c.alternatives
                found = process.extractOne(
                    term, self.fuzzy_vocabulary(), scorer=fuzz.ratio,
                    score_cutoff=FUZZY_CUTOFF if len(term) < 6 else FUZZY_CUTOFF - 5,
                )  # fmt: skip
                if found is not None and found[0][0] == term[0]:
                    c.alternatives[found[0]] = FUZZY
                    known = [found[0]]
            if known:
                df = max(len(self.postings[t]) for t in known)
                c.weight = idf(df, n) * c.emphasis
            elif c.parts and all(p in self.postings for p in c.parts):
                df = min(len(self.postings[p]) for p in c.parts)
                c.weight = idf(df, n) * c.emphasis
            elif any(ch.isdigit() for ch in c.label):
                c.weight = idf(0, n) * c.emphasis  # an unknown model number or size
            else:
                c.weight = UNKNOWN_WORD * c.emphasis
        return concepts

    def candidates(self, concepts: Sequence[Concept]) -> set[int]:
        """Items that may reach the threshold: those sharing at least one
        concept with the heaviest concepts whose weight the rest cannot
        make up for (MaxScore)."""
        total = sum(c.weight for c in concepts)
        needed = THRESHOLD * total
        rest = total
        out: set[int] = set()
        for c in sorted(concepts, key=lambda c: -c.weight):
            if rest < needed - 1e-9:
                break
            rest -= c.weight
            if c.quantity is not None:
                out.update(self.quantity_items(c.quantity))
                continue
            for term in c.alternatives:
                out.update(self.postings.get(term, ()))
            if c.parts:
                lists = [self.postings.get(p, []) for p in c.parts]
                out.update(set.intersection(*(set(x) for x in lists)) if lists else ())
        return out


def concept_score(c: Concept, a: Analysis) -> float:
    """How much of concept ``c`` item analysis ``a`` has (0..1)."""
    if c.quantity is not None:
        return 1.0 if any(c.quantity.equals(q) for q in a.quantities) else 0.0
    best = 0.0
    terms = a.terms
    for term, factor in c.alternatives.items():
        have = terms.get(term)
        if have is not None and have * factor > best:
            best = have * factor
    if best < 1.0 and c.parts and all(p in terms for p in c.parts):  # the words split
        best = max(best, sum(terms[p] for p in c.parts) / len(c.parts))
    return best


def coverage(concepts: Iterable[Concept], a: Analysis) -> tuple[float, list[str], list[str]]:
    """(weighted share of the concepts ``a`` has, labels found, labels missing)."""
    total = got = 0.0
    found: list[str] = []
    missing: list[str] = []
    for c in concepts:
        s = concept_score(c, a)
        total += c.weight
        got += c.weight * s
        (found if s >= 0.5 else missing).append(c.label)
    return (got / total if total else 0.0), found, missing
