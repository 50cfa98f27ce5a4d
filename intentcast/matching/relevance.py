"""Vendor side: is a catalog item what an intent asks for?

The rule (``docs/matching.md``, "Relevance"), all three must hold:

1. **Category**: one category path is a prefix of the other. An intent for
   ``electronics/phones`` meets items in ``electronics/phones`` and
   ``electronics/phones/android``, and an intent for just ``electronics``
   meets every electronics item, but ``electronics/laptops`` never meets
   ``electronics/phones``.
2. **Attributes**: no conflict. If the item states an attribute the intent
   asks for, its value must match (equal text ignoring case, equal
   integer or boolean, integer inside a wanted range). Attributes the item
   does not state are unknown, not conflicts.
3. **Words**: at least two thirds of the words of the intent's title appear
   among the item's words (title, keywords, category levels, attribute
   values; see :mod:`.words`). "Pixel 8" needs both words, so a Pixel 7
   is not offered; "road bike 56cm" needs three of four. An intent whose
   title has no matchable words relies on its category, which must then
   name a subcategory the item shares.

Among relevant items the score orders drafts: word coverage, then the
share of wanted attributes matched, then category depth shared.
"""

from __future__ import annotations

from dataclasses import dataclass

from intentcast.protocol import Intent

from .attributes import attribute_matches, describe_value
from .catalog import CatalogItem
from .formatting import join_list
from .words import words


@dataclass(frozen=True, kw_only=True, slots=True)
class Relevance:
    """The verdict of the relevance rule for one item and one intent."""

    relevant: bool
    #: Higher is closer; 0 when not relevant. At most 2 plus category depth / 10.
    score: float
    #: Plain-language reasons, for a vendor asking why an item was (not) offered.
    reasons: tuple[str, ...]


def assess_relevance(intent: Intent, item: CatalogItem) -> Relevance:
    """Apply the relevance rule to one item."""
    return assess_with_words(intent, item, words(intent.title))


def assess_with_words(intent: Intent, item: CatalogItem, title_words: frozenset[str]) -> Relevance:
    """:func:`assess_relevance` with the intent's title words computed once
    (``words(intent.title)``) for a whole catalog."""
    wanted_cat, item_cat = intent.category, item.category
    depth = min(len(wanted_cat), len(item_cat))
    if wanted_cat[:depth] != item_cat[:depth]:
        return Relevance(
            relevant=False,
            score=0.0,
            reasons=(f"category {'/'.join(item_cat)} is not {'/'.join(wanted_cat)}",),
        )
    reasons = [f"category {'/'.join(item_cat)} fits {'/'.join(wanted_cat)}"]

    matched: list[str] = []
    for name, value in intent.attributes.items():
        if name not in item.attributes:
            continue
        have = item.attributes[name]
        if not attribute_matches(value, have):
            return Relevance(
                relevant=False,
                score=0.0,
                reasons=(
                    *reasons,
                    f"{name} is {describe_value(have)}, the intent wants {describe_value(value)}",
                ),
            )
        matched.append(name)
    if matched:
        reasons.append(f"attributes {join_list(matched)} match")

    if title_words:
        hits = title_words & item.words
        coverage = len(hits) / len(title_words)
        found = f"{len(hits)} of {len(title_words)} title words"
        if 3 * len(hits) < 2 * len(title_words):
            missing = join_list(sorted(title_words - hits))
            return Relevance(
                relevant=False, score=0.0, reasons=(*reasons, f"only {found}; missing {missing}")
            )
        reasons.append(f"{found} ({join_list(sorted(hits))})")
    elif len(wanted_cat) > 1 and len(item_cat) >= len(wanted_cat):
        coverage = 1.0
        reasons.append("title has no matchable words; the subcategory decides")
    else:
        return Relevance(
            relevant=False,
            score=0.0,
            reasons=(*reasons, "title has no matchable words and the category is too broad"),
        )
    attr_share = len(matched) / len(intent.attributes) if intent.attributes else 1.0
    return Relevance(
        relevant=True, score=coverage + attr_share + depth / 10, reasons=tuple(reasons)
    )
