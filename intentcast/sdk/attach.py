"""Running a bot against a node daemon that is already running
(``intentcast vendor attach BOT.py``).

The bot's process holds no keys and no network: it long-polls the daemon's
local API for work (intents, accepts), runs the bot through the same
:class:`BotVendor` as ``vendor run BOT.py`` (hard-terms guard, timeouts,
error isolation), and posts the answers back; the daemon signs, seals and
publishes them. When the daemon stops or restarts, the bot waits and
attaches again (the token is re-read from the new cookie).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
import trio

from intentcast.daemon.signals import stop_on_signal
from intentcast.peer.backoff import Backoff
from intentcast.peer.relationships import ThreadEvent
from intentcast.protocol import ProtocolError, decode_stored
from intentcast.protocol.encoding import pack

from . import client as _client
from .adapter import BotVendor
from .client import ApiFailure, BadResponse, Cookie, NotRunning, decode
from .loading import load_bot

log = logging.getLogger(__name__)

#: Work items the bot process answers at once (a sync handler still runs
#: one call at a time; async handlers overlap).
CONCURRENCY: Final = 8
#: Seconds between attempts to reach a stopped daemon (doubling, jittered).
RETRY_MIN: Final = 0.5
RETRY_MAX: Final = 10.0


class AttachError(Exception):
    """The bot cannot attach; one line saying why and what to do."""


class DaemonNotRunning(AttachError, NotRunning):
    """No daemon runs for the home."""


@dataclass(frozen=True, slots=True)
class Attached:
    """What :func:`attach_bot` hands ``on_ready``: the daemon and a stop switch."""

    url: str
    name: str
    categories: tuple[str, ...]
    #: Stops the bot from any thread (it detaches first).
    stop: Callable[[], None]


class _SessionGone(Exception):
    pass


def read_cookie(home: Path) -> Cookie:
    """The URL and token of the daemon running over ``home``
    (:func:`.client.read_cookie`); :class:`DaemonNotRunning` if there is none."""
    try:
        return _client.read_cookie(home)
    except NotRunning as exc:
        raise DaemonNotRunning(str(exc)) from None


def attach_bot(
    home: Path,
    path: Path,
    *,
    handle_signals: bool = True,
    on_ready: Callable[[Attached], None] | None = None,
) -> None:
    """Load the bot in ``path`` and answer the intents of the daemon running
    over ``home`` with it until stopped (Ctrl-C, SIGTERM, ``Attached.stop``).

    Raises :class:`~.bot.BotLoadError` or :class:`~.bot.BotError` for the
    bot, :class:`DaemonNotRunning` if no daemon runs at the start, and
    :class:`AttachError` if the daemon refuses the bot (not a vendor node,
    another bot attached).
    """
    vendor = BotVendor(load_bot(path))
    read_cookie(home)  # fail fast, before trio starts
    trio.run(_run, Path(home), vendor, handle_signals, on_ready)


async def _run(
    home: Path,
    vendor: BotVendor,
    handle_signals: bool,
    on_ready: Callable[[Attached], None] | None,
) -> None:
    stopping = trio.Event()
    trio_token = trio.lowlevel.current_trio_token()

    def stop() -> None:
        try:
            trio.from_thread.run_sync(stopping.set, trio_token=trio_token)
        except RuntimeError:  # called on the loop itself
            stopping.set()
        except trio.RunFinishedError:
            pass

    async with trio.open_nursery() as nursery:
        if handle_signals:
            nursery.start_soon(stop_on_signal, stopping, log, "detaching")

        async def watch() -> None:
            await stopping.wait()
            nursery.cancel_scope.cancel()

        nursery.start_soon(watch)
        refused: AttachError | None = None
        try:
            await _attached_loop(home, vendor, on_ready, stop)
        except AttachError as exc:  # raised bare, not inside the nursery's group
            refused = exc
        nursery.cancel_scope.cancel()
    if refused is not None:
        raise refused


async def _attached_loop(
    home: Path,
    vendor: BotVendor,
    on_ready: Callable[[Attached], None] | None,
    stop: Callable[[], None],
) -> None:
    backoff = Backoff(RETRY_MIN, RETRY_MAX, random.random)
    ready_sent = False
    while True:
        try:
            cookie = read_cookie(home)
            url = cookie.url
            async with httpx.AsyncClient(
                base_url=url,
                headers=cookie.headers,
                timeout=httpx.Timeout(10.0, read=40.0),
            ) as client:
                session = await _attach(client, vendor)
                backoff.reset()
                log.info(
                    "bot %r attached to the node at %s for %s",
                    vendor.name,
                    url,
                    ", ".join(vendor.categories),
                )
                if on_ready is not None and not ready_sent:
                    ready_sent = True
                    on_ready(Attached(url, vendor.name, tuple(vendor.categories), stop))
                try:
                    await _serve(client, session, vendor)
                finally:
                    with trio.CancelScope(shield=True), trio.move_on_after(2):
                        await _detach(client, session)
        except (DaemonNotRunning, httpx.TransportError) as exc:
            log.warning(
                "the node is not reachable (%s); retrying in %.1f s", _why(exc), backoff.step
            )
        except _SessionGone as exc:
            why = f" ({exc})" if str(exc) else ""
            log.warning("the node restarted or dropped this bot%s; attaching again", why)
        await trio.sleep(backoff.next_delay())


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, AttachError) else type(exc).__name__


async def _call(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = await client.request(method, path, **kwargs)
    try:
        data = decode(response)
    except BadResponse as exc:
        raise AttachError(str(exc)) from None
    except ApiFailure as exc:
        if exc.status == 410:
            raise _SessionGone from None
        if exc.status == 401:  # a new token: the daemon restarted
            raise DaemonNotRunning("the node's token changed") from None
        raise AttachError(str(exc)) from None
    assert isinstance(data, dict)
    return data


async def _attach(client: httpx.AsyncClient, vendor: BotVendor) -> str:
    data = await _call(
        client,
        "POST",
        "/v1/vendor/attach",
        json={
            "name": vendor.name,
            "categories": list(vendor.categories),
            "handler_timeout": vendor.bot.handler_timeout,
        },
    )
    return str(data["session"])


async def _detach(client: httpx.AsyncClient, session: str) -> None:
    # The daemon may be gone, or have dropped this bot already.
    with contextlib.suppress(AttachError, _SessionGone, httpx.HTTPError):
        await _call(client, "POST", "/v1/vendor/detach", json={"session": session})


async def _serve(client: httpx.AsyncClient, session: str, vendor: BotVendor) -> None:
    """Poll for work and answer it until the poll fails; raises what it
    failed with (outside the nursery, so the caller sees it bare)."""
    limiter = trio.CapacityLimiter(CONCURRENCY)
    failure: Exception | None = None
    async with trio.open_nursery() as nursery:
        try:
            while True:
                data = await _call(client, "GET", "/v1/vendor/work", params={"session": session})
                for item in data.get("work", []):
                    await limiter.acquire_on_behalf_of(item["id"])
                    nursery.start_soon(_work, client, session, vendor, item, limiter)
        except (AttachError, _SessionGone, httpx.HTTPError) as exc:
            failure = exc
            nursery.cancel_scope.cancel()
    assert failure is not None
    if isinstance(failure, AttachError) and not isinstance(failure, DaemonNotRunning):
        # The node answered the poll with an error: log it and attach again.
        raise _SessionGone(str(failure))
    raise failure


async def _work(
    client: httpx.AsyncClient,
    session: str,
    vendor: BotVendor,
    item: dict[str, Any],
    limiter: trio.CapacityLimiter,
) -> None:
    try:
        body = await _answer(vendor, item)
        if body is not None:
            await _call(
                client, "POST", f"/v1/vendor/work/{item['id']}", json={"session": session, **body}
            )
    except (AttachError, httpx.HTTPError) as exc:
        log.error("answering work item %s failed: %s", item.get("id"), exc)
    except _SessionGone:
        pass  # the poll loop notices too and attaches again
    finally:
        limiter.release_on_behalf_of(item["id"])


async def _answer(vendor: BotVendor, item: dict[str, Any]) -> dict[str, Any] | None:
    """The answer body for one work item (None: an item this bot cannot read)."""
    try:
        now = int(item["now"])
        if item["kind"] == "intent":
            intent = decode_stored(base64.b64decode(item["intent"]))
            offers = await vendor.on_intent(intent, now=now)
            return {"offers": [base64.b64encode(pack(o.to_body())).decode("ascii") for o in offers]}
        if item["kind"] == "accept":
            accept, offer, intent = (
                decode_stored(base64.b64decode(item[k])) for k in ("accept", "offer", "intent")
            )
            decision = await vendor.on_accept(accept, offer, intent, now=now)
            return {"confirm": decision.confirm, "text": decision.text}
        if item["kind"] == "thread":
            event = ThreadEvent(
                what=item["what"], deal=bytes.fromhex(item["deal"]),
                message_id=bytes.fromhex(item["message_id"]), sku=item["sku"],
                created=int(item["created"]), type=item["type"], text=item["text"],
                field=item["field"], value=item["value"], disclosure=dict(item["disclosure"]),
            )  # fmt: skip
            reply = await vendor.on_thread(event, now=now)
            return {} if reply is None else {"reply_type": reply.type, "text": reply.text}
    except (KeyError, TypeError, ValueError, ProtocolError) as exc:
        log.error("work item %s is unreadable: %s", item.get("id"), exc)
        return None
    log.warning("work item %s of an unknown kind %r; skipped", item.get("id"), item.get("kind"))
    return None


__all__ = ["AttachError", "Attached", "DaemonNotRunning", "attach_bot", "read_cookie"]
