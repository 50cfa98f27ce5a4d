"""The node daemon: a node home on disk, and ``intentcast node run``.

A *home* is one directory (``docs/daemon.md``)::

    customer.key   customer seed (mode 0600): every intent key derives from it
    vendor.key     vendor seed (mode 0600): the vendor's signing and reply keys
    config.toml    listen addresses, bootstrap peers, roles, API port, catalog
    node.db        the node's store (mode 0600)
    node.lock      held by the running daemon (one daemon per home)
    api.cookie     while the daemon runs: its API address and a fresh random
                   token (mode 0600); clients read it to authenticate

:func:`init_home` creates one; :func:`run_daemon` runs a node over it with
the local HTTP API (:mod:`.api`) on 127.0.0.1 until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import secrets
import signal
import socket
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Final

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.run import worker_serve
from hypercorn.utils import wrap_app

from intentcast import __version__
from intentcast.matching import CatalogError, parse_catalog
from intentcast.protocol import Kind, derive_vendor_keys
from intentcast.protocol.errors import KeyFileError
from intentcast.store import (
    GossipBudget,
    InsecureKeyFile,
    Store,
    read_key_file,
    write_key_file,
    write_private,
)

from .base import Event, EventKind, NodeConfig
from .node import Node, open_node
from .p2p import NetworkError
from .remote import RemoteVendor
from .vendor import CatalogVendor, VendorHandler

log = logging.getLogger(__name__)

CUSTOMER_KEY: Final = "customer.key"
VENDOR_KEY: Final = "vendor.key"
CONFIG_FILE: Final = "config.toml"
DATABASE: Final = "node.db"
LOCK_FILE: Final = "node.lock"
#: Written while the daemon runs; ``intentcast.cli.client`` reads it.
COOKIE_FILE: Final = "api.cookie"

ROLES: Final = ("customer", "vendor", "relay")
DEFAULT_API_PORT: Final = 7646
DEFAULT_LISTEN: Final = ("/ip4/0.0.0.0/tcp/4001",)
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


class DaemonError(Exception):
    """A problem with the node home or its configuration that the user must
    fix; the message says what and how, in one line."""


class HomeExists(DaemonError):
    """``init`` refused to overwrite an existing home."""


class ConfigError(DaemonError):
    """``config.toml`` is missing, unreadable or has a bad value."""


class AlreadyRunning(DaemonError):
    """Another daemon holds this home."""


@dataclass(frozen=True, slots=True)
class Home:
    """Paths of the files in a node home."""

    path: Path

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


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """What ``config.toml`` says (see ``docs/daemon.md``, "Configuration")."""

    roles: tuple[str, ...] = ("customer",)
    listen: tuple[str, ...] = DEFAULT_LISTEN
    bootstrap: tuple[str, ...] = ()
    mdns: bool = False
    api_port: int = DEFAULT_API_PORT
    #: Vendor catalog (TOML); relative paths are relative to the home.
    catalog: Path | None = None
    #: Personal details ``accept --disclose NAME`` may send to a vendor.
    profile: dict[str, str] = field(default_factory=dict)
    #: Most messages of others the store keeps per kind (``[store] budget``).
    budget: GossipBudget = field(default_factory=GossipBudget)


# --- init -----------------------------------------------------------------------


def init_home(
    path: Path,
    *,
    roles: Sequence[str] = ("customer",),
    listen: Sequence[str] = DEFAULT_LISTEN,
    bootstrap: Sequence[str] = (),
    api_port: int = DEFAULT_API_PORT,
    catalog: Path | None = None,
    force: bool = False,
) -> Home:
    """Create a node home at ``path``: fresh key files (0600), ``config.toml``
    and an empty database. Returns it.

    Raises :class:`HomeExists` if ``path`` already holds a home (a key file
    or config) and ``force`` is false: the key files may be the only copy of
    a seed. With ``force`` those files are replaced (the old seeds are lost).
    Raises :class:`ConfigError` for a bad role or port.
    """
    settings = Settings(
        roles=_roles(roles),
        listen=tuple(listen),
        bootstrap=tuple(bootstrap),
        api_port=_port(api_port),
        catalog=catalog,
    )
    home = Home(Path(path).expanduser().resolve())
    existing = [name for name in HOME_FILES if (home.path / name).exists()]
    if existing and not force:
        raise HomeExists(
            f"{home.path} is already a node home (has {', '.join(existing)}); "
            f"pass --force to replace it (its keys are lost) or choose another --home"
        )
    if home.cookie.exists() and _locked(home):
        raise AlreadyRunning(f"a node is running on {home.path}; stop it first")
    home.path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in existing:
        (home.path / name).unlink()
    write_key_file(home.customer_key, "customer-seed", os.urandom(32))
    write_key_file(home.vendor_key, "vendor-seed", os.urandom(32))
    write_private(home.config, render_config(settings).encode())
    Store.open(home.database).close()
    return home


def render_config(settings: Settings) -> str:
    """The text of ``config.toml`` for ``settings``, with comments."""

    def strings(values: Sequence[str]) -> str:
        return "[" + ", ".join(json.dumps(v) for v in values) + "]"

    budget = ", ".join(f"{k} = {settings.budget.rows(Kind(k))}" for k in BUDGET_KINDS)
    catalog = (
        f"catalog = {json.dumps(str(settings.catalog))}"
        if settings.catalog is not None
        else '# catalog = "catalog.toml"'
    )
    return f"""# intentcast node configuration. Reference: docs/daemon.md.

