"""``intentcast node run``: the node of a home and its local HTTP API, as one
process, until Ctrl-C, SIGTERM or ``POST /v1/stop``.

:func:`run_daemon` checks everything it can before it starts (keys, config,
catalog, ports, the lock), runs a :class:`~intentcast.node.Node` over the
home's store, serves :mod:`.api` on 127.0.0.1 with hypercorn, writes the
cookie clients read, and removes it when it stops.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from pathlib import Path

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.config import Sockets
from hypercorn.trio.run import worker_serve
from hypercorn.utils import wrap_app

from intentcast.matching import CatalogError
from intentcast.node import CatalogVendor, NetworkError, Node, NodeConfig, VendorHandler, open_node
from intentcast.protocol import derive_vendor_keys
from intentcast.store import Store

from .addresses import check_listen_ports, dialable_addrs
from .api import ApiContext, build_app
from .api.server import contain_connection_failures, json_error_answers
from .config import CatalogUnreadable, Settings, check_roles, load_settings, read_catalog
from .errors import ConfigError, DaemonError
from .events import EventLog, follow_events
from .home import hold_lock, peer_key_seed, read_key, remove_cookie, write_cookie
from .layout import Home
from .remote import RemoteVendor
from .signals import stop_on_signal

#: One logger for every line the daemon writes about itself and its node.
log = logging.getLogger("intentcast.daemon")


@dataclass(frozen=True, slots=True)
class DaemonInfo:
    """A running daemon, as told to ``on_ready`` callers: the API address and
    token, the node's libp2p identity, and a thread-safe :meth:`stop`."""

    url: str
    token: str
    peer_id: str
    addrs: tuple[str, ...]
    stop: Callable[[], None]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Everything checked before the node starts: what to run, with which keys."""

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
        settings = replace(settings, roles=check_roles(roles))
    if catalog is not None:
        settings = replace(settings, catalog=catalog)
    # The customer seed is always read: it also gives the stable peer id.
    customer_seed = read_key(home.customer_key, "customer-seed")
    if home.vendor_key.exists():  # unused by this run, but it must not leak either
        read_key(home.vendor_key, "vendor-seed")
    vendor_seed = None
    if "vendor" in settings.roles:
        vendor_seed = read_key(home.vendor_key, "vendor-seed")
    if "vendor" in settings.roles and vendor is None and settings.catalog is None:
        # No catalog, no bot given: the vendor waits for a bot to attach
        # (intentcast vendor attach BOT.py) and answers nothing meanwhile.
        vendor = RemoteVendor()
    elif "vendor" in settings.roles and vendor is None:
        assert settings.catalog is not None
        vendor = _catalog_vendor(settings.catalog)
    return _Prepared(settings, customer_seed, vendor_seed, vendor)


def _catalog_vendor(catalog: Path) -> CatalogVendor:
    try:
        return CatalogVendor(read_catalog(catalog))
    except (CatalogError, CatalogUnreadable) as exc:
        raise ConfigError(str(exc)) from None


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
    ``handle_signals``: the daemon owns its process: it stops on SIGINT and
    SIGTERM, and freezes its start-up objects once up
    (:func:`freeze_startup_objects`).
    Checks everything it can before it starts: raises :class:`DaemonError`
    (insecure or missing key file, bad config or catalog, another daemon on
    the home) or a :class:`~intentcast.store.StoreError`.
    """
    home = Home.at(path)
    prepared = _prepare(home, catalog, roles, vendor, vendor_source)
    # The lock first: a second daemon on this home is told so, not that
    # its ports are taken (by the first one). Then every port, before the
    # node starts: a taken one is one clear error, not a node that logs
    # "listening" and exits.
    with hold_lock(home):
        check_listen_ports(prepared.settings.listen)
        hconfig, sockets = _api_sockets(home, prepared.settings)
        try:
            _run_locked(home, prepared, (hconfig, sockets), handle_signals, on_ready)
        finally:
            for sock in sockets.insecure_sockets:
                sock.close()


def _run_locked(
    home: Home,
    prepared: _Prepared,
    api: tuple[HypercornConfig, Sockets],
    handle_signals: bool,
    on_ready: Callable[[DaemonInfo], None] | None,
) -> None:
    with Store.open(home.database, budget=prepared.settings.budget) as store:
        try:
            trio.run(
                functools.partial(
                    _serve, home, prepared, store, api, signals=handle_signals, on_ready=on_ready
                )
            )
            log.info("node stopped")
        except BaseExceptionGroup as group:
            leaf = _only_leaf(group)
            if isinstance(leaf, DaemonError | NetworkError):
                raise DaemonError(str(leaf)) from None
            raise
        except NetworkError as exc:
            raise DaemonError(str(exc)) from None
        finally:
            remove_cookie(home)


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
    api: tuple[HypercornConfig, Sockets],
    *,
    signals: bool,
    on_ready: Callable[[DaemonInfo], None] | None,
) -> None:
    settings = prepared.settings
    events = EventLog()
    async with _open_node(store, prepared) as node, trio.open_nursery() as nursery:
        _log_start(home, prepared, node)
        await nursery.start(follow_events, node, events)
        stopping = trio.Event()
        context = ApiContext.start(
            node, settings=settings, events=events, home=home.path, stop=stopping.set
        )
        hconfig, sockets = api
        if signals:
            nursery.start_soon(stop_on_signal, stopping, log, "stopping")
        await _serve_api(
            home, context, hconfig, sockets, stopping=stopping, on_ready=on_ready, freeze=signals
        )
        log.info("stopping the node")
        nursery.cancel_scope.cancel()


