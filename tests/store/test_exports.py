"""The public surface of intentcast.store: what the node and CLI may import."""

from __future__ import annotations

from intentcast import store


def test_public_names_are_exported_and_documented() -> None:
    for name in store.__all__:
        obj = getattr(store, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__doc__, f"{name} has no docstring"
    # the lead's key-file helpers stay exported
    assert {"write_key_file", "read_key_file", "check_private", "KeyFileExists",
            "InsecureKeyFile"} <= set(store.__all__)  # fmt: skip


def test_no_sqlite_error_type_is_exported() -> None:
    import sqlite3

    for name in store.__all__:
        obj = getattr(store, name)
        assert not (isinstance(obj, type) and issubclass(obj, sqlite3.Error)), name
