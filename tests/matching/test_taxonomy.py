"""The shipped category taxonomy: its file, lookups, relations, search,
and how categories count when an intent is matched to a catalog."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import pytest

from intentcast.matching import CatalogError, parse_catalog
from intentcast.matching.analysis import item_analysis
from intentcast.matching.match import match_intent
from intentcast.matching.relevance import assess_relevance
from intentcast.matching.taxonomy import (
    TAXONOMY,
    Relation,
    UnknownCategory,
    parse_taxonomy,
)
from intentcast.protocol.vocab import CATEGORIES

from .builders import NOW, intent

ROOT = Path(__file__).resolve().parents[2]


def test_every_protocol_top_level_is_in_the_tree_and_the_file_ships_with_the_package() -> None:
    assert all((top,) in TAXONOMY for top in CATEGORIES)
    assert pkgutil.get_data("intentcast.matching", "taxonomy.txt")
    assert "matching/taxonomy.txt" in (ROOT / "pyproject.toml").read_text()
    assert len(TAXONOMY) > 150


def test_a_child_before_its_parent_or_a_bad_slug_is_refused() -> None:
    with pytest.raises(ValueError, match="before its parent"):
        parse_taxonomy("home/furniture/sofas\nhome\n")
    with pytest.raises(ValueError, match=r"taxonomy\.txt:2"):
        parse_taxonomy("home\nhome/Big Sofas\n")
    with pytest.raises(ValueError, match="listed twice"):
        parse_taxonomy("home\nhome\n")


def test_every_catalog_in_the_repository_uses_taxonomy_categories() -> None:
    files = [*ROOT.glob("examples/**/*.toml"), *ROOT.glob("benchmarks/data/**/*.catalog.toml")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text()
        if "[[item]]" in text:
            parse_catalog(text, source=path.name)  # raises on an unknown category
        for found in re.findall(r'^category\s*=\s*"([^"]+)"', text, re.MULTILINE):
            assert tuple(found.split("/")) in TAXONOMY, (path, found)


@pytest.mark.parametrize(
    ("wanted", "have", "relation"),
    [
        ("electronics/phones", "electronics/phones", Relation.SAME),
        ("electronics", "electronics/phones", Relation.CHILD),
        ("electronics/phones/android", "electronics/phones", Relation.PARENT),
        ("fashion/outerwear/jackets", "fashion/outerwear/coats", Relation.SIBLING),
        ("fashion/women/dresses", "fashion/shoes/boots", Relation.COUSIN),
        ("electronics/phones", "home/kitchen", Relation.OTHER),
        # Another shop's naming is read by its last level's name.
        ("fashion/dresses", "fashion/women/dresses", Relation.SAME),
        ("home/home-garden", "home/garden/tools", Relation.CHILD),
    ],
)
def test_relations(wanted: str, have: str, relation: Relation) -> None:
    assert TAXONOMY.relation(wanted.split("/"), have.split("/")) is relation


def test_unknown_paths_resolve_to_the_category_their_name_means() -> None:
    assert TAXONOMY.resolve(("fashion", "dresses")) == ("fashion", "women", "dresses")
    assert TAXONOMY.resolve(("home", "home-garden", "planters")) == ("home", "garden", "planters")
    # Ambiguous (men's and women's jeans) or unknown: the deepest known ancestor.
    assert TAXONOMY.resolve(("fashion", "jeans")) == ("fashion",)
    assert TAXONOMY.resolve(("electronics", "zzz")) == ("electronics",)


def test_an_unknown_category_names_the_closest_known_ones() -> None:
    with pytest.raises(UnknownCategory) as caught:
        TAXONOMY.check(("electronics", "headphone"))
    assert caught.value.closest[0] == "electronics/audio/headphones"
    assert "unknown category 'electronics/headphone'; closest: electronics/audio/headphones" in (
        str(caught.value)
    )


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("couch", "home/furniture/sofas"),
        ("helmet for my bike", "sports/cycling/helmets"),
        ("bike helmet", "sports/cycling/helmets"),
        ("hedphones", "electronics/audio/headphones"),  # a typo
        ("head", "electronics/audio/headphones"),  # a word's beginning
        ("winter coat", "fashion/outerwear/coats"),
        ("used iphone 13 128gb", "electronics/phones/iphone"),
        ("lego", "toys/building"),
    ],
)
def test_search_puts_the_closest_category_first(text: str, first: str) -> None:
    found = TAXONOMY.search(text)
    assert found and found[0].path == first
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_a_catalog_with_an_unknown_category_gets_a_named_error() -> None:
    text = (
        '[shop]\nname = "S"\ncurrency = "EUR"\nships_to = ["DE"]\npayment_modes = ["prepay"]\n'
        '[[item]]\nsku = "a"\ncategory = "home/sofas"\ntitle = "Sofa"\nprice = 1\nstock = 1\n'
    )
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, source="shop.toml")
    assert caught.value.line == 6  # the item's [[item]] line
    assert "unknown category 'home/sofas'; closest: home/furniture/sofas" in caught.value.problem


def _catalog(*items: tuple[str, str, str]) -> str:
    text = (
        '[shop]\nname = "S"\ncurrency = "EUR"\nships_to = ["DE"]\n'
        'payment_modes = ["prepay"]\ncustomer_terms = ["cc:no-tracking"]\n'
    )
    for sku, category, title in items:
        text += (
            f'[[item]]\nsku = "{sku}"\ncategory = "{category}"\ntitle = "{title}"\n'
            "price = 100\nstock = 5\n"
        )
    return text


def test_category_path_segments_are_not_item_words() -> None:
    shop = parse_catalog(
        _catalog(("rake", "home/garden/tools", "Steel rake")), source="garden.toml"
    )
    terms = item_analysis(shop.items[0]).terms
    assert "garden" not in terms and "home" not in terms
    # "garden hose" is not a rake, though the rake sits under home/garden.
    hose = intent(title="garden hose", category=("home", "garden"), attributes={})
    assert match_intent(hose, shop, now=NOW) == ()


def test_a_sibling_category_counts_lower_and_says_so() -> None:
    shop = parse_catalog(
        _catalog(("coat", "fashion/outerwear/coats", "Wool winter coat")), source="c.toml"
    )
    same = intent(title="wool winter coat", category=("fashion", "outerwear", "coats"),
                  attributes={}).message  # fmt: skip
    sibling = intent(title="wool winter coat", category=("fashion", "outerwear", "jackets"),
                     attributes={}).message  # fmt: skip
    a, b = assess_relevance(same, shop.items[0]), assess_relevance(sibling, shop.items[0])
    assert a.relevant and b.relevant and b.score < a.score
    assert (
        "category fashion/outerwear/coats is a sibling of fashion/outerwear/jackets"
        in (b.reasons[0])
    )
    # Another shop's naming reads as the taxonomy's category, at full score.
    other = intent(title="wool winter coat", category=("fashion", "coats"), attributes={}).message
    c = assess_relevance(other, shop.items[0])
    assert c.score == a.score
    assert "(read as fashion/outerwear/coats)" in c.reasons[0]


def test_a_near_category_is_offered_when_the_title_names_it_even_if_an_in_line_item_fits() -> None:
    shop = parse_catalog(
        _catalog(
            ("coat", "fashion/outerwear/coats", "Wool winter coat"),
            ("jacket", "fashion/outerwear/jackets", "Rain jacket"),
            ("case", "electronics/accessories/cases", "Case for Pixel 8"),
            ("px8", "electronics/phones", "Google Pixel 8"),
        ),
        source="c.toml",
    )
    coat = intent(title="winter coat", category=("fashion", "outerwear", "jackets"),
                  attributes={})  # fmt: skip
    assert "coat" in [d.item.sku for d in match_intent(coat, shop, now=NOW)]
    # "Pixel 8" names no category: under accessories it gets the case, not the phone.
    px8 = intent(title="Pixel 8 case", category=("electronics", "accessories"), attributes={})
    assert [d.item.sku for d in match_intent(px8, shop, now=NOW)] == ["case"]
