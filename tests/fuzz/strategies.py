"""Hypothesis strategies for structured fuzz input: TOML and JSON values
of any shape, and edits of a document's structure."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

#: Text without surrogates (they cannot be written to a UTF-8 file).
texts = st.text(st.characters(codec="utf-8"), max_size=30)
#: Values a hand-written file holds where a field is expected, odd ones included.
odd_scalars = st.sampled_from(
    ["", " ", "EUR", "DE", "*", "prepay", "electronics/phones", "1e999999", "NaN", "-1", "0"]
)
numbers = st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, 1, -1, 2**53, 10**15 + 1])


def toml_values(*, max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any value a TOML document can hold."""
    scalars = (
        st.booleans()
        | numbers
        | st.floats()
        | texts
        | odd_scalars
        | st.dates()
        | st.times()
        | st.datetimes(min_value=datetime.datetime(1, 1, 1))
    )
    keys = st.text(st.characters(codec="utf-8", exclude_characters="\x7f"), min_size=1, max_size=8)
    return st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4),
        max_leaves=max_leaves,
    )


def json_values(*, max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any value JSON can carry (big integers and non-finite floats too:
    Python's json reads them)."""
    scalars = (
        st.none() | st.booleans() | numbers | st.integers() | st.floats() | texts | odd_scalars
    )
    return st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(texts, kids, max_size=4),
        max_leaves=max_leaves,
    )


@st.composite
def edited_tree(
    draw: st.DrawFn, tree: dict[str, Any], values: st.SearchStrategy[Any]
) -> dict[str, Any]:
    """``tree`` (a parsed document) with 1-3 edits: a value anywhere replaced
    by one from ``values``, a key dropped, or an unknown key added."""
    out: dict[str, Any] = _copy(tree)
    for _ in range(draw(st.integers(1, 3))):
        if not out:
            break  # every key dropped: nothing left to edit
        parent, name = draw(_places(out))
        op = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if op == "replace" or (op == "drop" and isinstance(parent, list)):
            parent[name] = draw(values)
        elif op == "drop":
            del parent[name]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _places(tree: Any) -> st.SearchStrategy[tuple[Any, Any]]:
    """Every (container, key or index) in ``tree``."""
    places: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for name, child in list(items):
            places.append((node, name))
            if isinstance(child, dict | list) and child:
                walk(child)

    walk(tree)
    return st.sampled_from(places)
