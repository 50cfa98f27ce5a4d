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


@dataclass(frozen=True, slots=True)
class Home:
    """Paths of the files in a node home."""

    path: Path

    @classmethod
    def at(cls, path: Path) -> Home:
        """The home at ``path``, with ``~`` expanded and the path made absolute."""
        return cls(Path(path).expanduser().resolve())

    @property
    def customer_key(self) -> Path:
        """The customer seed's key file."""
        return self.path / CUSTOMER_KEY

    @property
    def vendor_key(self) -> Path:
        """The vendor seed's key file."""
        return self.path / VENDOR_KEY

    @property
    def config(self) -> Path:
        """``config.toml``."""
        return self.path / CONFIG_FILE

    @property
    def database(self) -> Path:
        """The store's SQLite file."""
        return self.path / DATABASE

    @property
    def cookie(self) -> Path:
        """The API address and token, while the daemon runs."""
        return self.path / COOKIE_FILE

    @property
    def lock(self) -> Path:
        """The file the running daemon holds a lock on."""
        return self.path / LOCK_FILE


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
