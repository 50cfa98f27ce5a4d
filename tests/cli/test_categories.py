"""``intentcast categories [SEARCH]`` and the category check of ``intent
post`` (both run before any daemon is reached)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from click.testing import CliRunner

from intentcast.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_categories_lists_the_tree_indented() -> None:
    code, out = run("categories")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("electronics")
    assert "  electronics/phones  (phone, smartphone" in out
    assert "    home/furniture/sofas  (sofa, couch, settee)" in out


def test_categories_search_puts_the_closest_first() -> None:
    code, out = run("categories", "couch")
    assert code == 0 and out.splitlines()[0].split() == ["home/furniture/sofas", "1.00"]
    code, out = run("categories", "--json", "helmet", "for", "my", "bike")
    found = json.loads(out)
    assert found[0] == {"path": "sports/cycling/helmets", "score": 1.0}
    assert all(a["score"] >= b["score"] for a, b in itertools.pairwise(found))


def test_categories_search_with_no_match_says_so() -> None:
    code, out = run("categories", "qqqqzz")
    assert code == 1 and "no category matches 'qqqqzz'" in out


def test_intent_post_without_a_category_suggests_one_from_the_title(tmp_path: Path) -> None:
    code, out = run("intent", "post", "--home", str(tmp_path), "--title", "comfy couch",
                    "--max-price", "500", "--currency", "EUR", "--region", "DE")  # fmt: skip
    assert code == 1
    assert "--category is missing; closest: home/furniture/sofas" in out
    assert "Post again with --category home/furniture/sofas" in out


def test_intent_post_with_an_unknown_category_names_the_closest(tmp_path: Path) -> None:
    code, out = run("intent", "post", "--home", str(tmp_path), "--title", "Pixel 8",
                    "--category", "electronics/smartphones", "--max-price", "500")  # fmt: skip
    assert code == 1
    assert "--category 'electronics/smartphones' is not in the taxonomy; closest: " in out
    assert "electronics/phones" in out
