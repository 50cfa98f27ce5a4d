"""Money and dates as explanations show them."""

from __future__ import annotations

import pytest

from intentcast.matching.formatting import format_date, format_money, join_list


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (49_900, "EUR", "499.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (0, "USD", "0.00 USD"),
        (500, "JPY", "500 JPY"),
        (1_500, "KWD", "1.500 KWD"),
    ],
)
def test_money_uses_the_currency_minor_unit(amount, currency, shown) -> None:
    assert format_money(amount, currency) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "1970-01-01 00:00 UTC"),
        (951_782_400, "2000-02-29 00:00 UTC"),  # leap day
        (1_800_000_000, "2027-01-15 08:00 UTC"),
        (4_107_542_399, "2100-02-28 23:59 UTC"),  # 2100 is not a leap year
        (4_107_542_400, "2100-03-01 00:00 UTC"),
    ],
)
def test_dates_are_utc_calendar_dates(seconds, shown) -> None:
    assert format_date(seconds) == shown


def test_lists_read_as_prose() -> None:
    assert join_list(["DE"]) == "DE"
    assert join_list(["AT", "CH", "DE"]) == "AT, CH and DE"
    assert join_list([str(n) for n in range(9)], limit=3) == "0, 1, 2 and 6 more"
