"""Fixtures of the store tests: a fresh node database in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from intentcast.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "node.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as s:
        yield s
