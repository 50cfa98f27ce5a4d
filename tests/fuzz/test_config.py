"""The daemon's config.toml of any shape: load_settings raises only
ConfigError, and what it accepts has the documented types (the inputs of
findings 13 and 22 are kept as tests)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import given

from fuzz import config
from fuzz.harness import run_input
from intentcast.daemon.config import Settings, render_config

from .budget import examples, reproduce
from .strategies import edited_tree, toml_values
from .toml_writer import document

DEFAULT = tomllib.loads(render_config(Settings(profile={"contact": "me@example.org"})))


@examples(80)
@given(edited_tree(DEFAULT, toml_values()))
def test_a_config_of_any_shape_is_a_config_error_or_well_typed(tree: dict[str, Any]) -> None:
    run_input(config, document(tree).encode())


@pytest.mark.parametrize(
    "data",
    [
        b'[node]\nmdns = "no"\n',  # turned mDNS on
        b"[node]\nmdns = 0\n",
        b'[profile]\nname = "Jos\xe9"\n',  # Latin-1, not UTF-8
        b"a = " + b"[" * 100_000,
        b'[vendor]\ncatalog = "~nosuchuser/catalog.toml"\n',
    ],
    ids=["mdns-text", "mdns-0", "latin-1", "nesting", "unknown-user"],
)
def test_a_bad_config_is_a_config_error(data: bytes) -> None:
    """Finding 13: ``mdns = "no"`` turned mDNS on; the others were tracebacks."""
    reproduce(config, data)


@pytest.mark.parametrize(
    "data",
    [b"[api]\nport = " + b"1" * 5_000, b"[api]\nport = 0x" + b"f" * 4_000],
    ids=["dec", "hex"],
)
def test_a_number_too_long_for_python_is_a_config_error(data: bytes) -> None:
    """Finding 22: tomllib lets int()'s digit limit through, and a hex
    number it reads has no repr; both were tracebacks."""
    reproduce(config, data)
