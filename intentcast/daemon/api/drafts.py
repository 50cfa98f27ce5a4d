"""Reading intent drafts (flags or TOML/JSON files) and disclosures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from intentcast.matching.formatting import minor_unit_exponent
from intentcast.matching.taxonomy import TAXONOMY, UnknownCategory
from intentcast.protocol import (
    Intent,
    Preferences,
)
from intentcast.protocol import Terms as ProtocolTerms
from intentcast.protocol.fields import DAY

from .bodies import validate
from .errors import BadDraft
from .models import IntentChanges, IntentDraft

_DRAFT_KEYS: Final = frozenset(
    {
        "category",
        "title",
        "description",
        "attributes",
        "quantity",
        "terms",
        "preferences",
        "lifetime_days",
    }
)
_TERMS_KEYS: Final = frozenset(
    {
        "max_price",
        "currency",
        "region",
        "deliver_by",
        "deliver_within_days",
        "customer_terms",
        "payment_modes",
        "min_stars",
    }
)


#: Longest amount string read (a price needs a few dozen characters at most).
_MAX_AMOUNT_TEXT: Final = 64


def _money(value: object, currency: str, name: str = "terms.max_price") -> int:
    """Minor units from an integer (already minor units) or a decimal string
    in major units (``"599.90"``)."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            amount = Decimal(text) if len(text) <= _MAX_AMOUNT_TEXT else None
        except InvalidOperation:
            amount = None
        # Not a number, or NaN, Infinity, or an exponent no price has.
        if amount is None or not amount.is_finite() or abs(amount.adjusted()) > 30:
            raise BadDraft(f"{name}: {value[:40]!r} is not an amount") from None
        if amount < 0:
            raise BadDraft(f"{name}: {value[:40]!r} is negative; give 0 or more")
        minor = amount.scaleb(minor_unit_exponent(currency))
        if minor != minor.to_integral_value():
            raise BadDraft(f"{name}: {value[:40]!r} has too many decimals for {currency}")
        return int(minor)
    raise BadDraft(f"{name}: give minor units (59990) or an amount string ('599.90')")


def money(value: object, currency: str, name: str) -> int:
    """Minor units of ``currency`` from minor units or an amount string;
    :class:`BadDraft` naming ``name`` otherwise."""
    return _money(value, currency, name)


def _number(name: str, value: object) -> float:
    """A positive number of days, at most ten years (NaN, infinities and
    integers too large for a float are refused, not raised)."""
    if type(value) is int and not 0 < value <= 3650:
        raise BadDraft(f"{name}: must be a positive number of days, at most 3650")
    if type(value) not in (int, float) or not 0 < float(value) <= 3650:  # type: ignore[arg-type]
        raise BadDraft(f"{name}: must be a positive number of days, at most 3650")
    return float(value)  # type: ignore[arg-type]


def _terms(body: Mapping[str, Any], now: int, current: ProtocolTerms | None) -> ProtocolTerms:
    unknown = set(body) - _TERMS_KEYS
    if unknown:
        raise BadDraft(f"terms: unknown fields {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = (
        {}
        if current is None
        else {
            "max_price": current.max_price,
            "currency": current.currency,
            "region": current.region,
            "deliver_by": current.deliver_by,
            "customer_terms": current.customer_terms,
            "payment_modes": current.payment_modes,
            "min_rating": current.min_rating,
        }
    )
    currency = body.get("currency", fields.get("currency"))
    if not isinstance(currency, str):
        raise BadDraft("terms.currency: required, an ISO 4217 code such as EUR")
    currency = currency.upper()  # "eur" is EUR
    fields["currency"] = currency
    if "max_price" in body:
        fields["max_price"] = _money(body["max_price"], currency)
    if "region" in body:
        fields["region"] = body["region"]
    if "deliver_by" in body:
        fields["deliver_by"] = body["deliver_by"]
    if "deliver_within_days" in body:
        days = _number("terms.deliver_within_days", body["deliver_within_days"])
        fields["deliver_by"] = now + int(days * DAY)
    for name in ("customer_terms", "payment_modes"):
        if name in body:
            value = body[name]
            if not isinstance(value, list | tuple):
                raise BadDraft(f"terms.{name}: must be a list")
            fields[name] = tuple(value)
    if "min_stars" in body:
        stars = body["min_stars"]
        if type(stars) not in (int, float) or not 0 <= stars <= 5:
            raise BadDraft("terms.min_stars: must be a number of stars (0 to 5)")
        fields["min_rating"] = round(float(stars) * 100)
    for required in ("max_price", "region"):
        if required not in fields:
            raise BadDraft(f"terms.{required}: required")
    return ProtocolTerms(**fields)


