"""The local API's pure parts: intent drafts, amendments, id prefixes.
(The API over HTTP against real daemons: ``tests/cli/test_commands.py``.)"""

from __future__ import annotations

import pytest

from intentcast.daemon.api import Ambiguous, BadDraft, NotFound, intent_fields, resolve
from intentcast.protocol import Intent, InvalidMessage, Preferences, Terms
from intentcast.protocol.fields import DAY

NOW = 1_800_000_000

TERMS: dict[str, object] = {"max_price": "599.90", "currency": "EUR", "region": "DE"}
DRAFT: dict[str, object] = {"category": "electronics/phones", "title": "Pixel 8", "terms": TERMS}


def test_a_draft_becomes_post_intent_arguments() -> None:
    fields = intent_fields(
        {
            **DRAFT,
            "lifetime_days": 2,
            "preferences": {"price": 80},
            "terms": {**TERMS, "deliver_within_days": 5, "min_stars": 4.5},
        },
        now=NOW,
    )
    assert fields["category"] == ("electronics", "phones")
    assert fields["lifetime"] == 2 * DAY
    assert fields["preferences"] == Preferences(price=80)
    terms = fields["terms"]
    assert terms.max_price == 59_990
    assert terms.deliver_by == NOW + 5 * DAY
    assert terms.min_rating == 450


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [("600", "EUR", 60_000), ("0.5", "EUR", 50), (60_000, "EUR", 60_000), ("5000", "JPY", 5000)],
)
def test_money_is_minor_units_or_a_decimal_string(value: object, currency: str, minor: int) -> None:
    draft = {**DRAFT, "terms": {"max_price": value, "currency": currency, "region": "DE"}}
    assert intent_fields(draft, now=NOW)["terms"].max_price == minor


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown fields colour"),
        ({"terms": {"max_price": "1.5", "currency": "JPY", "region": "DE"}}, "too many decimals"),
        ({"terms": {"max_price": "lots", "currency": "EUR", "region": "DE"}}, "not an amount"),
        ({"terms": {"currency": "EUR", "region": "DE"}}, "terms.max_price: required"),
        ({"terms": {**TERMS, "shipping": "fast"}}, "terms: unknown fields shipping"),
        ({"preferences": {"looks": 5}}, "unknown criteria looks"),
        ({"lifetime_days": -1}, "positive number of days"),
    ],
)
def test_bad_drafts_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(BadDraft, match=message):
        intent_fields({**DRAFT, **change}, now=NOW)


def test_protocol_rules_still_apply_to_drafts() -> None:
    draft = {**DRAFT, "terms": {**TERMS, "currency": "XYZ"}}
    with pytest.raises(InvalidMessage, match=r"terms\.currency"):
        intent_fields(draft, now=NOW)


def test_an_amendment_merges_terms_and_keeps_the_rest() -> None:
    current = Intent(
        category=("electronics", "phones"),
        title="Pixel 8",
        terms=Terms(
            max_price=60_000, currency="EUR", region="DE", customer_terms=("cc:no-tracking",)
        ),
        reply_key=bytes(32),
        created=NOW - 10,
        expires=NOW + DAY,
    )
    changes = intent_fields(
        {"terms": {"max_price": "650"}, "lifetime_days": 3}, now=NOW, current=current
    )
    assert set(changes) == {"terms", "expires"}
    assert changes["terms"].max_price == 65_000
    assert changes["terms"].customer_terms == ("cc:no-tracking",)
    assert changes["expires"] == NOW + 3 * DAY
    with pytest.raises(BadDraft, match="nothing to change"):
        intent_fields({}, now=NOW, current=current)


def test_id_prefixes_resolve_only_when_unambiguous() -> None:
    ids = [(bytes.fromhex("abcd01"), "one"), (bytes.fromhex("abcd02"), "two")]
    assert resolve("ABCD01", ids, "offer") == "one"
    with pytest.raises(Ambiguous, match="matches 2 offers; give more digits"):
        resolve("abcd", ids, "offer")
    with pytest.raises(NotFound, match="no offer starts with 'ffff'"):
        resolve("ffff", ids, "offer")
    with pytest.raises(BadDraft, match="at least 4 hex digits"):
        resolve("abc", ids, "offer")
