"""The adapter from a bot to the node's vendor handler, with the hard-terms guard."""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import trio

from intentcast.matching import (
    Constraint,
    Violation,
    find_violations,
)
from intentcast.matching.constraints import NAME_YOUR_PRICE
from intentcast.peer.relationships import ThreadEvent, ThreadReply
from intentcast.peer.vendor import Decision
from intentcast.protocol import (
    Accept,
    DealMessage,
    Intent,
    InvalidMessage,
    Item,
    Offer,
    Signed,
    derive_vendor_keys,
    sign,
)
from intentcast.protocol.fields import DAY
from intentcast.protocol.vocab import CATEGORY_SET

from .bot import (
    AcceptView,
    BotError,
    IntentView,
    OfferSpec,
    ThreadView,
    VendorBot,
    check_bot,
    check_payment_modes,
    confirm,
    decline,
)

log = logging.getLogger(__name__)

# --- the adapter to the node -----------------------------------------------------

#: Signs offers only to check them against the intent (find_violations reads
#: a signed offer); the node re-signs with the vendor's real key.
_CHECK_KEYS: Final = derive_vendor_keys(hashlib.blake2b(b"intentcast/1/sdk-check").digest()[:32])


@dataclass(frozen=True, slots=True)
class StoppedOffer:
    """An offer the SDK did not send, and why."""

    intent_id: str
    title: str
    reasons: tuple[str, ...]


class BotVendor:
    """A :class:`VendorBot` as the node's :class:`~.vendor.VendorHandler`:
    calls its handlers, builds protocol offers from its specs, drops the
    ones that would break the customer's hard terms (see :attr:`stopped`),
    and never lets a bot's exception reach the node (it is logged; the
    intent gets no offer, the accept is declined)."""

    def __init__(self, bot: VendorBot) -> None:
        check_bot(bot)
        categories = tuple(bot.categories)
        if isinstance(bot.categories, str) or not categories:
            raise BotError(f"{type(bot).__name__}.categories must list at least one category")
        unknown = [c for c in categories if c not in CATEGORY_SET]
        if unknown:
            raise BotError(
                f"{type(bot).__name__}.categories: {', '.join(map(repr, unknown))} not one of "
                f"{', '.join(sorted(CATEGORY_SET))}"
            )
        if not isinstance(bot.name, str) or not bot.name.strip():
            raise BotError(f"{type(bot).__name__}.name must be a non-empty string")
        check_payment_modes(f"{type(bot).__name__}.payment_modes", bot.payment_modes)
        self.bot = bot
        self.name = bot.name
        self.categories = categories
        #: Offers dropped for breaking the customer's hard terms, newest last
        #: (the last 100).
        self.stopped: list[StoppedOffer] = []
        self._one_at_a_time = trio.CapacityLimiter(1)

    async def _call(self, handler: Callable[[Any], Any], arg: Any) -> Any:
        """``handler(arg)``: awaited if async, else in a worker thread (one
        at a time). Raises :class:`TimeoutError` after the bot's
        ``handler_timeout``, and whatever the handler raises."""
        with trio.move_on_after(self.bot.handler_timeout):
            if inspect.iscoroutinefunction(handler):
                return await handler(arg)
            # The limiter is held until the thread ends, even an abandoned one.
            # trio's typing for mypy predates the abandon_on_cancel name.
            result = await trio.to_thread.run_sync(  # type: ignore[call-arg]
                functools.partial(handler, arg),
                abandon_on_cancel=True,
                limiter=self._one_at_a_time,
            )
            if inspect.isawaitable(result):  # a def that returned a coroutine
                result = await result
            return result
        raise TimeoutError(f"no answer within {self.bot.handler_timeout:g} s (handler_timeout)")

    async def on_intent(self, intent: Signed[Intent], *, now: int) -> Sequence[Offer]:
        view = IntentView.of(intent, now=now)
        try:
            answer = await self._call(self.bot.on_intent, view)
        except TimeoutError as exc:
            log.error("%s: on_intent for intent %s: %s", self.name, view.id[:12], exc)
            return []
        except Exception:
            log.exception("%s: on_intent failed for intent %s", self.name, view.id[:12])
            return []
        if answer is None:
            return []
        if isinstance(answer, OfferSpec):
            specs = [answer]
        elif isinstance(answer, list | tuple):
            specs = list(answer)
        else:
            log.error(
                "%s: on_intent returned %r; return an OfferSpec, a list of them or None",
                self.name,
                answer,
            )
            return []
        offers: list[Offer] = []
        for spec in specs:
            if len(offers) >= self.bot.max_offers_per_intent:
                log.warning(
                    "%s: more than %d offers for intent %s; the rest are dropped",
                    self.name,
                    self.bot.max_offers_per_intent,
                    view.id[:12],
                )
                break
            offer = self._build(spec, intent, now)
            if offer is not None:
                offers.append(offer)
        return offers

    async def on_thread(self, event: ThreadEvent, *, now: int) -> ThreadReply | None:
        """Hand a thread event to the bot's ``on_message``, ``on_update`` or
        ``on_forget``; a message's answer goes back on the deal."""
        view = ThreadView(
            what=event.what, deal=event.deal.hex(), sku=event.sku, type=event.type,
            text=event.text, field=event.field, value=event.value,
            disclosure=dict(event.disclosure),
        )  # fmt: skip
        handler = {
            "message": self.bot.on_message,
            "update": self.bot.on_update,
            "forget": self.bot.on_forget,
        }[event.what]
        try:
            answer = await self._call(handler, view)
        except Exception as exc:  # TimeoutError included: nothing is answered
            log.error("%s: on_%s failed: %s", self.name, event.what, exc)
            return None
        if event.what != "message" or answer is None:
            return None
        if isinstance(answer, str):
            answer = ThreadReply("other", answer)
        if not isinstance(answer, ThreadReply):
            log.error("%s: on_message returned %r, not a reply or a string", self.name, answer)
            return None
        try:  # the reply must make a valid message; say why not here
            DealMessage(deal=event.deal, seq=0, created=now, type=answer.type, text=answer.text)
        except InvalidMessage as exc:
            log.error("%s: on_message's reply is not sent: %s", self.name, exc)
            return None
        return answer

    def _build(self, spec: object, intent: Signed[Intent], now: int) -> Offer | None:
        """The protocol offer for ``spec``, or None (logged) if it is
        malformed or breaks a hard term the bot respects."""
        view_id = intent.id.hex()[:12]
        if not isinstance(spec, OfferSpec):
            log.error("%s: on_intent returned %r, not an OfferSpec", self.name, spec)
            return None
        try:
            offer = to_offer(spec, self.bot, intent, now=now)
            violations = check_offer(offer, intent, now=now)
        except (InvalidMessage, BotError) as exc:
            log.error(
                "%s: offer %r for intent %s is invalid: %s", self.name, spec.title, view_id, exc
            )
            return None
        if violations and self.bot.respect_hard_terms:
            reasons = tuple(v.message for v in violations)
            self.stopped = [*self.stopped[-99:], StoppedOffer(view_id, spec.title, reasons)]
            log.warning(
                "%s: not sending %r for intent %s: it %s",
                self.name,
                spec.title,
                view_id,
                "; it ".join(reasons),
            )
            return None
        return offer

    async def on_accept(
        self, accept: Signed[Accept], offer: Signed[Offer], intent: Signed[Intent], *, now: int
    ) -> Decision:
        a = accept.message
        deal = AcceptView(
            intent=IntentView.of(intent, now=now),
            offer=offer.message,
            price=a.price,
            payment_mode=a.payment_mode,
            disclosure=a.disclosure,
            accept=accept,
        )
        try:
            answer = await self._call(self.bot.on_accept, deal)
        except TimeoutError as exc:
            log.error("%s: on_accept: %s; declining", self.name, exc)
            return decline("The vendor did not answer in time; please try another offer.")
        except Exception:
            log.exception("%s: on_accept failed; declining", self.name)
            return decline("The vendor could not confirm this deal; please try another offer.")
        if isinstance(answer, Decision):
            return answer
        if answer is True:
            return confirm(f"Confirmed: {offer.message.item.title}.")
        if answer is False:
            return decline("The vendor declined this deal.")
        log.error("%s: on_accept returned %r, not a bool or Decision; declining", self.name, answer)
        return decline("The vendor could not confirm this deal; please try another offer.")


