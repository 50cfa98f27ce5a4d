"""Vendor-bot settings and offer specs of any shape: a bad value is a
BotError, and the SDK never lets a bot's mistake out of on_intent nor
sends an offer the customer's node refuses (the inputs of findings 14 and
15 are kept as tests)."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import bot_spec
from fuzz.harness import run_input

from .budget import examples, reproduce
from .strategies import odd_scalars

VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | odd_scalars
    | st.lists(odd_scalars | st.integers(0, 10), max_size=3)
    | st.dictionaries(st.sampled_from(["color", "Bad Key", "size"]), odd_scalars, max_size=2)
)
SHOP = {"name": "Kiez Phones", "categories": ["electronics"], "ships_to": ["DE"]}


def pack(config: dict[str, object]) -> bytes:
    packed: bytes = msgpack.packb(config, use_bin_type=True)
    return packed


@examples(100)
@given(
    st.dictionaries(st.sampled_from(bot_spec.BOT_SETTINGS), VALUES, max_size=4),
    st.dictionaries(st.sampled_from(bot_spec.SPEC_FIELDS), VALUES, max_size=4),
)
def test_any_bot_settings_and_spec_are_a_bot_error_or_valid_offers(
    settings: dict[str, object], spec: dict[str, object]
) -> None:
    run_input(bot_spec, pack({"bot": {**SHOP, **settings}, "spec": spec}))


@pytest.mark.parametrize(
    "config",
    [
        {"spec": {"ships_to": 5}},
        {"spec": {"accepts_terms": 5}},
        {"spec": {"attributes": "black"}},
        {"spec": {"payment_modes": [["prepay"]]}},
        {"bot": {"categories": 5}},
        {"bot": {"payment_modes": [["prepay"]]}},
        {"bot": {"delivery_days": "3"}},
        {"bot": {"max_offers_per_intent": "3"}},
    ],
)
def test_a_setting_of_the_wrong_shape_is_a_bot_error(config: dict[str, dict[str, object]]) -> None:
    """Finding 14: each escaped the SDK as a TypeError or ValueError."""
    reproduce(bot_spec, pack({**config, "bot": {**SHOP, **config.get("bot", {})}}))


def test_a_catalog_file_that_is_not_utf8_is_a_bot_error() -> None:
    """Finding 15: a UnicodeDecodeError, not a BotError."""
    reproduce(bot_spec, pack({"catalog": b'[shop]\nname = "Caf\xe9"\n'}))
