"""Catalog files of any shape: parse_catalog raises only CatalogError, and
every catalog it accepts drafts offers that sign and validate."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.harness import run_input
from tests.matching.builders import CATALOGS

from .budget import examples
from .mutations import mutated
from .strategies import edited_tree, toml_values
from .toml_writer import document

EXAMPLES = {path.name: path.read_text() for path in sorted(CATALOGS.glob("*.toml"))}
TREES = {name: tomllib.loads(text) for name, text in EXAMPLES.items()}


@examples(60)
@given(st.sampled_from(sorted(TREES)).flatmap(lambda n: edited_tree(TREES[n], toml_values())))
def test_an_edited_catalog_is_a_catalog_error_or_drafts_valid_offers(tree: dict[str, Any]) -> None:
    run_input(catalog, document(tree).encode())


@st.composite
def line_edits(draw: st.DrawFn) -> bytes:
    lines = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "repeat", "move"]))
        line = lines.pop(at) if op != "repeat" else lines[at]
        if op != "drop":
            lines.insert(draw(st.integers(0, len(lines))), line)
    return "\n".join(lines).encode()


@examples(60)
@given(line_edits() | line_edits().flatmap(mutated))
def test_a_catalog_with_lines_moved_or_bytes_changed_never_crashes(data: bytes) -> None:
    run_input(catalog, data)
