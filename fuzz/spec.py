"""An independent reading of the body rules in ``docs/protocol.md`` (section
4 and the conventions above section 1), used as the oracle "what
``validate`` accepts is valid".

It works on the decoded msgpack values, not on the protocol's dataclasses,
and shares only data with the implementation (the vocabularies: ISO code
lists, categories, payment modes). It checks what the document says and
nothing more: the implementation may be stricter; it must not be looser.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Final

from intentcast.protocol.vocab import (
    CATEGORIES,
    COUNTRIES,
    CURRENCIES,
    DISCLOSURE_FIELDS,
    PAYMENT_MODES,
)

MIN_TIME: Final = 1_577_836_800
MAX_TIME: Final = 7_258_118_400
DAY: Final = 86_400
SLUG: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
ATTRIBUTE_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
TERM_ID: Final = re.compile(r"[a-z0-9]{1,16}:[a-z0-9][a-z0-9-]{0,47}")
GEOHASH: Final = re.compile(r"[0123456789bcdefghjkmnpqrstuvwxyz]{1,5}")

Rule = Callable[[object], str | None]


def _int(lo: int, hi: int) -> Rule:
    def rule(v: object) -> str | None:
        if type(v) is not int:
            return "not an integer"
        return None if lo <= v <= hi else f"{v} outside {lo}..{hi}"

    return rule


TIME: Final = _int(MIN_TIME, MAX_TIME)


def _text(n: int, *, not_blank: bool = False) -> Rule:
    def rule(v: object) -> str | None:
        if type(v) is not str:
            return "not text"
        if len(v) > n:
            return f"over {n} characters"
        if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in v):
            return "a control character"
        if not_blank and (not v or v.isspace()):
            return "blank"
        return None

    return rule


def _bytes(n: int) -> Rule:
    def rule(v: object) -> str | None:
        return None if type(v) is bytes and len(v) == n else f"not bytes({n})"

    return rule


def _box(most: int) -> Rule:
    def rule(v: object) -> str | None:
        return None if type(v) is bytes and 1 <= len(v) <= most else f"not a box of 1..{most}"

    return rule


def _member(values: frozenset[str] | tuple[str, ...]) -> Rule:
    def rule(v: object) -> str | None:
        return None if type(v) is str and v in values else f"{v!r} not in the vocabulary"

    return rule


def _is_region(v: object) -> bool:
    return type(v) is str and (v in COUNTRIES or GEOHASH.fullmatch(v) is not None)


def _set(item: Callable[[object], bool], *, least: int = 0, most: int = 1 << 30) -> Rule:
    def rule(v: object) -> str | None:
        if type(v) is not tuple or not all(type(x) is str for x in v):
            return "not an array of text"
        encoded = [x.encode() for x in v]
        if encoded != sorted(set(encoded)):
            return "a set not sorted or with duplicates"
        if not least <= len(v) <= most:
            return f"{len(v)} entries, not {least}..{most}"
        bad = [x for x in v if not item(x)]
        return f"entry {bad[0]!r}" if bad else None

    return rule


def _nullable(rule: Rule) -> Rule:
    def nullable(v: object) -> str | None:
        return None if v is None else rule(v)

    return nullable


def _attributes(*, ranges: bool) -> Rule:
    def rule(v: object) -> str | None:
        if type(v) is not dict or len(v) > 32:
            return "not a map of at most 32 entries"
        for key, value in v.items():
            if type(key) is not str or ATTRIBUTE_KEY.fullmatch(key) is None:
                return f"key {key!r}"
            if type(value) is bool:
                continue
            if type(value) is int:
                if not -(2**53) <= value <= 2**53:
                    return f"{key}: integer out of range"
            elif type(value) is str:
                if _text(128)(value):
                    return f"{key}: {_text(128)(value)}"
            elif ranges and type(value) is tuple and len(value) == 2:
                lo, hi = value
                if not (type(lo) is int and type(hi) is int and -(2**53) <= lo <= hi <= 2**53):
                    return f"{key}: bad range"
            else:
                return f"{key}: a {type(value).__name__}"
        return None

    return rule


def _map(rules: Mapping[str, Rule]) -> Rule:
    def rule(v: object) -> str | None:
        if type(v) is not dict:
            return "not a map"
        if list(v) != sorted(rules, key=str.encode):
            return f"keys {sorted(map(str, v))} instead of {sorted(rules)}"
        for key, check in rules.items():
            problem = check(v[key])
            if problem:
                return f"{key}: {problem}"
        return None

    return rule


def _category(v: object) -> str | None:
    if type(v) is not tuple or not 1 <= len(v) <= 4:
        return "not an array of 1-4 levels"
    if v[0] not in CATEGORIES:
        return "top level not a category"
    bad = [x for x in v[1:] if type(x) is not str or SLUG.fullmatch(x) is None]
    return f"level {bad[0]!r}" if bad else None


def _weights(v: object) -> str | None:
    names = ("attributes", "price", "reputation", "speed", "terms")
    problem = _map(dict.fromkeys(names, _int(0, 100)))(v)
    if problem:
        return problem
    assert isinstance(v, dict)
    return None if any(v.values()) else "every weight is 0"


_MODE = _member(frozenset(PAYMENT_MODES))
_TERMS = _map(
    {
        "by": _nullable(TIME),
        "cc": _set(lambda x: TERM_ID.fullmatch(str(x)) is not None, most=16),
        "cur": _member(frozenset(CURRENCIES)),
        "max": _int(0, 10**15),
        "pay": _set(lambda x: x in PAYMENT_MODES, least=1),
        "rating": _int(0, 500),
        "region": lambda v: None if _is_region(v) else "not a region",
    }
)
_SHIPS = _set(lambda x: x == "*" or _is_region(x), least=1, most=64)
_ID = _bytes(32)
_NONCE = _bytes(8)

BODIES: Final[dict[str, dict[str, Rule]]] = {
    "intent": {
        "cat": _category,
        "title": _text(120, not_blank=True),
        "desc": _text(2000),
        "attrs": _attributes(ranges=True),
        "qty": _int(1, 1_000_000),
        "terms": _TERMS,
        "prefs": _weights,
        "reply": _ID,
        "created": TIME,
        "expires": TIME,
        "rev": _int(0, 1000),
        "pow": _NONCE,
    },
    "withdraw": {
        "intent": _ID,
        "created": TIME,
        "expires": TIME,
        "reason": _text(500),
        "pow": _NONCE,
    },
    "offer": {
        "intent": _ID,
        "vendor": _ID,
        "name": _text(64, not_blank=True),
        "item": _map(
            {
                "title": _text(120, not_blank=True),
                "desc": _text(2000),
                "attrs": _attributes(ranges=False),
                "sku": _text(64),
            }
        ),
        "qty": _int(1, 1_000_000),
        "price": _int(0, 10**15),
        "cur": _member(frozenset(CURRENCIES)),
        "by": TIME,
        "ships": _SHIPS,
        "cc": _set(lambda x: TERM_ID.fullmatch(str(x)) is not None, most=32),
        "pay": _set(lambda x: x in PAYMENT_MODES, least=1),
        "floor": _nullable(_int(0, 10**15)),
        "reply": _ID,
        "created": TIME,
        "until": TIME,
    },
    "sealed-offer": {
        "intent": _ID,
        "box": _box(8_240),
        "created": TIME,
        "expires": TIME,
        "pow": _NONCE,
    },
    "accept": {
        "intent": _ID,
        "offer": _ID,
        "pay": _MODE,
        "price": _int(0, 10**15),
        "disclose": lambda v: (
            "not a map"
            if type(v) is not dict
            else next(
                (
                    f"{k!r}"
                    for k, x in v.items()
                    if k not in DISCLOSURE_FIELDS or _text(500)(x) is not None
                ),
                None if list(v) == sorted(v, key=str.encode) else "keys out of order",
            )
        ),
        "created": TIME,
    },
    "confirm": {
        "accept": _ID,
        "offer": _ID,
        "intent": _ID,
        "created": TIME,
        "note": _text(500),
        "receipt": _nullable(_box(512)),
    },
    "receipt": {"deal": _ID, "intent": _ID, "rater": _ID, "created": TIME},
    "rating": {
        "receipt": _box(512),
        "stars": _int(0, 500),
        "described": _nullable(_int(0, 500)),
        "ontime": _nullable(_int(0, 500)),
        "comms": _nullable(_int(0, 500)),
        "text": _text(280),
        "created": TIME,
        "expires": TIME,
        "pow": _NONCE,
    },
    "rating-reply": {
        "deal": _ID,
        "vendor": _ID,
        "text": _text(500, not_blank=True),
        "created": TIME,
        "expires": TIME,
        "pow": _NONCE,
    },
    "decline": {"accept": _ID, "offer": _ID, "intent": _ID, "created": TIME, "reason": _text(500)},
    "sealed-deal": {
        "to": _ID,
        "box": _box(4_144),
        "created": TIME,
        "expires": TIME,
        "pow": _NONCE,
    },
    "deal-message": {
        "deal": _ID,
        "seq": _int(0, 2**32 - 1),
        "created": TIME,
        "type": _member(("cancel", "delivered", "other", "return", "shipped", "status")),
        "text": _text(500),
        "re": _nullable(_ID),
    },
    "profile-update": {
        "deal": _ID,
        "seq": _int(0, 2**32 - 1),
        "created": TIME,
        "field": _member(DISCLOSURE_FIELDS),
        "value": _nullable(_text(500, not_blank=True)),
    },
    "forget": {"deal": _ID, "seq": _int(0, 2**32 - 1), "created": TIME, "reason": _text(500)},
    "deal-ack": {
        "deal": _ID,
        "seq": _int(0, 2**32 - 1),
        "created": TIME,
        "of": _ID,
        "fields": _set(lambda x: x in DISCLOSURE_FIELDS),
        "deleted": _nullable(TIME),
    },
    "vendor-profile": {
        "vendor": _ID,
        "name": _text(64, not_blank=True),
        "cats": _set(lambda x: x in CATEGORIES),
        "ships": _SHIPS,
        "reply": _ID,
        "desc": _text(2000),
        "url": _text(200),
        "created": TIME,
        "expires": TIME,
        "pow": _NONCE,
    },
}

#: Kinds whose body names the key that must sign them (section 8, step 10).
SIGNER_KEY: Final = {
    "withdraw": "intent",
    "offer": "vendor",
    "vendor-profile": "vendor",
    "rating-reply": "vendor",
}


def violations(kind: str, body: Any, *, signer: bytes, now: int, gossip: bool) -> list[str]:
    """What ``body`` (decoded, arrays as tuples) breaks of the document's
    rules for ``kind``, including the time checks of validation at ``now``
    (the gossip layer adds expiry). Empty: the document allows it."""
    problem = _map(BODIES[kind])(body)
    if problem:
        return [problem]
    out = []
    created = body["created"]
    if created > now + 300:
        out.append("created in the future beyond the clock skew")
    end = body.get("expires", body.get("until"))
    lifetime_bound = kind in ("intent", "offer", "vendor-profile")
    if lifetime_bound and end is not None and not created < end <= created + 30 * DAY:
        out.append("lifetime not in (0, 30 days]")
    if kind in ("rating", "rating-reply") and not created < end <= created + 366 * DAY:
        out.append("lifetime not in (0, 366 days]")
    if gossip and body["expires"] <= now:
        out.append("expired")
    if kind == "intent":
        by = body["terms"]["by"]
        if by is not None and by < created:
            out.append("terms.by before created")
    if kind == "offer":
        nyp = "name-your-price" in body["pay"]
        floor = body["floor"]
        if nyp != (floor is not None) or (floor is not None and floor > body["price"]):
            out.append("floor not set exactly with name-your-price, or above the price")
    if kind == "deal-ack" and body["deleted"] is not None and body["deleted"] > created:
        out.append("deleted after the statement was made")
    if kind in SIGNER_KEY and body[SIGNER_KEY[kind]] != signer:
        out.append("not signed by the key it names")
    return out
