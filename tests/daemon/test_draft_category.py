"""An intent draft posted through the local API must use a category of the
shared taxonomy; the network itself still takes paths we do not know."""

from __future__ import annotations

import pytest

from intentcast.daemon.api import BadDraft, intent_fields
from intentcast.protocol import validate
from tests.matching.builders import NO_WORK, NOW, intent

TERMS = {"max_price": "599.90", "currency": "EUR", "region": "DE"}


def test_a_draft_with_an_unknown_category_names_the_closest_known_ones() -> None:
    draft = {"category": "electronics/smartphones", "title": "Pixel 8", "terms": TERMS}
    with pytest.raises(BadDraft, match=r"category: unknown category 'electronics/smartphones'; "
                       r"closest: electronics/phones"):  # fmt: skip
        intent_fields(draft, now=NOW)
    draft["category"] = ["electronics", "phones", "android"]
    assert intent_fields(draft, now=NOW)["category"] == ("electronics", "phones", "android")


def test_the_protocol_still_accepts_a_category_the_taxonomy_does_not_know() -> None:
    signed = intent(category=("electronics", "holo-projectors"), title="hologram projector")
    verdict = validate(signed.raw, now=NOW, params=NO_WORK)
    assert verdict.accepted, verdict
