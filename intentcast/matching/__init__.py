"""Matching: pure code on both sides of the market.

Customer side: :func:`rank_offers` ranks received offers against the
intent's hard terms and soft preferences and :func:`explain` says why, in
plain words. Vendor side: :func:`parse_catalog` reads a shop's TOML catalog
and :func:`match_intent` drafts offers that meet every hard term of an
intent. No I/O, no clock: ``now`` is an argument. Rules and formulas:
``docs/matching.md``.
"""

from .catalog import Catalog, CatalogError, CatalogItem, PriceTier, parse_catalog
from .constraints import (
    Constraint,
    Violation,
    effective_price,
    find_violations,
    ships_to_region,
)
from .explain import explain
from .match import OfferDraft, match_intent
from .ranking import (
    Breakdown,
    RankedOffer,
    RankedOffers,
    Ranking,
    RejectedOffer,
    rank_offers,
    weight_shares,
)
from .relevance import Relevance, assess_relevance
from .reputation import (
    PRIOR_RATING,
    PRIOR_WEIGHT,
    OwnRecord,
    RatingSummary,
    Reputation,
    VerifiedRating,
    Weighting,
    bayesian_rating,
    describe_reputation,
    meets_minimum,
    summarise,
)

__all__ = [
    "PRIOR_RATING",
    "PRIOR_WEIGHT",
    "Breakdown",
    "Catalog",
    "CatalogError",
    "CatalogItem",
    "Constraint",
    "OfferDraft",
    "OwnRecord",
    "PriceTier",
    "RankedOffer",
    "RankedOffers",
    "Ranking",
    "RatingSummary",
    "RejectedOffer",
    "Relevance",
    "Reputation",
    "VerifiedRating",
    "Violation",
    "Weighting",
    "assess_relevance",
    "bayesian_rating",
    "describe_reputation",
    "effective_price",
    "explain",
    "find_violations",
    "match_intent",
    "meets_minimum",
    "parse_catalog",
    "rank_offers",
    "ships_to_region",
    "summarise",
    "weight_shares",
]