def _open_node(store: Store, prepared: _Prepared) -> AbstractAsyncContextManager[Node]:
    settings = prepared.settings
    config = NodeConfig(
        listen=settings.listen,
        bootstrap=settings.bootstrap,
        relay="relay" in settings.roles,
        mdns=settings.mdns,
        peer_key_seed=peer_key_seed(prepared.customer_seed),
        hold_accepts=settings.confirm == "manual",
        offer_buckets=settings.offer_buckets,
        offer_feed=settings.offer_feed,
    )
    return open_node(
        store,
        customer_seed=prepared.customer_seed if "customer" in settings.roles else None,
        vendor_keys=None
        if prepared.vendor_seed is None
        else derive_vendor_keys(prepared.vendor_seed),
        vendor=prepared.vendor,
        config=config,
    )


def _log_start(home: Home, prepared: _Prepared, node: Node) -> None:
    settings = prepared.settings
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
    if prepared.vendor is not None and settings.confirm == "manual":
        log.info('accepts wait for your answer ([vendor] confirm = "manual"): intentcast open')


def _api_sockets(home: Home, settings: Settings) -> tuple[HypercornConfig, Sockets]:
    """hypercorn's config and the API's listening socket, bound before the
    API starts so that a taken port is one clear error."""
    json_error_answers()  # hypercorn's own answers (400, 431) in the API's JSON shape
    contain_connection_failures()  # one connection's failure never stops the API
    hconfig = HypercornConfig()
    hconfig.bind = [f"127.0.0.1:{settings.api_port}"]
    hconfig.graceful_timeout = 1.0
    hconfig.accesslog = None
    hconfig.errorlog = logging.getLogger("intentcast.daemon.api.server")
    try:
        sockets = hconfig.create_sockets()
        for sock in sockets.insecure_sockets:
            sock.listen(hconfig.backlog)
    except OSError as exc:
        raise DaemonError(
            f"cannot listen on 127.0.0.1:{settings.api_port} ({exc.strerror}); "
            f"is another node running? Change [api] port in {home.config}"
        ) from None
    return hconfig, sockets


async def _serve_api(
    home: Home,
    context: ApiContext,
    hconfig: HypercornConfig,
    sockets: Sockets,
    *,
    stopping: trio.Event,
    on_ready: Callable[[DaemonInfo], None] | None,
    freeze: bool,
) -> None:
    """Serve the API until ``stopping`` is set; write the cookie once it
    listens. ``freeze``: the daemon owns its process (it handles the
    signals): :func:`freeze_startup_objects` once it is up."""
    async with trio.open_nursery() as api_nursery:
        # Graceful: on stop, hypercorn finishes the requests in flight
        # (the answer to POST /v1/stop among them) before it returns.
        binds: list[str] = await api_nursery.start(
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
        if freeze:
            freeze_startup_objects()
        write_cookie(home, url, context.token)
        log.info("local API on %s (token in %s)", url, home.cookie)
        if on_ready is not None:
            node = context.node
            addrs = tuple(dialable_addrs(node.addrs()))
            on_ready(DaemonInfo(url, context.token, node.peer_id, addrs, _stopper(stopping)))


def freeze_startup_objects() -> None:
    """Collect once, then take every object alive now (modules, the node's
    parts, the API) out of the garbage collector's sight (``gc.freeze``), so
    a full collection walks only what came after start-up.

    A full (generation 2) collection of a node's process walked its ~130,000
    objects, almost all of them there from start-up, and held the node
    meanwhile, every message in flight through it waiting: 124 ms in
    ``benchmarks hops`` (``full_collection_ms``, two nodes up), 0.004 ms
    right after the freeze (docs/daemon.md). Objects frozen here are still freed
    when nothing refers to them; only a reference cycle among them would
    stay, and start-up objects live as long as the process. A process of
    its own only: a test running daemons in its own process keeps its
    collector as it is."""
    gc.collect()
    gc.freeze()


def _stopper(stopping: trio.Event) -> Callable[[], None]:
    """A function that sets ``stopping`` from any thread, or from this trio run."""
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

    return stop


__all__ = ["DaemonInfo", "freeze_startup_objects", "run_daemon"]
