"""``[store] budget`` and ``[privacy] offer_buckets`` in config.toml
(docs/daemon.md): the defaults round-trip through ``init``'s file, a
partial table keeps the other defaults, and a bad value stops the daemon
with a ConfigError that names the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from intentcast.daemon.config import ConfigError, Settings, load_settings, render_config
from intentcast.daemon.layout import Home
from intentcast.store import GossipBudget


def settings_of(tmp_path: Path, text: str) -> Settings:
    home = Home(tmp_path)
    home.config.write_text(text)
    return load_settings(home)


def test_the_default_budget_round_trips_and_a_partial_one_keeps_the_defaults(
    tmp_path: Path,
) -> None:
    assert settings_of(tmp_path, render_config(Settings())).budget == GossipBudget()
    partial = settings_of(tmp_path, "[store]\nbudget = { sealed-deal = 500 }\n").budget
    assert partial == GossipBudget(sealed_deal=500)
    assert settings_of(tmp_path, "").budget == GossipBudget()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[store]\nbudget = 5\n", "store.budget must be a table"),
        ("[store]\nbudget = { sealed-deal = 0 }\n", "store.budget.sealed-deal"),
        ("[store]\nbudget = { intent = -3 }\n", "store.budget.intent"),
        ('[store]\nbudget = { intent = "1000" }\n', "store.budget.intent"),
        ("[store]\nbudget = { intent = 1.5 }\n", "store.budget.intent"),
        ("[store]\nbudget = { intent = true }\n", "store.budget.intent"),
        ("[store]\nbudget = { intent = 100000000000 }\n", "store.budget.intent"),
        ("[store]\nbudget = { offers = 10 }\n", "unknown kind 'offers'"),
        ("store = 3\n", "[store] must be a table"),
    ],
)
def test_a_bad_budget_is_a_config_error_naming_the_field(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigError, match=r"config\.toml") as caught:
        settings_of(tmp_path, text)
    assert named in str(caught.value)


def test_offer_buckets_default_to_two_round_trip_and_refuse_what_is_not_1_to_16(
    tmp_path: Path,
) -> None:
    assert settings_of(tmp_path, render_config(Settings())).offer_buckets == 2
    assert settings_of(tmp_path, "").offer_buckets == 2
    assert settings_of(tmp_path, render_config(Settings(offer_buckets=16))).offer_buckets == 16
    assert settings_of(tmp_path, "[privacy]\noffer_buckets = 5\n").offer_buckets == 5
    for bad in ("0", "17", "-2", '"all"', "true", "2.0"):
        with pytest.raises(ConfigError, match=r"privacy\.offer_buckets must be a whole number"):
            settings_of(tmp_path, f"[privacy]\noffer_buckets = {bad}\n")
    unknown = r"unknown key buckets in \[privacy\]; its keys are offer_feed, offer_buckets"
    with pytest.raises(ConfigError, match=unknown):
        settings_of(tmp_path, "[privacy]\nbuckets = 2\n")
