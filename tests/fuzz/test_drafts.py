"""Intent drafts, from a file (``intent post --file``) or in an API
request, and the API's other request parsing: only the named errors a user
can act on (ClickException; BadDraft or InvalidMessage, a 400 answer).

The inputs of findings 5-12 (docs/security.md, "Findings") are kept as
tests. A finding reported before its fix is pinned by a strict xfail test
and listed in its target's ``KNOWN`` (``fuzz/``); when the fix lands the
test fails as XPASS: delete the marker and the ``KNOWN`` entry."""

from __future__ import annotations

import datetime
import json
from typing import Any

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import api_json, draft
from fuzz.harness import run_input
from intentcast.cli.intent import _attribute

from .budget import examples, reproduce
from .strategies import edited_tree, json_values, toml_values
from .toml_writer import document

TOML, JSON = b"\x00", b"\x01"
DRAFT: dict[str, Any] = {
    "category": "electronics/phones",
    "title": "Used Pixel 8",
    "description": "Any colour.",
    "attributes": {"storage_gb": [128, 256], "color": "black"},
    "quantity": 1,
    "lifetime_days": 3,
    "terms": {
        "max_price": "599.90",
        "currency": "EUR",
        "region": "DE",
        "deliver_within_days": 5,
        "customer_terms": ["cc:no-tracking"],
        "payment_modes": ["prepay"],
        "min_stars": 4.5,
    },
    "preferences": {"price": 60, "speed": 40},
}


@examples(80)
@given(edited_tree(DRAFT, toml_values()))
def test_a_toml_draft_file_of_any_shape_is_an_error_a_user_can_act_on(tree: dict[str, Any]) -> None:
    run_input(draft, TOML + document(tree).encode())


@examples(80)
@given(edited_tree(DRAFT, json_values()) | json_values())
def test_a_json_draft_of_any_shape_is_an_error_a_user_can_act_on(value: object) -> None:
    body = json.dumps(value).encode()
    run_input(draft, JSON + body)  # from a file, through the CLI
    run_input(api_json, b"\x00" + body)  # straight to the API


@examples(100)
@given(
    st.dictionaries(
        st.sampled_from(["since", "timeout", "x"]),
        st.sampled_from(["0", "-1", "1e309", "inf", "-inf", "2.5", "9" * 30, "", "x"])
        | st.text(max_size=6),
    )
)
def test_the_events_query_string_is_a_bad_request_or_an_answer(params: dict[str, str]) -> None:
    query = "&".join(f"{k}={v}" for k, v in params.items()).encode(errors="surrogateescape")
    run_input(api_json, b"\x01" + query)


def _draft_with(**terms: object) -> bytes:
    return b"\x00" + json.dumps({**DRAFT, "terms": {**DRAFT["terms"], **terms}}).encode()


@pytest.mark.parametrize("amount", ["Infinity", "sNaN", "1e999999", "1e5000"])
def test_an_amount_that_is_not_a_finite_number_is_a_bad_draft(amount: str) -> None:
    """Finding 5: these crashed ``_money``; ``1e999990`` held the event loop for 33 s."""
    reproduce(api_json, _draft_with(max_price=amount))


@pytest.mark.parametrize(
    "body",
    [
        _draft_with(min_stars=float("nan")),
        _draft_with(min_stars=float("inf")),
        _draft_with(min_stars=1e308),
        _draft_with(deliver_within_days=10**400),
        b"\x00" + json.dumps({**DRAFT, "lifetime_days": 10**400}).encode(),
    ],
    ids=["stars-nan", "stars-inf", "stars-1e308", "within-days-1e400", "lifetime-days-1e400"],
)
def test_a_number_out_of_any_range_is_a_bad_draft(body: bytes) -> None:
    """Finding 6: these crashed ``_terms`` and ``_number`` (a 500)."""
    reproduce(api_json, body)


@pytest.mark.parametrize(
    "change", [{"category": 5}, {"category": {"electronics": 1}}, {"attributes": [["a", "b"]]}]
)
def test_a_category_or_attributes_of_the_wrong_type_is_a_bad_draft(change: dict[str, Any]) -> None:
    """Finding 7: these passed the draft checks (a number crashed ``post_intent``)."""
    reproduce(api_json, b"\x00" + json.dumps({**DRAFT, **change}).encode())


def test_a_deeply_nested_request_body_is_a_bad_request() -> None:
    """Finding 8: a RecursionError out of the body reader (a 500)."""
    reproduce(api_json, b"\x00" + b"[" * 100_000)


def test_a_nan_long_poll_timeout_is_a_bad_request() -> None:
    """Finding 9: trio refused the NaN timeout with a ValueError (a 500)."""
    reproduce(api_json, b"\x01since=0&timeout=nan")


@pytest.mark.parametrize(
    "data",
    [
        TOML + b'title = "caf\xe9"\n',  # Latin-1, not UTF-8
        JSON + b"[" * 100_000,
        TOML + b"a = " + b"[" * 100_000,
        TOML + b"terms = 5\n",
        TOML + b'terms = "cheap"\n',
    ],
    ids=["latin-1", "json-nesting", "toml-nesting", "terms-5", "terms-text"],
)
def test_a_broken_draft_file_is_a_one_line_error(data: bytes) -> None:
    """Finding 10: each of these was a traceback from ``intent post --file``."""
    reproduce(draft, data)


@pytest.mark.parametrize(
    "data",
    [
        TOML + document({**DRAFT, "lifetime_days": datetime.date(1979, 5, 27)}).encode(),
        TOML + document({**DRAFT, "terms": {**DRAFT["terms"], "min_stars": float("nan")}}).encode(),
    ],
    ids=["date", "nan"],
)
def test_a_toml_value_json_cannot_carry_is_a_one_line_error(data: bytes) -> None:
    """Finding 11: httpx's JSON encoder refused these inside the CLI's client."""
    reproduce(draft, data)


@pytest.mark.parametrize(
    "text",
    ["size=²", "size=--5", "size=1" + "0" * 5000],
    ids=["superscript", "dashes", "5001-digits"],
)
def test_an_attribute_flag_is_a_value_or_a_bad_parameter(text: str) -> None:
    """Finding 12: ``isdigit()`` said yes, ``int()`` raised."""
    try:
        name, value = _attribute(text)
    except click.BadParameter:
        return
    assert name == "size" and value is not None
