"""What an attached vendor bot sends the local API (``intentcast vendor
attach``): attach requests and answers of any shape are refused with the
API's errors, never a 500 (the inputs of findings 18 and 19 are kept as
tests)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from fuzz import api_json
from fuzz.harness import run_input

from .budget import examples, reproduce
from .strategies import json_values

ATTACH = {"name": "Ada's Cables", "categories": ["electronics"], "handler_timeout": 5}


def as_input(kind: int, body: object) -> bytes:
    return bytes([kind]) + json.dumps(body).encode()


@examples(80)
@given(
    st.fixed_dictionaries(
        {}, optional={k: json_values(max_leaves=4) for k in (*ATTACH, "session")}
    ),
)
def test_an_attach_request_of_any_shape_is_refused_or_attaches_a_valid_bot(
    body: dict[str, object],
) -> None:
    run_input(api_json, as_input(api_json.ATTACH, {**ATTACH, **body}))


@examples(80)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "offers": st.lists(st.text(max_size=12) | json_values(max_leaves=2), max_size=3),
            "confirm": json_values(max_leaves=2),
            "text": json_values(max_leaves=2),
        },
    )
)
def test_a_bot_answer_of_any_shape_is_refused_or_read(body: dict[str, object]) -> None:
    run_input(api_json, as_input(api_json.ANSWER, body))


def test_an_attach_with_a_list_among_its_categories_is_refused() -> None:
    """Finding 18: ``TypeError: unhashable type`` (a 500)."""
    reproduce(api_json, as_input(api_json.ATTACH, {**ATTACH, "categories": [["electronics"]]}))


def test_a_session_that_is_not_ascii_is_refused() -> None:
    """Finding 19: ``compare_digest`` refuses non-ASCII text with a TypeError (a 500)."""
    reproduce(api_json, as_input(api_json.ATTACH, {**ATTACH, "session": "café"}))
