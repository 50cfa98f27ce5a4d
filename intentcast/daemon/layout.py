"""The files of a node home, by name: nothing else, so that light clients
(the CLI, an attached bot) can find the cookie without loading the daemon.

A *home* is one directory (``docs/daemon.md``)::

    customer.key   customer seed (mode 0600): every intent key derives from it
    vendor.key     vendor seed (mode 0600): the vendor's signing and reply keys
    config.toml    listen addresses, bootstrap peers, roles, API port, catalog
    node.db        the node's store (mode 0600)
    node.lock      held by the running daemon (one daemon per home)
    api.cookie     while the daemon runs: its API address and a fresh random
                   token (mode 0600); clients read it to authenticate
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

CUSTOMER_KEY: Final = "customer.key"
VENDOR_KEY: Final = "vendor.key"
CONFIG_FILE: Final = "config.toml"
DATABASE: Final = "node.db"
LOCK_FILE: Final = "node.lock"
#: Written while the daemon runs (:mod:`.home`); ``intentcast.sdk.client`` reads it.
COOKIE_FILE: Final = "api.cookie"

#: Files a home consists of (``--force`` replaces exactly these).
HOME_FILES: Final = (
    CUSTOMER_KEY,
    VENDOR_KEY,
    CONFIG_FILE,
    DATABASE,
    f"{DATABASE}-wal",
    f"{DATABASE}-shm",
    COOKIE_FILE,
)


class _InHome:
    """A file of the home by its name: ``home.database`` is ``home.path / DATABASE``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, home: Home, owner: type[Home]) -> Path:
        return home.path / self.name


@dataclass(frozen=True, slots=True)
class Home:
    """Paths of the files in a node home."""

    path: Path

    #: The customer seed's key file.
    customer_key = _InHome(CUSTOMER_KEY)
    #: The vendor seed's key file.
    vendor_key = _InHome(VENDOR_KEY)
    #: ``config.toml``.
    config = _InHome(CONFIG_FILE)
    #: The store's SQLite file.
    database = _InHome(DATABASE)
    #: The API address and token, while the daemon runs.
    cookie = _InHome(COOKIE_FILE)
    #: The file the running daemon holds a lock on.
    lock = _InHome(LOCK_FILE)

    @classmethod
    def at(cls, path: Path) -> Home:
        """The home at ``path``, with ``~`` expanded and the path made absolute."""
        return cls(Path(path).expanduser().resolve())


__all__ = [
    "CONFIG_FILE",
    "COOKIE_FILE",
    "CUSTOMER_KEY",
    "DATABASE",
    "HOME_FILES",
    "LOCK_FILE",
    "VENDOR_KEY",
    "Home",
]


def not_found(path: Path, home: Path) -> str:
    """What to say when ``path``, a file of the node home ``home``, is missing."""
    return f"{path} not found; create a node home with: intentcast init --home {home}"
