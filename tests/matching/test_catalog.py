"""The TOML catalog: the examples parse, prices follow tiers, and every
malformed catalog fails with the file, line or item, and what is wrong."""

from __future__ import annotations

import pytest

from intentcast.matching import CatalogError, parse_catalog

from .builders import CATALOGS

GOOD = """
[shop]
name = "Test Shop"
currency = "EUR"
ships_to = ["DE"]
payment_modes = ["prepay"]

[[item]]
sku = "a"
category = ["electronics", "phones"]
title = "Pixel 8"
price = 50000
stock = 3
"""


def parse(text: str):
    return parse_catalog(text, source="shop.toml")


def test_example_catalogs_parse() -> None:
    paths = sorted(CATALOGS.glob("*.toml"))
    assert paths, "examples/catalogs/ should hold example catalogs"
    for path in paths:
        catalog = parse_catalog(path.read_text(), source=path.name)
        assert catalog.items and catalog.name


def test_shop_defaults_apply_and_items_override_them() -> None:
    catalog = parse(GOOD + '\n[[item]]\nsku = "b"\ncategory = "electronics/phones"\n'
                    'title = "x"\nprice = 1\nstock = 1\nships_to = ["*"]\n')  # fmt: skip
    first, second = catalog.items
    assert first.ships_to == ("DE",) and second.ships_to == ("*",)
    assert second.category == ("electronics", "phones")
    assert first.offer_valid_hours == 48 and first.delivery_days == 0


def test_tier_prices_and_name_your_price_floor() -> None:
    catalog = parse_catalog((CATALOGS / "kiez-phones.toml").read_text(), source="kiez-phones.toml")
    charger = next(i for i in catalog.items if i.sku == "usbc-30w")
    assert [charger.unit_price(q) for q in (1, 4, 5, 19, 20, 500)] == [
        1900, 1900, 1500, 1500, 1200, 1200
    ]  # fmt: skip
    assert charger.total_price(5) == 7500
    refurbished = next(i for i in catalog.items if i.sku == "px8-256-ref")
    assert refurbished.total_floor(2) == 84_000
    assert "name-your-price" in refurbished.payment_modes
    assert charger.floor is None and "name-your-price" not in charger.payment_modes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("price = 50000", "price = 499.0"), "shop.toml:8: item 1 (sku 'a'): price: must be"),
        (("price = 50000", 'price = "cheap"'), "item 1 (sku 'a'): price: must be a whole number"),
        (('title = "Pixel 8"', "colour = 1"), "item 1 (sku 'a'): unknown key 'colour'"),
        (('title = "Pixel 8"', ""), "item 1 (sku 'a'): missing 'title'"),
        (('currency = "EUR"', 'currency = "EURO"'), "'EURO' is not an ISO 4217 code"),
        (('ships_to = ["DE"]', 'ships_to = ["Germany"]'), "ships_to: 'Germany' is neither"),
        (('["electronics", "phones"]', '["gadgets"]'), "category: top level 'gadgets' is not"),
        (("stock = 3", "stock = 3\nfloor = 60000"), "floor: 60000 is above the lowest unit"),
        (('["prepay"]', '["prepay", "name-your-price"]'), "set floor (the lowest unit price"),
        (('["prepay"]', '["barter"]'), "payment_modes: 'barter' is not one of"),
        (('name = "Test Shop"', ""), "shop.toml:2: [shop]: name: must be text"),
        (("stock = 3", "stock = 3\nattributes = { weight_kg = 1.5 }"), "put the unit in the name"),
        (("stock = 3", "stock = 3\ntiers = [{ min_quantity = 1, price = 1 }]"), "min_quantity"),
        (("[shop]", "[shop]\nfoo = 1"), "[shop]: unknown key 'foo'"),
        (("[[item]]", "[[items]]"), "unknown top-level key 'items'"),
    ],
)
def test_malformed_catalogs_say_where_and_what(change, message) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(CatalogError) as info:
        parse(GOOD.replace(old, new, 1))
    assert message in str(info.value)
    assert str(info.value).startswith("shop.toml")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('currency = "EUR"', 'currency = ["EUR"]'),
        ('currency = "EUR"', "currency = { code = 1 }"),
        ("stock = 3", 'stock = 3\ncurrency = ["EUR"]'),
        ("stock = 3", "stock = 3\nkeywords = " + "[" * 2_000 + "]" * 2_000),
        ("stock = 3", "stock = 3\nattributes = " + "{ a = " * 2_000 + "1" + " }" * 2_000),
        ("stock = 3", "stock = " + "3" * 5_000),
    ],
)
def test_values_of_any_shape_are_catalog_errors_not_crashes(old: str, new: str) -> None:
    """Found by fuzzing (docs/security.md): a list or table as the currency
    raised TypeError (unhashable), deep nesting RecursionError, a number of
    5,000 digits ValueError (tomllib lets int()'s digit limit through); a
    vendor node starting on such a file showed a traceback instead."""
    with pytest.raises(CatalogError) as info:
        parse(GOOD.replace(old, new, 1))
    assert str(info.value).startswith("shop.toml")


def test_toml_syntax_error_names_the_line() -> None:
    with pytest.raises(CatalogError) as info:
        parse(GOOD.replace("stock = 3", "stock = = 3"))
    assert info.value.line == 13
    assert str(info.value).startswith("shop.toml:13: not valid TOML")


def test_duplicate_sku_names_both_items() -> None:
    with pytest.raises(CatalogError, match=r"shop.toml:14: item 2 \(sku 'a'\): sku repeats item 1"):
        parse(GOOD + GOOD[GOOD.index("[[item]]") :])


def test_a_catalog_needs_items() -> None:
    with pytest.raises(CatalogError, match="no items"):
        parse(GOOD[: GOOD.index("[[item]]")])


def test_an_item_too_large_for_an_offer_is_refused_at_parse_time() -> None:
    # Every field within its own bound, but together (2,000 three-byte
    # characters and 32 long attributes) over what receivers accept.
    attributes = ", ".join(f'a{n} = "{"x" * 100}"' for n in range(32))
    item = f'title = "Pixel 8"\ndescription = "{"€" * 2000}"\nattributes = {{ {attributes} }}'
    with pytest.raises(CatalogError, match=r"item 1 \(sku 'a'\): an offer for this item would be"):
        parse(GOOD.replace('title = "Pixel 8"', item))
    fits = f'title = "Pixel 8"\ndescription = "{"€" * 2000}"'
    assert parse(GOOD.replace('title = "Pixel 8"', fits)).items[0].description == "€" * 2000