def intent_fields(body: object, *, now: int, current: Intent | None = None) -> dict[str, Any]:
    """Keyword arguments for ``Node.post_intent`` (``current`` None) or
    ``Node.amend`` (the changes to ``current``) from a JSON draft.

    Raises :class:`BadDraft` or :class:`~intentcast.protocol.InvalidMessage`."""
    if not isinstance(body, dict):
        raise BadDraft("the body must be a JSON object (an intent draft)")
    # The declared types first (models.IntentDraft, the OpenAPI schema's source).
    validate(IntentDraft if current is None else IntentChanges, body)
    unknown = set(body) - _DRAFT_KEYS
    if unknown:
        raise BadDraft(f"unknown fields {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    if "category" in body:
        cat = body["category"]
        if isinstance(cat, str):
            out["category"] = tuple(cat.split("/"))
        elif isinstance(cat, list) and all(isinstance(c, str) for c in cat):
            out["category"] = tuple(cat)
        else:
            raise BadDraft("category: 'electronics/phones' or a list of names")
        try:
            # Our own intents use the shared taxonomy (the network still
            # takes paths we do not know: a newer node may know more).
            TAXONOMY.check(out["category"])
        except UnknownCategory as exc:
            raise BadDraft(f"category: {exc}") from None
    if "attributes" in body and not isinstance(body["attributes"], dict):
        raise BadDraft("attributes: must be an object of names to values")
    for name in ("title", "description", "attributes", "quantity"):
        if name in body:
            out[name] = body[name]
    if "attributes" in out:
        # A range [a, b] is the whole numbers between a and b, either way round.
        out["attributes"] = {
            k: sorted(v) if isinstance(v, list) and len(v) == 2 else v
            for k, v in out["attributes"].items()
        }
    if "terms" in body or current is None:
        terms = body.get("terms")
        if not isinstance(terms, dict):
            raise BadDraft("terms: required, an object with max_price, currency, region")
        out["terms"] = _terms(terms, now, None if current is None else current.terms)
    if "preferences" in body:
        prefs = body["preferences"]
        if not isinstance(prefs, dict):
            raise BadDraft("preferences: must be an object of weights")
        base = Preferences() if current is None else current.preferences
        unknown = set(prefs) - set(base.as_dict())
        if unknown:
            raise BadDraft(f"preferences: unknown criteria {', '.join(sorted(unknown))}")
        out["preferences"] = replace(base, **prefs)
    if "lifetime_days" in body:
        days = _number("lifetime_days", body["lifetime_days"])
        if current is None:
            out["lifetime"] = int(days * DAY)
        else:
            out["expires"] = now + int(days * DAY)
    if current is None:
        for required in ("category", "title"):
            if required not in out:
                raise BadDraft(f"{required}: required")
    elif not out:
        raise BadDraft("nothing to change: give at least one field")
    return out


# --- handlers -------------------------------------------------------------------


def disclosure_for(body: Mapping[str, Any], profile: Mapping[str, str]) -> dict[str, str]:
    """What an accept discloses: ``disclose`` names fields (taken from the
    home's ``[profile]``) or gives ``name=value``; raises :class:`BadDraft`."""
    raw = body.get("disclose", [])
    items: list[tuple[str, str | None]] = []
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        for entry in raw:
            name, sep, value = entry.partition("=")
            items.append((name.strip(), value if sep else None))
    else:
        raise BadDraft("disclose: a list of names (contact, shipping) or an object of values")
    out: dict[str, str] = {}
    for name, given in items:
        value = given
        if value is None:
            if name not in profile:
                raise BadDraft(
                    f'disclose: nothing to send for {name!r}: add {name} = "..." under '
                    f"[profile] in config.toml, or give {name}=VALUE"
                )
            value = profile[name]
        if not isinstance(value, str):
            raise BadDraft(f"disclose: the value of {name!r} must be a string")
        out[name] = value
    return out