def to_offer(spec: OfferSpec, bot: VendorBot, intent: Signed[Intent], *, now: int) -> Offer:
    """The protocol offer for ``spec`` answering ``intent`` at ``now``, with
    the bot's defaults for unset settings. Its keys are placeholders: the
    node puts in the vendor's own.

    Payment modes are narrowed to those the customer takes (when any are
    shared), and a name-your-price floor is kept only if name-your-price
    is among them. Raises :class:`~intentcast.protocol.InvalidMessage` for
    a value the protocol refuses."""
    i = intent.message
    currency = spec.currency or bot.currency
    modes = tuple(spec.payment_modes if spec.payment_modes is not None else bot.payment_modes)
    if spec.price_floor is not None and NAME_YOUR_PRICE not in modes:
        modes = (*modes, NAME_YOUR_PRICE)
    shared = tuple(m for m in modes if m in i.terms.payment_modes)
    modes = shared or modes
    floor = spec.price_floor if NAME_YOUR_PRICE in modes else None
    if floor is None and NAME_YOUR_PRICE in modes:
        modes = tuple(m for m in modes if m != NAME_YOUR_PRICE) or ("prepay",)
    if spec.deliver_by is not None:
        deliver_by = spec.deliver_by
    else:
        days = spec.delivery_days if spec.delivery_days is not None else bot.delivery_days
        deliver_by = now + days * DAY
    hours = spec.valid_hours if spec.valid_hours is not None else bot.valid_hours
    return Offer(
        intent_id=intent.id,
        vendor_key=bytes(32),
        vendor_name=bot.name,
        item=Item(
            title=spec.title,
            description=spec.description,
            attributes=dict(spec.attributes),
            sku=spec.sku,
        ),
        quantity=i.quantity,
        price=spec.price,
        currency=currency,
        deliver_by=deliver_by,
        ships_to=tuple(spec.ships_to if spec.ships_to is not None else bot.ships_to),
        customer_terms=tuple(
            spec.accepts_terms if spec.accepts_terms is not None else bot.accepts_terms
        ),
        payment_modes=modes,
        reply_key=bytes(32),
        created=now,
        valid_until=min(now + hours * 3600, i.expires),
        price_floor=floor,
    )


def check_offer(offer: Offer, intent: Signed[Intent], *, now: int) -> tuple[Violation, ...]:
    """The customer's hard terms ``offer`` breaks, as the customer's node
    would find them, except the rating rule (a bot cannot know how the
    customer rates it). Raises :class:`~intentcast.protocol.InvalidMessage`
    if the offer cannot be signed (too large)."""
    signed = sign(replace(offer, vendor_key=_CHECK_KEYS.vendor_key), _CHECK_KEYS.signing)
    return tuple(
        v for v in find_violations(intent, signed, now=now) if v.constraint is not Constraint.RATING
    )
