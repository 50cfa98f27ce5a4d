"""A daemon's vendor whose bot runs in another process (``intentcast vendor attach``).

The daemon keeps the vendor keys, the network and the store; the bot
process keeps the shop's code. :class:`RemoteVendor` is the daemon's
:class:`~.vendor.VendorHandler`: it queues each intent (and each accept)
as a *work item*, the attached bot takes items with a long poll of the
local API (``GET /v1/vendor/work``), answers each one
(``POST /v1/vendor/work/{id}``), and the node signs, seals and publishes
the answer exactly as for a bot run in-process.

One bot at a time holds the vendor: it *attaches* with its name and
categories and gets a session; the session lapses when the bot has not
polled for ``lease_seconds`` (a bot that crashed), and the next bot may
attach. While no bot is attached the node answers nothing (an accept is
declined at once, so the customer can try another offer); intents that
arrived meanwhile are answered when a bot attaches.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import trio

from intentcast.peer.relationships import ThreadEvent, ThreadReply
from intentcast.peer.vendor import Decision
from intentcast.protocol import Accept, Intent, InvalidMessage, Offer, Signed
from intentcast.protocol import fields as f
from intentcast.protocol.encoding import unpack
from intentcast.protocol.relationship import MESSAGE_TYPES
from intentcast.protocol.vocab import CATEGORY_SET

log = logging.getLogger(__name__)

#: A bot that has not polled for this long is taken to be gone.
LEASE_SECONDS: Final = 30.0
#: Beyond the bot's own handler timeout, how long the daemon waits for an
#: answer to travel (the poll that fetches the item, the post that answers).
ANSWER_SLACK_SECONDS: Final = 5.0
#: Work items waiting for a bot at most (beyond it, new intents get no offer).
MAX_PENDING: Final = 1_000
#: Offers one answer may carry (the SDK's own cap per intent is lower).
MAX_OFFERS_PER_ANSWER: Final = 16
#: Declines the customer sees when no bot can answer.
OFFLINE: Final = "The vendor is offline; please try another offer."
NO_ANSWER: Final = "The vendor did not answer in time; please try another offer."


class RemoteVendorError(Exception):
    """A request of the attached bot the daemon refuses; ``code`` names why,
    ``status`` is the HTTP status the API answers it with (in the API's one
    error shape: ``daemon/api/app.py``)."""

    status = 400
    code = "refused"


class AlreadyAttached(RemoteVendorError):
    """Another bot holds the vendor and is still polling."""

    status = 409
    code = "attached"


class SessionGone(RemoteVendorError):
    """The session is unknown: it lapsed, was detached, or the daemon restarted."""

    status = 410
    code = "session-gone"


class BadAnswer(RemoteVendorError):
    """An answer that is not what its work item asks for."""

    code = "invalid"


@dataclass(frozen=True, slots=True)
class Attachment:
    """The bot attached now."""

    session: str
    name: str
    categories: tuple[str, ...]
    handler_timeout: float
    #: trio clock of the attach.
    since: float


@dataclass(slots=True, eq=False)
class _Work:
    id: str
    item: dict[str, Any]
    done: trio.Event = field(default_factory=trio.Event)
    #: True once a poll handed it out.
    taken: bool = False
    answer: Any = None


def b64(raw: bytes) -> str:
    """Bytes as the API's work items carry them."""
    return base64.b64encode(raw).decode("ascii")


