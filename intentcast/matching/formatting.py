"""Plain-language formatting of money and dates for explanations.

Pure: dates are computed from Unix seconds by calendar arithmetic, without
consulting a clock or time zone database (always UTC).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

# ISO 4217 minor-unit exponents that differ from the usual 2.
_ZERO: Final = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE: Final = "BHD IQD JOD KWD LYD OMR TND"
_FOUR: Final = "CLF UYW"
_EXPONENTS: Final = {
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (2 for EUR, 0 for JPY)."""
    return _EXPONENTS.get(currency, 2)


def format_money(amount: int, currency: str) -> str:
    """``49900, "EUR"`` -> ``"499.00 EUR"``; ``500, "JPY"`` -> ``"500 JPY"``."""
    digits = minor_unit_exponent(currency)
    if digits == 0:
        return f"{amount} {currency}"
    whole, fraction = divmod(amount, 10**digits)
    return f"{whole}.{fraction:0{digits}d} {currency}"


def format_date(seconds: int) -> str:
    """Unix seconds -> ``"2026-11-25 14:00 UTC"``."""
    days, rest = divmod(seconds, 86_400)
    year, month, day = _civil_from_days(days)
    return f"{year:04d}-{month:02d}-{day:02d} {rest // 3600:02d}:{rest % 3600 // 60:02d} UTC"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    # Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def format_duration(seconds: int) -> str:
    """A rough human duration: ``"3 days"``, ``"5 hours"``, ``"20 minutes"``."""
    seconds = max(seconds, 0)
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "under a minute"


def join_list(values: Iterable[str], *, limit: int = 6) -> str:
    """``a, b and c``; long lists end with ``and N more``."""
    items = list(values)
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