[node]
# What this node does: "customer" (post intents, rank and accept offers),
# "vendor" (answer intents from the catalog below; without one, from a bot
# attached with `intentcast vendor attach BOT.py`), "relay" (carry every topic).
roles = {strings(settings.roles)}
# libp2p listen addresses (multiaddrs). Port 0 picks a free port.
listen = {strings(settings.listen)}
# Peers to dial at start and keep connected: multiaddrs ending in /p2p/<peer id>.
bootstrap = {strings(settings.bootstrap)}
# Find peers on the local network with mDNS.
mdns = {"true" if settings.mdns else "false"}

[api]
# The local HTTP API listens on 127.0.0.1 only, on this port (0: any free port).
port = {settings.api_port}

[store]
# Most messages of other nodes kept per kind; past it the oldest are dropped
# (never this node's own, nor those of its offers and deals). Each kind
# takes at most its count times its largest message: about
# {settings.budget.max_bytes() // 1_000_000} MB with these values. docs/store.md, "Budget".
budget = {{ {budget} }}

[vendor]
# The catalog a vendor node answers from (relative to this directory).
# Leave it unset to answer from a bot: intentcast vendor attach BOT.py
{catalog}

[profile]
# What `intentcast accept OFFER --disclose contact,shipping` sends to the
# vendor you accept, and to no one else.
# contact = "you@example.org"
# shipping = "Street 1, 12345 City"
"""


# --- loading --------------------------------------------------------------------


def load_settings(home: Home) -> Settings:
    """Read and check ``config.toml``. Raises :class:`ConfigError`."""
    try:
        text = home.config.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{home.config}: not UTF-8 text (byte {exc.start})") from None
    except FileNotFoundError:
        raise ConfigError(
            f"{home.config} not found; create a node home with: intentcast init --home {home.path}"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {home.config}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{home.config}: nested too deeply") from None
    except ValueError:  # tomllib lets int()'s digit limit through (4,300 digits)
        raise ConfigError(f"{home.config}: a number too long to read") from None
    try:
        node = _table(data, "node")
        api = _table(data, "api")
        store = _table(data, "store")
        vendor = _table(data, "vendor")
        profile = _table(data, "profile")
    except ConfigError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None
    catalog = vendor.get("catalog")
    if catalog is not None and not isinstance(catalog, str):
        raise ConfigError(f"{home.config}: vendor.catalog must be a file name")
    if not all(isinstance(v, str) for v in profile.values()):
        raise ConfigError(f"{home.config}: every [profile] value must be a string")
    mdns = node.get("mdns", False)
    if not isinstance(mdns, bool):  # "no" or 0 must not turn it on (or off) by accident
        raise ConfigError(f"{home.config}: node.mdns must be true or false, not {_shown(mdns)}")
    try:
        catalog_path = None if catalog is None else home.path / Path(catalog).expanduser()
    except RuntimeError:  # ~user that does not exist
        raise ConfigError(f"{home.config}: vendor.catalog {catalog!r}: no such user") from None
    try:
        return Settings(
            roles=_roles(_strings(node, "roles", ["customer"])),
            listen=tuple(_strings(node, "listen", list(DEFAULT_LISTEN))),
            bootstrap=tuple(_strings(node, "bootstrap", [])),
            mdns=mdns,
            api_port=_port(api.get("port", DEFAULT_API_PORT)),
            catalog=catalog_path,
            profile=dict(profile),
            budget=_budget(store.get("budget", {})),
        )
    except ConfigError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table")
    return table


def _strings(table: dict[str, Any], name: str, default: list[str]) -> list[str]:
    value = table.get(name, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} must be a list of strings")
    return value


def _roles(roles: Sequence[str]) -> tuple[str, ...]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ConfigError(f"roles must be some of {', '.join(ROLES)}; got {list(roles)}")
    return tuple(dict.fromkeys(roles))


#: The kinds ``[store] budget`` names, as the file spells them.
BUDGET_KINDS: Final = ("intent", "withdraw", "sealed-offer", "sealed-deal", "vendor-profile")
#: The largest budget a kind may be given (rows).
MAX_BUDGET: Final = 10_000_000


def _budget(table: object) -> GossipBudget:
    if not isinstance(table, dict):
        raise ConfigError("store.budget must be a table, e.g. { sealed-deal = 10000 }")
    unknown = [k for k in table if k not in BUDGET_KINDS]
    if unknown:
        raise ConfigError(
            f"store.budget: unknown kind {_shown(unknown[0])}; the kinds are "
            + ", ".join(BUDGET_KINDS)
        )
    for kind, rows in table.items():
        if type(rows) is not int or not 1 <= rows <= MAX_BUDGET:
            raise ConfigError(
                f"store.budget.{kind} must be a whole number from 1 to {MAX_BUDGET}, "
                f"not {_shown(rows)}"
            )
    return GossipBudget(**{k.replace("-", "_"): v for k, v in table.items()})


def _port(port: object) -> int:
    if type(port) is not int or not 0 <= port <= 65535:
        raise ConfigError(f"the API port must be a number from 0 to 65535, not {_shown(port)}")
    return port


def _shown(value: object) -> str:
    """``value`` as an error message quotes it: short, and never failing
    (a 4,000-digit int has no ``repr`` under Python's digit limit)."""
    try:
        text = repr(value)
    except ValueError:
        return f"a {type(value).__name__} too long to show"
    return text if len(text) <= 40 else text[:37] + "..."


def _locked(home: Home) -> bool:
    try:
        with home.lock.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def _hold_lock(home: Home) -> Iterator[IO[str]]:
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


# --- the running daemon ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A node event with its sequence number, as the API serves it."""

    seq: int
    at: float
    event: Event

    def as_json(self) -> dict[str, Any]:
        """The API's JSON form of this event."""
        subject = self.event.subject
        return {
            "seq": self.seq,
            "at": round(self.at, 3),
            "kind": self.event.kind.value,
            "subject": subject.hex() if isinstance(subject, bytes) else subject,
            "detail": self.event.detail,
        }


class EventLog:
    """The node's recent events, numbered, for API clients that follow them
    by long polling (``GET /v1/events?since=N&timeout=S``)."""

    def __init__(self, keep: int = 1_000) -> None:
        self._events: deque[LoggedEvent] = deque(maxlen=keep)
        self._seq = 0
        self._changed = trio.Event()

    @property
    def last(self) -> int:
        """Sequence number of the newest event (0: none yet)."""
        return self._seq

    def add(self, event: Event) -> None:
        """Number and keep ``event``; wake every waiting client."""
        self._seq += 1
        self._events.append(LoggedEvent(self._seq, time.time(), event))
        self._changed.set()
        self._changed = trio.Event()

    def after(self, seq: int) -> list[LoggedEvent]:
        """The kept events numbered above ``seq``, oldest first."""
        return [e for e in self._events if e.seq > seq]

    async def wait_after(self, seq: int, timeout: float) -> list[LoggedEvent]:
        """Events numbered above ``seq``, waiting up to ``timeout`` seconds
        for the first one (an empty list when none came)."""
        found = self.after(seq)
        with trio.move_on_after(timeout):
            while not found:
                await self._changed.wait()
                found = self.after(seq)
        return found


@dataclass(frozen=True, slots=True)
class DaemonInfo:
    """A running daemon, as told to ``on_ready`` callers: the API address and
    token, the node's libp2p identity, and a thread-safe :meth:`stop`."""

    url: str
    token: str
    peer_id: str
    addrs: tuple[str, ...]
    stop: Callable[[], None]


def peer_key_seed(seed: bytes) -> bytes:
    """The libp2p peer key seed of a home: derived one-way from its customer
    seed, so the peer id stays the same across restarts (peers can list it
    as a bootstrap address) and reveals nothing about the seed."""
    return hashlib.blake2b(seed, key=b"intentcast/1/peer-key", digest_size=32).digest()


def _primary_address() -> str | None:
    """This machine's IPv4 address on its default route, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent, a route is picked
            address: str = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def dialable_addrs(addrs: Sequence[str]) -> list[str]:
    """``addrs`` with the wildcard ``/ip4/0.0.0.0/`` replaced by addresses a
    peer can dial: 127.0.0.1 and the machine's address on its default route."""
    primary = _primary_address()
    out: list[str] = []
    for addr in addrs:
        if addr.startswith("/ip4/0.0.0.0/"):
            rest = addr.removeprefix("/ip4/0.0.0.0/")
            out += [f"/ip4/{ip}/{rest}" for ip in ("127.0.0.1", primary) if ip is not None]
        else:
            out.append(addr)
    return out


def check_listen_ports(listen: Sequence[str]) -> None:
    """Raise :class:`DaemonError` if a fixed TCP port in ``listen`` is taken.

    py-libp2p binds with ``SO_REUSEPORT`` (for hole punching), so a second
    node on the same port would start and silently share the port's
    connections with the first. A plain bind here fails instead.
    """
    for addr in listen:
        parts = addr.strip("/").split("/")
        if len(parts) < 4 or parts[0] not in ("ip4", "ip6") or parts[2] != "tcp":
            continue
        host, port = parts[1], parts[3]
        if not port.isdigit() or int(port) == 0:
            continue
        family = socket.AF_INET if parts[0] == "ip4" else socket.AF_INET6
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
            try:
                s.bind((host, int(port)))
            except OSError as exc:
                raise DaemonError(
                    f"cannot listen on {addr} ({exc.strerror}); is another node running? "
                    f"Change listen under [node] in config.toml"
                ) from None


def _read_key(path: Path, kind: str) -> bytes:
    try:
        return read_key_file(path, expect_kind=kind)
    except InsecureKeyFile as exc:
        raise DaemonError(f"refusing to start: {exc}") from None
    except FileNotFoundError:
        raise DaemonError(
            f"{path} not found; create a node home with: intentcast init --home {path.parent}"
        ) from None
    except KeyFileError as exc:
        raise DaemonError(f"refusing to start: {exc}") from None


@dataclass(slots=True)
class _Prepared:
    settings: Settings
    customer_seed: bytes
    vendor_seed: bytes | None
    vendor: VendorHandler | None


def _prepare(
    home: Home,
    catalog: Path | None,
    roles: Sequence[str] | None,
    vendor: VendorHandler | None = None,
    vendor_source: Path | None = None,
) -> _Prepared:
    settings = load_settings(home)
    if vendor is not None:
        # A handler given by the caller (a bot): it is the vendor; the path
        # it came from is shown where a catalog would be.
        roles, catalog = ("vendor",), vendor_source
    if roles is not None:
        settings = replace(settings, roles=_roles(roles))
    if catalog is not None:
        settings = replace(settings, catalog=catalog)
    # The customer seed is always read: it also gives the stable peer id.
    customer_seed = _read_key(home.customer_key, "customer-seed")
    if home.vendor_key.exists():  # unused by this run, but it must not leak either
        _read_key(home.vendor_key, "vendor-seed")
    vendor_seed = None
    if "vendor" in settings.roles:
        vendor_seed = _read_key(home.vendor_key, "vendor-seed")
    if "vendor" in settings.roles and vendor is None and settings.catalog is None:
        # No catalog, no bot given: the vendor waits for a bot to attach
        # (intentcast vendor attach BOT.py) and answers nothing meanwhile.
        vendor = RemoteVendor()
    elif "vendor" in settings.roles and vendor is None:
        assert settings.catalog is not None
        try:
            text = settings.catalog.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{settings.catalog}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise ConfigError(
                f"cannot read the catalog {settings.catalog}: {exc.strerror}"
            ) from None
        try:
            vendor = CatalogVendor(parse_catalog(text, source=str(settings.catalog)))
        except CatalogError as exc:
            raise ConfigError(str(exc)) from None
    check_listen_ports(settings.listen)
    return _Prepared(settings, customer_seed, vendor_seed, vendor)


def run_daemon(
    path: Path,
    *,
    catalog: Path | None = None,
    roles: Sequence[str] | None = None,
    vendor: VendorHandler | None = None,
    vendor_source: Path | None = None,
    handle_signals: bool = True,
    on_ready: Callable[[DaemonInfo], None] | None = None,
) -> None:
    """Run the node of the home at ``path`` and its local API until Ctrl-C,
    SIGTERM, ``POST /v1/stop`` or ``DaemonInfo.stop()``; blocks.

    ``catalog`` and ``roles`` override ``config.toml`` (``vendor run
    --catalog``); ``vendor`` runs the node as that vendor handler instead
    (``vendor run BOT.py``; ``vendor_source`` is the file it came from).
    Checks everything it can before it starts: raises :class:`DaemonError`
    (insecure or missing key file, bad config or catalog, another daemon on
    the home) or a :class:`~intentcast.store.StoreError`.
    """
    home = Home(Path(path).expanduser().resolve())
    prepared = _prepare(home, catalog, roles, vendor, vendor_source)
    with _hold_lock(home), Store.open(home.database, budget=prepared.settings.budget) as store:
        try:
            trio.run(_serve, home, prepared, store, handle_signals, on_ready)
            log.info("node stopped")
        except BaseExceptionGroup as group:
            leaf = _only_leaf(group)
            if isinstance(leaf, DaemonError | NetworkError):
                raise DaemonError(str(leaf)) from None
            raise
        except NetworkError as exc:
            raise DaemonError(str(exc)) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                home.cookie.unlink()


def _only_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception inside nested groups of one, else None."""
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup):
        if len(exc.exceptions) != 1:
            return None
        exc = exc.exceptions[0]
    return exc


async def _serve(
    home: Home,
    prepared: _Prepared,
    store: Store,
    handle_signals: bool,
    on_ready: Callable[[DaemonInfo], None] | None,
) -> None:
    from .api import ApiContext, build_app  # noqa: PLC0415  (starlette only when serving)

    settings = prepared.settings
    config = NodeConfig(
        listen=settings.listen,
        bootstrap=settings.bootstrap,
        relay="relay" in settings.roles,
        mdns=settings.mdns,
        peer_key_seed=peer_key_seed(prepared.customer_seed),
    )
    token = secrets.token_urlsafe(32)
    events = EventLog()
    async with (
        open_node(
            store,
            customer_seed=prepared.customer_seed if "customer" in settings.roles else None,
            vendor_keys=None
            if prepared.vendor_seed is None
            else derive_vendor_keys(prepared.vendor_seed),
            vendor=prepared.vendor,
            config=config,
        ) as node,
        trio.open_nursery() as nursery,
    ):
        log.info(
            "node %s (%s) listening on %s",
            node.peer_id,
            ", ".join(settings.roles),
            " ".join(dialable_addrs(node.addrs())),
        )
        if isinstance(prepared.vendor, RemoteVendor):
            log.info(
                "vendor role without a catalog: waiting for a bot "
                "(intentcast vendor attach BOT.py --home %s)",
                home.path,
            )
        elif prepared.vendor is not None:
            log.info(
                "vendor %r answers intents in %s from %s",
                prepared.vendor.name,
                ", ".join(prepared.vendor.categories),
                settings.catalog,
            )
        await nursery.start(_follow_events, node, events)
        stopping = trio.Event()
        context = ApiContext(
            node=node,
            token=token,
            settings=settings,
            events=events,
            home=home.path,
            started=time.time(),
            stop=stopping.set,
            version=__version__,
        )
        hconfig = HypercornConfig()
        hconfig.bind = [f"127.0.0.1:{settings.api_port}"]
        hconfig.graceful_timeout = 1.0
        hconfig.accesslog = None
        hconfig.errorlog = logging.getLogger("intentcast.node.api.server")
        try:
            sockets = hconfig.create_sockets()
            for sock in sockets.insecure_sockets:
                sock.listen(hconfig.backlog)
        except OSError as exc:
            raise DaemonError(
                f"cannot listen on 127.0.0.1:{settings.api_port} ({exc.strerror}); "
                f"is another node running? Change [api] port in {home.config}"
            ) from None
        if handle_signals:
            nursery.start_soon(_stop_on_signal, stopping)
        async with trio.open_nursery() as api_nursery:
            # Graceful: on stop, hypercorn finishes the requests in flight
            # (the answer to POST /v1/stop among them) before it returns.
            binds = await api_nursery.start(
                functools.partial(
                    worker_serve,
                    # starlette's and hypercorn's ASGI type aliases differ; same protocol.
                    wrap_app(build_app(context), hconfig.wsgi_max_body_size, "asgi"),  # type: ignore[arg-type]
                    hconfig,
                    sockets=sockets,
                    shutdown_trigger=stopping.wait,
                )
            )
            url = binds[0]
            write_private(
                home.cookie, json.dumps({"url": url, "token": token, "pid": os.getpid()}).encode()
            )
            log.info("local API on %s (token in %s)", url, home.cookie)
            if on_ready is not None:
                trio_token = trio.lowlevel.current_trio_token()

                def stop() -> None:
                    try:
                        here = trio.lowlevel.current_trio_token() is trio_token
                    except RuntimeError:  # not in any trio run
                        here = False
                    if here:
                        stopping.set()
                        return
                    with contextlib.suppress(trio.RunFinishedError):
                        trio.from_thread.run_sync(stopping.set, trio_token=trio_token)

                on_ready(
                    DaemonInfo(url, token, node.peer_id, tuple(dialable_addrs(node.addrs())), stop)
                )
        log.info("stopping the node")
        nursery.cancel_scope.cancel()


async def _follow_events(
    node: Node, events: EventLog, *, task_status: Any = trio.TASK_STATUS_IGNORED
) -> None:
    # Events about others' messages (intents received, withdrawn, peers
    # connecting) come at the network's pace, which a hostile peer sets: a
    # line for the first of each kind per interval, then a summary with the
    # count (the node flushes it). Events about the owner's own intents and
    # deals are all logged.
    network = node.p2p.remote_log
    async with node.events() as channel:
        task_status.started()
        async for event in channel:
            events.add(event)
            subject = (
                event.subject.hex()[:12] if isinstance(event.subject, bytes) else event.subject
            )
            if event.intent_key is None and event.kind in _NETWORK_EVENTS:
                network.note(
                    "the network", event.kind.value, "%s %s %s", event.kind.value, subject,
                    event.detail,
                )  # fmt: skip
            else:
                log.info("%s %s %s", event.kind.value, subject, event.detail)


#: Events that others' messages cause, logged rate-limited (_follow_events).
_NETWORK_EVENTS: Final = frozenset(
    {EventKind.INTENT_RECEIVED, EventKind.INTENT_WITHDRAWN, EventKind.PEER_CONNECTED}
)


async def _stop_on_signal(stopping: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            log.info("%s received; stopping", signal.Signals(signum).name)
            stopping.set()
            return


__all__ = [
    "COOKIE_FILE",
    "AlreadyRunning",
    "ConfigError",
    "DaemonError",
    "DaemonInfo",
    "EventLog",
    "Home",
    "HomeExists",
    "Settings",
    "check_listen_ports",
    "dialable_addrs",
    "init_home",
    "load_settings",
    "peer_key_seed",
    "render_config",
    "run_daemon",
]
