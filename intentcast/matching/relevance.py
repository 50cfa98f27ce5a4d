"""Vendor side: is a catalog item what an intent asks for?

The rule (``docs/matching.md``, "Relevance"):

1. **Category**: the item's category path and the intent's are in line (one
   is a prefix of the other), or, as a fallback when no such item is
   relevant, they share the top level (a sibling or cousin category) at a
   lower score. Another top level never matches.
2. **Attributes**: no conflict. Values are read by type on both sides
   (``"256 GB"`` = ``storage_gb = 256``, ``"yes"`` = ``true``); an
   attribute the intent asks for that the item does not state is unknown:
   it lowers the score and is named in the reasons.
3. **Words**: the item covers at least :data:`~.search.THRESHOLD` of the
   title's weighted concepts (:mod:`.search`: stemming, synonyms, typos,
   quantities with units, idf weights). A title without matchable words
   relies on its category, which must then name a subcategory the item
   shares.

The score that orders drafts: coverage (times the unknown-attribute and
category factors) + share of wanted attributes matched + category depth
shared / 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from intentcast.protocol import Intent

from .analysis import Analysis, item_analysis
from .attributes import UNKNOWN_CREDIT, check_attribute
from .catalog import CatalogItem
from .formatting import join_list
from .search import THRESHOLD, CatalogIndex, Concept, coverage
from .taxonomy import CATEGORY_FACTOR, TAXONOMY, Relation

#: Each wanted attribute the item does not state takes this share of its
#: weight off the coverage (all unknown: coverage halved).
UNKNOWN_ATTRIBUTE: Final = 1 - UNKNOWN_CREDIT


@dataclass(frozen=True, kw_only=True, slots=True)
class Relevance:
    """The verdict of the relevance rule for one item and one intent."""

    relevant: bool
    #: Higher is closer; 0 when not relevant. At most 2 plus category depth / 10.
    score: float
    #: Plain-language reasons, for a vendor asking why an item was (not) offered.
    reasons: tuple[str, ...]
    #: True when the item's category is only near the intent's (same top level).
    near_category: bool = False


def assess_relevance(
    intent: Intent, item: CatalogItem, *, index: CatalogIndex | None = None
) -> Relevance:
    """Apply the relevance rule to one item. Pass the catalog's ``index``
    (``catalog.index``) for the weights match_intent uses; without it the
    item is weighed as a catalog of its own."""
    index = index or CatalogIndex((item,))
    named = TAXONOMY.named(intent.title, intent.category[0])
    return assess(intent, item, item_analysis(item), index.prepare(intent.title), named=named)


def category_relation(wanted: Sequence[str], have: Sequence[str]) -> Relation:
    """How an item's category ``have`` stands to the intent's ``wanted``
    in the shipped taxonomy (:meth:`.taxonomy.Taxonomy.relation`)."""
    return TAXONOMY.relation(wanted, have)


_SAID: Final = {
    Relation.SAME: "is {wanted}",
    Relation.CHILD: "is under {wanted}",
    Relation.PARENT: "is a parent of {wanted} (scored lower)",
    Relation.SIBLING: "is a sibling of {wanted} (scored lower)",
    Relation.COUSIN: "shares only the top level with {wanted} (scored lower)",
}


def assess(
    intent: Intent,
    item: CatalogItem,
    analysis: Analysis,
    concepts: Sequence[Concept],
    *,
    named: Sequence[str] | None = None,
) -> Relevance:
    """The rule for one item, its analysis and the intent title's concepts.
    ``named`` is the category the title names (:meth:`.taxonomy.Taxonomy.named`):
    an item in it is not only *near* the intent's category."""
    item_cat = item.category
    wanted_cat = TAXONOMY.resolve(intent.category)
    relation = TAXONOMY.relation(wanted_cat, item_cat)
    near = relation in (Relation.SIBLING, Relation.COUSIN)
    title_names_it = (
        near
        and named is not None
        and TAXONOMY.relation(named, item_cat) in (Relation.SAME, Relation.CHILD)
    )
    shown_cat, shown_wanted = "/".join(item_cat), "/".join(intent.category)
    if wanted_cat != intent.category:
        shown_wanted += f" (read as {'/'.join(wanted_cat)})"
    if relation is Relation.OTHER:
        return Relevance(
            relevant=False, score=0.0, reasons=(f"category {shown_cat} is not {shown_wanted}",)
        )
    depth = next(n for n in range(min(len(wanted_cat), len(item_cat)), 0, -1)
                 if wanted_cat[:n] == item_cat[:n])  # fmt: skip
    reasons = [f"category {shown_cat} " + _SAID[relation].format(wanted=shown_wanted)]
    if title_names_it:
        reasons[0] += "; the title names it"

    matched, unknown, conflict = _attributes(intent, item)
    if conflict:
        return Relevance(relevant=False, score=0.0, reasons=(*reasons, conflict))
    if matched:
        reasons.append(f"attributes {join_list(matched)} match")
    if unknown:
        reasons.append(f"does not state {join_list(unknown)} (unknown, scored lower)")

    if concepts:
        share, found, missing = coverage(concepts, analysis)
        n = len(concepts)
        summary = f"{len(found)} of {n} title words"
        reasons.append(
            f"{summary} ({join_list(sorted(found))}; coverage {share:.2f})"
            if found
            else f"only {summary}; missing {join_list(sorted(missing))}"
        )
        if found and missing:
            reasons[-1] = f"only {summary}; missing {join_list(sorted(missing))}" + (
                f" (coverage {share:.2f})"
            )
    elif len(wanted_cat) > 1 and relation in (Relation.SAME, Relation.CHILD):
        share = 1.0
        reasons.append("title has no matchable words; the subcategory decides")
    else:
        return Relevance(
            relevant=False,
            score=0.0,
            reasons=(*reasons, "title has no matchable words and the category is too broad"),
        )
    if intent.attributes:
        share *= 1 - UNKNOWN_ATTRIBUTE * len(unknown) / len(intent.attributes)
    share *= CATEGORY_FACTOR[relation]
    if share < THRESHOLD:
        return Relevance(relevant=False, score=0.0, reasons=(*reasons, "not relevant enough"))
    attr_share = len(matched) / len(intent.attributes) if intent.attributes else 1.0
    return Relevance(
        relevant=True,
        score=share + attr_share + depth / 10,
        reasons=tuple(reasons),
        near_category=near and not title_names_it,
    )


def _attributes(intent: Intent, item: CatalogItem) -> tuple[list[str], list[str], str]:
    """``(matched, unknown, conflict)``: the wanted attributes the item
    states alike and does not state, and the first conflict's reason ("")."""
    matched: list[str] = []
    unknown: list[str] = []
    for name, value in intent.attributes.items():
        check = check_attribute(name, value, item.attributes)
        if check.state == "conflict":
            return matched, unknown, check.describe("the intent wants")
        (matched if check.state == "match" else unknown).append(name)
    return matched, unknown, ""