def unb64(text: object, what: str) -> bytes:
    """The bytes of an API base64 string; :class:`BadAnswer` if it is not one."""
    if not isinstance(text, str):
        raise BadAnswer(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadAnswer(f"{what} is not valid base64") from None


def check_attach(name: object, categories: object, handler_timeout: object) -> None:
    """Raise :class:`BadAnswer` unless these describe a bot that can attach."""
    try:
        f.text("name", name, f.MAX_NAME)
    except InvalidMessage as exc:
        raise BadAnswer(str(exc)) from None
    if (
        isinstance(categories, str)
        or not isinstance(categories, list)
        or not categories
        or not all(isinstance(c, str) for c in categories)
    ):
        raise BadAnswer("categories must be a non-empty list of category names")
    unknown = [c for c in categories if c not in CATEGORY_SET]
    if unknown:
        raise BadAnswer(
            f"categories: {', '.join(map(repr, unknown))} not one of "
            f"{', '.join(sorted(CATEGORY_SET))}"
        )
    if (
        isinstance(handler_timeout, bool)
        or not isinstance(handler_timeout, int | float)
        or not 0 < handler_timeout <= 300
    ):
        raise BadAnswer("handler_timeout must be a number of seconds from 0 to 300")


class RemoteVendor:
    """The vendor handler of a daemon whose bot runs in another process.

    ``name`` and ``categories`` are the attached bot's (empty while none
    is). All methods run on the daemon's trio loop.
    """

    def __init__(
        self, *, lease_seconds: float = LEASE_SECONDS, max_pending: int = MAX_PENDING
    ) -> None:
        self.lease_seconds = lease_seconds
        self.max_pending = max_pending
        self.attached: Attachment | None = None
        #: Categories of the last bot; kept after it leaves so that the node
        #: stays subscribed and a returning bot catches up from the cache.
        self.categories: tuple[str, ...] = ()
        self._last_poll = 0.0
        self._work: OrderedDict[str, _Work] = OrderedDict()
        self._arrived = trio.Event()

    @property
    def name(self) -> str:
        return self.attached.name if self.attached is not None else "(no bot attached)"

    def live(self) -> Attachment | None:
        """The attached bot, if it still polls (a lapsed one is dropped here)."""
        a = self.attached
        # A bot busy with slow handlers polls less often: never lapse it sooner
        # than two of its handler timeouts.
        lease = None if a is None else max(self.lease_seconds, 2 * a.handler_timeout)
        if a is not None and lease is not None and trio.current_time() - self._last_poll > lease:
            log.warning("vendor bot %r stopped polling; it is detached", a.name)
            self._drop()
            return None
        return a

    # --- the bot's side (the API calls these) ----------------------------------

    def attach(self, name: object, categories: object, handler_timeout: object) -> Attachment:
        """Attach a bot; raises :class:`BadAnswer` for a malformed request and
        :class:`AlreadyAttached` if another bot still polls."""
        check_attach(name, categories, handler_timeout)
        assert isinstance(name, str) and isinstance(categories, list)
        assert isinstance(handler_timeout, int | float)
        current = self.live()
        if current is not None:
            raise AlreadyAttached(
                f"the bot {current.name!r} is attached to this node; stop it first "
                f"(or wait {self.lease_seconds:.0f} s after it died)"
            )
        now = trio.current_time()
        self.attached = Attachment(
            session=secrets.token_urlsafe(16),
            name=name.strip(),
            categories=tuple(dict.fromkeys(categories)),
            handler_timeout=float(handler_timeout),
            since=now,
        )
        self.categories = self.attached.categories
        self._last_poll = now
        log.info("vendor bot %r attached for %s", name, ", ".join(self.categories))
        return self.attached

    def detach(self, session: str) -> None:
        """End ``session``: its pending work gets no answer."""
        self._session(session)
        assert self.attached is not None
        log.info("vendor bot %r detached", self.attached.name)
        self._drop()

    async def take_work(
        self, session: str, *, timeout: float, limit: int = 32
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` work items not handed out yet, waiting up to
        ``timeout`` seconds for the first (a long poll; it also renews the lease)."""
        self._session(session)
        with trio.move_on_after(timeout):
            while not any(not w.taken for w in self._work.values()):
                self._last_poll = trio.current_time()
                self._arrived = trio.Event()
                await self._arrived.wait()
                self._session(session)  # detached or replaced while waiting
        self._last_poll = trio.current_time()
        out: list[dict[str, Any]] = []
        for w in self._work.values():
            if not w.taken:
                w.taken = True
                out.append(w.item)
                if len(out) >= limit:
                    break
        return out

    def answer(self, session: str, work_id: str, body: Mapping[str, Any]) -> None:
        """The bot's answer to one work item; :class:`BadAnswer` if malformed
        (the item keeps waiting for a good answer until its time is up)."""
        self._session(session)
        self._last_poll = trio.current_time()
        work = self._work.get(work_id)
        if work is None:
            raise SessionGone(f"no work item {work_id!r} waits for an answer (timed out?)")
        if work.item["kind"] == "intent":
            work.answer = _offers(body)
        elif work.item["kind"] == "thread":
            work.answer = _thread_reply(body)
        else:
            work.answer = _decision(body)
        work.done.set()

    # --- the node's side (VendorHandler) -------------------------------------

    async def on_intent(self, intent: Signed[Intent], *, now: int) -> Sequence[Offer]:
        answer = await self._ask(
            {"kind": "intent", "intent": b64(intent.raw), "now": now}, default=[]
        )
        assert isinstance(answer, list)
        for offer in answer:
            if offer.intent_id != intent.id:
                log.error(
                    "the bot answered intent %s with an offer for another", intent.id.hex()[:12]
                )
                return []
        return answer

    async def on_accept(
        self, accept: Signed[Accept], offer: Signed[Offer], intent: Signed[Intent], *, now: int
    ) -> Decision:
        item = {
            "kind": "accept",
            "accept": b64(accept.raw),
            "offer": b64(offer.raw),
            "intent": b64(intent.raw),
            "now": now,
        }
        answer = await self._ask(item, default=None)
        if answer is None:
            return Decision(False, OFFLINE if self.attached is None else NO_ANSWER)
        assert isinstance(answer, Decision)
        return answer

    async def on_thread(self, event: ThreadEvent, *, now: int) -> ThreadReply | None:
        """A customer's message, update or forget request on one of the
        vendor's deals, handed to the attached bot (``kind: thread``)."""
        item = {
            "kind": "thread",
            "what": event.what,
            "deal": event.deal.hex(),
            "message_id": event.message_id.hex(),
            "sku": event.sku,
            "created": event.created,
            "type": event.type,
            "text": event.text,
            "field": event.field,
            "value": event.value,
            "disclosure": dict(event.disclosure),
            "now": now,
        }
        answer = await self._ask(item, default=NO_REPLY)
        return None if answer is NO_REPLY else answer

    async def _ask(self, item: dict[str, Any], *, default: Any) -> Any:
        a = self.live()
        if a is None:
            return default
        if len(self._work) >= self.max_pending:
            log.warning("vendor bot %r is %d items behind; skipping one", a.name, len(self._work))
            return default
        work = _Work(secrets.token_hex(8), {**item})
        work.item["id"] = work.id
        self._work[work.id] = work
        self._arrived.set()
        try:
            with trio.move_on_after(a.handler_timeout + ANSWER_SLACK_SECONDS):
                await work.done.wait()
        finally:
            self._work.pop(work.id, None)
        if not work.done.is_set():
            log.error("vendor bot %r did not answer %s in time", a.name, item["kind"])
            return default
        # None: the bot detached or lapsed before it answered.
        return default if work.answer is None else work.answer

    def _session(self, session: str) -> None:
        a = self.live()
        given = session.encode("utf-8", "surrogatepass")  # any text a client sends
        if a is None or not secrets.compare_digest(a.session.encode(), given):
            raise SessionGone("this bot session is not attached (it lapsed or the node restarted)")

    def _drop(self) -> None:
        self.attached = None
        for work in self._work.values():
            work.answer = None
            work.done.set()
        self._work.clear()
        self._arrived.set()


def _offers(body: Mapping[str, Any]) -> list[Offer]:
    raw = body.get("offers")
    if not isinstance(raw, list):
        raise BadAnswer("an answer to an intent needs 'offers': a list (empty for no offer)")
    if len(raw) > MAX_OFFERS_PER_ANSWER:
        raise BadAnswer(f"at most {MAX_OFFERS_PER_ANSWER} offers per intent")
    offers = []
    for n, text in enumerate(raw):
        data = unb64(text, f"offers[{n}]")
        try:
            offers.append(Offer.from_body(unpack(data)))
        except InvalidMessage as exc:
            raise BadAnswer(f"offers[{n}] is not a valid offer body: {exc}") from None
        except Exception:  # whatever bytes the bot sent, the daemon keeps running
            raise BadAnswer(f"offers[{n}] is not a msgpack offer body") from None
    return offers


#: A thread item answered without a message back.
NO_REPLY: Final = "no-reply"


def _thread_reply(body: Mapping[str, Any]) -> ThreadReply | str:
    kind, text = body.get("reply_type"), body.get("text", "")
    if kind is None:
        return NO_REPLY
    if kind not in MESSAGE_TYPES:
        raise BadAnswer(f"reply_type must be one of {', '.join(MESSAGE_TYPES)}")
    try:
        return ThreadReply(kind, f.text("text", text, f.MAX_NOTE, required=False))
    except InvalidMessage as exc:
        raise BadAnswer(str(exc)) from None


def _decision(body: Mapping[str, Any]) -> Decision:
    confirm, text = body.get("confirm"), body.get("text", "")
    if not isinstance(confirm, bool):
        raise BadAnswer("an answer to an accept needs 'confirm': true or false")
    try:
        return Decision(confirm, f.text("text", text, f.MAX_NOTE, required=False))
    except InvalidMessage as exc:
        raise BadAnswer(str(exc)) from None
