"""A node home on disk: creating one (:func:`init_home`), its key files, the
lock the running daemon holds, and the cookie it leaves for clients. Every
private file goes through :func:`intentcast.store.write_private`."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from intentcast.matching import CatalogError
from intentcast.peer.topics import FOLLOWED_BUCKETS
from intentcast.protocol.errors import KeyFileError
from intentcast.store import InsecureKeyFile, Store, read_key_file, write_key_file, write_private

from .addresses import check_listen_addr
from .config import (
    DEFAULT_API_PORT,
    DEFAULT_LISTEN,
    CatalogUnreadable,
    Settings,
    check_bootstrap,
    check_offer_buckets,
    check_port,
    check_roles,
    read_catalog,
    render_config,
)
from .errors import AlreadyRunning, ConfigError, DaemonError, HomeExists
from .layout import HOME_FILES, Home, not_found


def init_home(
    path: Path,
    *,
    roles: Sequence[str] = ("customer",),
    listen: Sequence[str] = DEFAULT_LISTEN,
    bootstrap: Sequence[str] = (),
    api_port: int = DEFAULT_API_PORT,
    catalog: Path | None = None,
    force: bool = False,
    confirm: str = "auto",
    offer_buckets: int = FOLLOWED_BUCKETS,
    offer_feed: bool = True,
) -> Home:
    """Create a node home at ``path``: fresh key files (0600), ``config.toml``
    and an empty database. Returns it.

    Raises :class:`HomeExists` if ``path`` already holds a home (a key file
    or config) and ``force`` is false: the key files may be the only copy of
    a seed. With ``force`` those files are replaced (the old seeds are lost).
    Raises :class:`ConfigError` for a bad role, port, listen or bootstrap
    address, or a catalog that cannot be read or is invalid: everything
    ``node run`` would refuse later is refused now.
    """
    if catalog is not None:
        try:
            read_catalog(catalog)
        except (CatalogError, CatalogUnreadable) as exc:
            raise ConfigError(str(exc)) from None
    settings = Settings(
        roles=check_roles(roles),
        listen=tuple(map(check_listen_addr, listen)),
        bootstrap=check_bootstrap(bootstrap),
        api_port=check_port(api_port),
        catalog=catalog,
        confirm=confirm,
        offer_buckets=check_offer_buckets(offer_buckets),
        offer_feed=offer_feed,
    )
    home = Home.at(path)
    existing = [name for name in HOME_FILES if (home.path / name).exists()]
    if existing and not force:
        raise HomeExists(
            f"{home.path} is already a node home (has {', '.join(existing)}); "
            f"pass --force to replace it (its keys are lost) or choose another --home"
        )
    if home.cookie.exists() and is_locked(home):
        raise AlreadyRunning(f"a node is running on {home.path}; stop it first")
    home.path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in existing:
        (home.path / name).unlink()
    write_key_file(home.customer_key, "customer-seed", os.urandom(32))
    write_key_file(home.vendor_key, "vendor-seed", os.urandom(32))
    write_private(home.config, render_config(settings).encode())
    Store.open(home.database).close()
    return home


def read_key(path: Path, kind: str) -> bytes:
    """The seed in the key file ``path``; :class:`DaemonError` (in one line
    saying what to do) if it is missing, damaged or readable by others."""
    try:
        return read_key_file(path, expect_kind=kind)
    except InsecureKeyFile as exc:
        raise DaemonError(f"refusing to start: {exc}") from None
    except FileNotFoundError:
        raise DaemonError(not_found(path, path.parent)) from None
    except KeyFileError as exc:
        raise DaemonError(f"refusing to start: {exc}") from None


def peer_key_seed(seed: bytes) -> bytes:
    """The libp2p peer key seed of a home: derived one-way from its customer
    seed, so the peer id stays the same across restarts (peers can list it
    as a bootstrap address) and reveals nothing about the seed."""
    return hashlib.blake2b(seed, key=b"intentcast/1/peer-key", digest_size=32).digest()


def is_locked(home: Home) -> bool:
    """Whether a running daemon holds ``home``'s lock."""
    try:
        with home.lock.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def hold_lock(home: Home) -> Iterator[IO[str]]:
    """Hold ``home``'s lock while the block runs; :class:`AlreadyRunning` if
    another daemon holds it."""
    f = home.lock.open("a")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"a node is already running on {home.path}; stop it with: "
                f"intentcast node stop --home {home.path}"
            ) from None
        yield f
    finally:
        f.close()


def write_cookie(home: Home, url: str, token: str) -> None:
    """Tell clients where the API listens and its token (mode 0600);
    ``intentcast.sdk.client`` reads it."""
    cookie = {"url": url, "token": token, "pid": os.getpid()}
    write_private(home.cookie, json.dumps(cookie).encode())


def remove_cookie(home: Home) -> None:
    """The daemon stopped: no client should find it any more."""
    with contextlib.suppress(FileNotFoundError):
        home.cookie.unlink()


__all__ = [
    "hold_lock",
    "init_home",
    "is_locked",
    "peer_key_seed",
    "read_key",
    "remove_cookie",
    "write_cookie",
]
