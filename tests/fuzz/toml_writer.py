"""Write TOML documents from Python values, to fuzz parsers with documents
of any shape (tomllib reads but does not write)."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    return name if _BARE.fullmatch(name) else json.dumps(name)


def value(v: object) -> str:
    """One TOML value: strings, integers, floats, booleans, dates, arrays
    and inline tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        # JSON escapes are TOML basic-string escapes, except \/ (never
        # produced) and the \uXXXX of a surrogate (kept out by the callers).
        return json.dumps(v)
    if isinstance(v, datetime.date | datetime.time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def document(tables: Mapping[str, object]) -> str:
    """A document: top-level scalars first, then ``[table]`` for maps and
    ``[[table]]`` for lists of maps."""
    lines = [f"{key(k)} = {value(v)}" for k, v in tables.items() if not _is_table(v)]
    for name, v in tables.items():
        if isinstance(v, Mapping):
            lines.append(f"\n[{key(name)}]")
            lines += [f"{key(k)} = {value(x)}" for k, x in v.items()]
        elif _is_table(v):
            assert isinstance(v, list)
            for entry in v:
                lines.append(f"\n[[{key(name)}]]")
                lines += [f"{key(k)} = {value(x)}" for k, x in entry.items()]
    return "\n".join(lines) + "\n"


def _is_table(v: object) -> bool:
    return isinstance(v, Mapping) or (
        isinstance(v, list) and bool(v) and all(isinstance(e, Mapping) for e in v)
    )
