"""Schema versions and forward migrations: every released schema (frozen
in ``schemas/vN.sql``) opens and migrates to the latest, keeping its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intentcast.store import SCHEMA_VERSION, StoreError
from intentcast.store.connection import connect
from intentcast.store.schema import APPLICATION_ID, MIGRATIONS, Migration, migrate

SCHEMAS = Path(__file__).parent / "schemas"


def schema_of(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ).fetchall()


def frozen(version: int) -> str:
    return (SCHEMAS / f"v{version}.sql").read_text()


def build_historical(path: Path, version: int) -> None:
    """A database exactly as release ``version`` left it (0: a new, empty file)."""
    conn = sqlite3.connect(path, isolation_level=None)
    if version:
        conn.executescript(frozen(version))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("UPDATE key_counter SET next_counter = 41")
    conn.close()


def fresh_latest_schema() -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    return schema_of(conn)


def test_every_released_schema_is_frozen() -> None:
    assert sorted(SCHEMAS.glob("v*.sql")) == [
        SCHEMAS / f"v{v}.sql" for v in range(1, SCHEMA_VERSION + 1)
    ]


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_migrations_rebuild_each_frozen_schema(version: int) -> None:
    """A released migration must never be edited: replaying the migrations
    up to ``version`` gives exactly the frozen schema of that release."""
    replayed = sqlite3.connect(":memory:", isolation_level=None)
    migrate(replayed, MIGRATIONS[:version])
    released = sqlite3.connect(":memory:", isolation_level=None)
    released.executescript(frozen(version))
    assert schema_of(replayed) == schema_of(released)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
def test_each_historical_version_migrates_to_latest(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.db"
    build_historical(path, version)
    c = connect(path)
    try:
        assert c.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert schema_of(c.conn) == fresh_latest_schema()
        expected_counter = 41 if version else 0  # data of the old release is kept
        assert c.conn.execute("SELECT next_counter FROM key_counter").fetchone()[0] == (
            expected_counter
        )
    finally:
        c.close()


def _add_receipts(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE receipts (id BLOB PRIMARY KEY, raw BLOB NOT NULL)")
    conn.execute("UPDATE key_counter SET next_counter = next_counter + 1000")


def test_a_new_migration_runs_once_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    build_historical(path, SCHEMA_VERSION)
    newer = (*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "receipts", _add_receipts))
    for _ in range(2):  # the second open must not apply it again
        c = connect(path, migrations=newer)
        assert c.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert c.conn.execute("SELECT next_counter FROM key_counter").fetchone()[0] == 1041
        assert "receipts" in c.db.table_names()
        c.close()


def _broken(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE half_done (x)")
    conn.execute("INSERT INTO no_such_table VALUES (1)")


def test_a_failing_migration_leaves_the_previous_version_intact(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    build_historical(path, SCHEMA_VERSION)
    broken = (*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "broken", _broken))
    with pytest.raises(StoreError):
        connect(path, migrations=broken)
    c = connect(path)
    try:
        assert c.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "half_done" not in c.db.table_names()
    finally:
        c.close()


def test_migrations_out_of_order_are_refused() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    with pytest.raises(ValueError, match="out of order"):
        migrate(conn, (Migration(2, "skips version 1", _add_receipts),))
