"""The public surface of intentcast.matching: every exported name exists
and says what it is."""

from __future__ import annotations

from intentcast import matching


def test_every_public_name_exists_and_is_documented() -> None:
    assert len(set(matching.__all__)) == len(matching.__all__)
    undocumented = []
    for name in matching.__all__:
        value = getattr(matching, name)
        if callable(value) and not (getattr(value, "__doc__", None) or "").strip():
            undocumented.append(name)
    assert not undocumented, undocumented


def test_the_main_entry_points_are_exported() -> None:
    for name in ("rank_offers", "explain", "parse_catalog", "match_intent", "CatalogError"):
        assert name in matching.__all__
