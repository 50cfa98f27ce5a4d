"""A request body as its model (:mod:`.models`), or :class:`BadDraft`
naming the field in words a person reads: the API's one error shape for
every bad body."""

from __future__ import annotations

import re
from typing import Final, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import BadDraft
from .models import REQUIRED_TEXT, TEXT

M = TypeVar("M", bound=BaseModel)

# --- validation -----------------------------------------------------------------------


#: What a constraint means, per field, for messages a person reads.
_MEANING: Final = {
    "lifetime_days": "must be a positive number of days, at most 30",
    "terms.deliver_within_days": "must be a positive number of days, at most 3650",
    "terms.deliver_by": "must be a Unix time in seconds",
    "terms.max_price": "give minor units (59990) or an amount string ('599.90')",
    "terms.min_stars": "must be a number of stars (0 to 5)",
    "terms.region": "must be a country code (DE) or a geohash of 1-5 characters",
    "category": "'electronics/phones' or a list of names",
    "price": "give minor units (59990) or an amount string ('599.90')",
}

#: Steps of an error's location that name a type pydantic tried, not a field.
_TYPE_STEP: Final = re.compile(r"str|int|bool|float|none|.*\[.*")


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if not _TYPE_STEP.fullmatch(str(p)))


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:
        return "a value too long to show"
    return text if len(text) <= 40 else text[:37] + "..."


def validate(model: type[M], body: object) -> M:
    """``body`` as ``model``, or :class:`BadDraft` naming the first bad field
    (unknown fields together: ``terms: unknown fields shipping``)."""
    if not isinstance(body, dict):
        raise BadDraft("the body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    unknown: dict[str, list[str]] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            *parent, name = e["loc"]
            unknown.setdefault(_where(tuple(parent)), []).append(str(name))
    if unknown:
        where, names = next(iter(unknown.items()))
        what = "unknown criteria" if where == "preferences" else "unknown fields"
        raise BadDraft(f"{where + ': ' if where else ''}{what} {', '.join(sorted(names))}")
    e = errors[0]
    where = _where(tuple(e["loc"]))
    if e["type"] == "missing":
        raise BadDraft(f"{where}: required")
    meaning = _MEANING.get(where)
    if meaning is None:
        msg = str(e["msg"])
        if e["type"] == "string_pattern_mismatch":
            pattern = str((e.get("ctx") or {}).get("pattern"))
            msg = {
                TEXT: "contains control characters",
                REQUIRED_TEXT: "must not be empty, nor hold control characters",
            }.get(pattern, "is not of the documented form (see /openapi.json)")
        meaning = f"{_shown(e.get('input'))}: {msg[0].lower()}{msg[1:]}"
    raise BadDraft(f"{where}: {meaning}" if where else meaning)


__all__ = ["validate"]
