"""Field checks shared by every message type, and the size bounds they enforce.

Each check raises :class:`~intentcast.protocol.errors.InvalidMessage` naming
the field; callers never see a bare ``TypeError`` or ``KeyError`` for a
malformed message. Types are checked exactly (``bool`` is not an ``int``
here) because the canonical encoding distinguishes them.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable, Mapping
from typing import Final

from .errors import InvalidMessage
from .vocab import ATTRIBUTE_KEY_RE, WORLDWIDE, is_region

DAY: Final = 86_400

# --- bounds (docs/protocol.md, "Bounds") ---------------------------------
MAX_TITLE: Final = 120
MAX_DESCRIPTION: Final = 2_000
MAX_NAME: Final = 64
MAX_NOTE: Final = 500
MAX_URL: Final = 200
MAX_ATTRIBUTES: Final = 32
MAX_ATTRIBUTE_TEXT: Final = 128
MAX_CATEGORY_DEPTH: Final = 4
MAX_CUSTOMER_TERMS: Final = 16
MAX_REGIONS: Final = 64
MAX_DISCLOSURE_TEXT: Final = 500
MAX_QUANTITY: Final = 1_000_000
MAX_REVISION: Final = 1_000
#: Money is integer minor units; 10**15 cents is far beyond any real deal.
MAX_AMOUNT: Final = 10**15
#: Ratings are hundredths of a star, 0..500 (4.5 stars = 450).
MAX_RATING: Final = 500
MAX_WEIGHT: Final = 100
#: Integers in attributes stay within the range every JSON reader keeps exact.
MAX_ATTRIBUTE_INT: Final = 2**53
#: Times are Unix seconds; reject anything before 2020 or after 2200.
MIN_TIME: Final = 1_577_836_800
MAX_TIME: Final = 7_258_118_400
MAX_LIFETIME: Final = 30 * DAY
KEY_SIZE: Final = 32
ID_SIZE: Final = 32
NONCE_SIZE: Final = 8

#: Attribute values: text, integer, boolean, or an inclusive integer range.
AttributeValue = str | int | bool | tuple[int, int]
Attributes = Mapping[str, AttributeValue]


_SHOW: Final = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = _SHOW.maxlong = 40


def shown(value: object) -> str:
    """``value`` as an error message quotes it: its repr, shortened.

    Never raises: a message must not fail while naming a bad value (Python
    refuses to print an integer of more than 4,300 digits)."""
    try:
        return _SHOW.repr(value)
    except Exception:
        return f"a {type(value).__name__} too large to show"


def text(field: str, value: object, max_len: int, *, required: bool = True) -> str:
    """A string of at most ``max_len`` characters with no control characters
    other than newline and tab."""
    if type(value) is not str:
        raise InvalidMessage(field, f"must be text, not {type(value).__name__}")
    if required and (not value or value.isspace()):
        raise InvalidMessage(field, "must not be empty")
    if len(value) > max_len:
        raise InvalidMessage(field, f"is {len(value)} characters, at most {max_len} allowed")
    if not value.isprintable() and _CONTROL.search(value):
        raise InvalidMessage(field, "contains control characters")
    return value


#: Unicode control characters (category Cc: C0, DEL and C1) but newline and
#: tab. C1 counts too: U+009B is CSI to a terminal, as ESC [ is.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def slug(field: str, value: object, pattern: re.Pattern[str]) -> str:
    if type(value) is not str or pattern.fullmatch(value) is None:
        raise InvalidMessage(field, f"{shown(value)} is not of the form {pattern.pattern}")
    return value


def integer(field: str, value: object, lo: int, hi: int) -> int:
    if type(value) is not int:
        raise InvalidMessage(field, f"must be an integer, not {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidMessage(field, f"{shown(value)} is outside {lo}..{hi}")
    return value


def timestamp(field: str, value: object) -> int:
    return integer(field, value, MIN_TIME, MAX_TIME)


def optional_timestamp(field: str, value: object) -> int | None:
    return None if value is None else timestamp(field, value)


def fixed_bytes(field: str, value: object, size: int) -> bytes:
    if type(value) is not bytes:
        raise InvalidMessage(field, f"must be bytes, not {type(value).__name__}")
    if len(value) != size:
        raise InvalidMessage(field, f"must be {size} bytes, got {len(value)}")
    return value


def lifetime(
    created: int, expires: int, field: str = "expires", *, most: int = MAX_LIFETIME
) -> None:
    """``expires`` lies after ``created`` and at most ``most`` (whole days,
    30 unless a kind says otherwise) later."""
    if expires <= created:
        raise InvalidMessage(field, "must be later than created")
    if expires - created > most:
        raise InvalidMessage(field, f"must be at most {most // DAY} days after created")


def validity(
    created: object, expires: object, field: str = "expires", *, most: int = MAX_LIFETIME
) -> None:
    """A message's ``created`` and ``expires`` (or ``field``): both
    timestamps, checked in that order, and a :func:`lifetime` between them."""
    lifetime(timestamp("created", created), timestamp(field, expires), field, most=most)


def sorted_set(
    field: str, values: object, max_items: int, check: frozenset[str] | re.Pattern[str]
) -> tuple[str, ...]:
    """A set of strings, returned sorted and without duplicates (its canonical
    form). ``check`` is a vocabulary or a pattern every item must match."""
    items = _text_set(field, values)
    if len(items) > max_items:
        raise InvalidMessage(field, f"has {len(items)} entries, at most {max_items} allowed")
    if isinstance(check, frozenset):
        if not check.issuperset(items):
            bad = sorted(set(items) - check)[0]
            raise InvalidMessage(field, f"{shown(bad)} is not one of {sorted(check)}")
    else:
        passed = _MATCHED.setdefault(check, set())
        if not passed.issuperset(items):
            for item in items:
                if check.fullmatch(item) is None:
                    raise InvalidMessage(field, f"{shown(item)} is not of the form {check.pattern}")
            if len(passed) < _MATCHED_MAX:
                passed.update(items)
    return items


#: Per pattern, set items that already matched it (customer term ids repeat
#: across messages, and a regex match costs more than a set lookup). Bounded
#: so a flood of unique ids cannot grow it.
_MATCHED: dict[re.Pattern[str], set[str]] = {}
_MATCHED_MAX: Final = 4096


def _text_set(field: str, values: object) -> tuple[str, ...]:
    """A list of strings as a sorted tuple without duplicates; ``values``
    itself if it already is one (the common case on decode)."""
    if type(values) is tuple and _strictly_sorted_text(values):
        return values
    if type(values) in (tuple, list):
        if not all(type(v) is str for v in values):  # type: ignore[attr-defined]
            raise InvalidMessage(field, "entries must be text")
        return tuple(sorted(set(values)))  # type: ignore[call-overload]
    raise InvalidMessage(field, "must be a list")


def _strictly_sorted_text(values: tuple[object, ...]) -> bool:
    prev = ""
    for i, v in enumerate(values):
        if type(v) is not str or (i and not prev < v):
            return False
        prev = v
    return True


def regions(field: str, values: object, *, allow_worldwide: bool) -> tuple[str, ...]:
    """A set of regions in canonical (sorted) form; ``values`` itself if it
    already is one."""
    items = _text_set(field, values)
    if not items:
        raise InvalidMessage(field, "must name at least one region")
    if len(items) > MAX_REGIONS:
        raise InvalidMessage(field, f"has {len(items)} entries, at most {MAX_REGIONS} allowed")
    for item in items:
        if not (is_region(item) or (allow_worldwide and item == WORLDWIDE)):
            raise InvalidMessage(
                field, f"{shown(item)} is neither a country code (DE) nor a geohash (u33db)"
            )
    return items


def region(field: str, value: object) -> str:
    if type(value) is not str or not is_region(value):
        raise InvalidMessage(
            field, f"{shown(value)} is neither a country code (DE) nor a geohash of 1-5 characters"
        )
    return value


def attributes(field: str, value: object, *, allow_ranges: bool) -> dict[str, AttributeValue]:
    """A bounded map of attribute name to value, returned with its keys sorted
    (the canonical order) and ranges as ``(lo, hi)`` tuples.

    Returns ``value`` itself when it is already canonical (the common case
    when decoding), so callers can tell a normalised map by identity.
    """
    if type(value) is not dict:
        raise InvalidMessage(field, "must be a map")
    if len(value) > MAX_ATTRIBUTES:
        raise InvalidMessage(field, f"has {len(value)} entries, at most {MAX_ATTRIBUTES} allowed")
    if _canonical_attributes(value, allow_ranges):
        return value
    out: dict[str, AttributeValue] = {}
    for key in sorted(value, key=_sort_key):
        name = slug(f"{field} key", key, ATTRIBUTE_KEY_RE)
        out[name] = _attribute_value(f"{field}.{name}", value[key], allow_ranges)
    return out


def _canonical_attributes(value: dict[object, object], allow_ranges: bool) -> bool:
    """Fast check: sorted valid keys and values already in canonical form."""
    match = ATTRIBUTE_KEY_RE.fullmatch
    prev = ""
    for key, v in value.items():
        if type(key) is not str or key <= prev or match(key) is None:
            return False
        prev = key
        if type(v) is str:
            if len(v) > MAX_ATTRIBUTE_TEXT or (not v.isprintable() and _CONTROL.search(v)):
                return False
        elif type(v) is int:
            if not -MAX_ATTRIBUTE_INT <= v <= MAX_ATTRIBUTE_INT:
                return False
        elif type(v) is tuple and allow_ranges:
            if not (
                len(v) == 2
                and type(v[0]) is int
                and type(v[1]) is int
                and -MAX_ATTRIBUTE_INT <= v[0] <= v[1] <= MAX_ATTRIBUTE_INT
            ):
                return False
        elif type(v) is not bool:
            return False
    return True


def _sort_key(key: object) -> str:
    return key if type(key) is str else ""


def _attribute_value(field: str, value: object, allow_ranges: bool) -> AttributeValue:
    kind = type(value)
    if kind is bool:
        return value  # type: ignore[return-value]
    if kind is int:
        return integer(field, value, -MAX_ATTRIBUTE_INT, MAX_ATTRIBUTE_INT)
    if kind is str:
        return text(field, value, MAX_ATTRIBUTE_TEXT, required=False)
    if isinstance(value, tuple | list) and allow_ranges:
        pair: tuple[object, ...] = tuple(value)
        if len(pair) != 2:
            raise InvalidMessage(field, "a range is a pair [low, high]")
        lo = integer(f"{field}[0]", pair[0], -MAX_ATTRIBUTE_INT, MAX_ATTRIBUTE_INT)
        hi = integer(f"{field}[1]", pair[1], -MAX_ATTRIBUTE_INT, MAX_ATTRIBUTE_INT)
        if lo > hi:
            raise InvalidMessage(field, f"range low {lo} is above high {hi}")
        return (lo, hi)
    allowed = "text, integer, boolean" + (" or [low, high]" if allow_ranges else "")
    raise InvalidMessage(field, f"must be {allowed}, not {kind.__name__}")


def _canonical_strings(value: dict[object, object], allowed: frozenset[str], max_len: int) -> bool:
    prev = ""
    for key, v in value.items():
        if type(key) is not str or key <= prev or key not in allowed:
            return False
        if type(v) is not str or not v or v.isspace() or len(v) > max_len:
            return False
        if not v.isprintable() and _CONTROL.search(v):
            return False
        prev = key
    return True


def string_map(field: str, value: object, keys: Iterable[str], max_len: int) -> dict[str, str]:
    """A map from a fixed key vocabulary to bounded text, keys sorted."""
    allowed = frozenset(keys)
    if type(value) is not dict:
        raise InvalidMessage(field, "must be a map")
    if _canonical_strings(value, allowed, max_len):
        return value  # already canonical: the same object, as decoding expects
    out: dict[str, str] = {}
    for key in sorted(value, key=_sort_key):
        if type(key) is not str or key not in allowed:
            raise InvalidMessage(field, f"{shown(key)} is not one of {sorted(allowed)}")
        out[key] = text(f"{field}.{key}", value[key], max_len)
    return out
