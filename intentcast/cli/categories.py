"""``categories [SEARCH]``: the shared category taxonomy, and the check
``intent post`` runs on a draft's category.

The tree is ``intentcast/matching/taxonomy.txt`` (``docs/matching.md``,
"Categories"); this command reads it from the package, no node needed.
"""

from __future__ import annotations

from typing import Any

import click

from intentcast.matching.taxonomy import TAXONOMY, UnknownCategory

from .common import json_option, print_json


@click.command()
@json_option
@click.argument("search", nargs=-1)
@click.option("--limit", type=click.IntRange(1), default=10, help="Most matches shown.")
def categories(as_json: bool, search: tuple[str, ...], limit: int) -> None:
    """List the category tree, or the categories closest to SEARCH.

    SEARCH is free text: a category's name ("headphones"), another word for
    it ("couch"), or what you want ("bike helmet"); closest first.
    """
    text = " ".join(search).strip()
    if not text:
        if as_json:
            print_json([{"path": c.shown, "names": list(c.names[1:])} for c in TAXONOMY])
            return
        for c in TAXONOMY:
            also = f"  ({', '.join(c.names[1:])})" if len(c.names) > 1 else ""
            click.echo(f"{'  ' * (len(c.path) - 1)}{c.shown}{also}")
        return
    found = TAXONOMY.search(text, limit=limit)
    if as_json:
        print_json([{"path": s.path, "score": s.score} for s in found])
        return
    if not found:
        raise click.ClickException(
            f"no category matches {text!r}; `intentcast categories` lists them all"
        )
    for s in found:
        click.echo(f"{s.path:40} {s.score:.2f}")


def check_draft_category(draft: dict[str, Any]) -> None:
    """``intent post``'s hook: a draft without a category, or with one the
    taxonomy does not know, stops here with the categories closest to its
    title (and to the category given), so the user can post again."""
    category = draft.get("category")
    title = draft.get("title")
    if isinstance(category, list) and all(isinstance(c, str) for c in category):
        category = "/".join(category)
    if isinstance(category, str):
        try:
            TAXONOMY.check(category.split("/"))
        except UnknownCategory as exc:
            closest = list(exc.closest)
        else:
            return
        problem = f"--category {category!r} is not in the taxonomy"
    elif category is None:
        closest = []
        problem = "--category is missing"
    else:
        return  # not text: the daemon's draft check names the problem
    if isinstance(title, str):
        by_title = [s.path for s in TAXONOMY.search(title, limit=3)]
        closest = [*by_title, *(c for c in closest if c not in by_title)]
    if not closest:
        raise click.ClickException(f"{problem}; `intentcast categories SEARCH` finds one")
    raise click.ClickException(
        f"{problem}; closest: {', '.join(closest[:4])}. Post again with --category {closest[0]}"
    )
