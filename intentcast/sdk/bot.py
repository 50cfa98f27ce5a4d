"""What a bot is, sees and returns: VendorBot, IntentView, OfferSpec, AcceptView."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from intentcast.matching.words import words
from intentcast.peer.relationships import ThreadReply
from intentcast.peer.vendor import Decision
from intentcast.protocol import (
    Accept,
    Intent,
    Offer,
    Signed,
)
from intentcast.protocol.fields import DAY, AttributeValue
from intentcast.protocol.vocab import PAYMENT_MODES

log = logging.getLogger(__name__)


#: Longest an offer may stay valid (the protocol's message lifetime, 30 days).
MAX_VALID_HOURS: Final = 30 * 24
MAX_DELIVERY_DAYS: Final = 365


class BotError(ValueError):
    """A bot or one of its offer specs is misconfigured; the message says
    which setting and why."""


class BotLoadError(Exception):
    """A ``BOT.py`` file cannot be loaded: missing, a syntax error, an error
    while importing it, or not exactly one bot in it. One line, with the
    file (and line, where known)."""


# --- what a bot sees and returns -------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class IntentView:
    """An intent as a bot sees it: what the customer wants and their hard
    terms, flattened. Money in minor units (cents), times in Unix seconds.

    ``signed`` is the full protocol message for anything not shown here.
    """

    #: The intent revision's message id, hex.
    id: str
    category: tuple[str, ...]
    title: str
    description: str
    #: Wanted attributes; ranges are ``(low, high)`` tuples.
    attributes: Mapping[str, AttributeValue]
    quantity: int
    #: Most the customer pays for the whole quantity.
    max_price: int
    currency: str
    #: Country code (``DE``) or geohash (``u33db``) the goods go to.
    region: str
    #: Latest acceptable delivery, or None.
    deliver_by: int | None
    #: Customer terms every offer must accept.
    customer_terms: tuple[str, ...]
    #: Payment modes the customer takes.
    payment_modes: tuple[str, ...]
    #: Minimum vendor rating in hundredths of a star (0: none asked).
    min_rating: int
    expires: int
    #: The node's clock when the intent was handed to the bot.
    now: int
    signed: Signed[Intent] = field(repr=False, compare=False)

    @classmethod
    def of(cls, intent: Signed[Intent], *, now: int) -> IntentView:
        """The view of a signed intent at ``now``."""
        i, t = intent.message, intent.message.terms
        return cls(
            id=intent.id.hex(),
            category=i.category,
            title=i.title,
            description=i.description,
            attributes=i.attributes,
            quantity=i.quantity,
            max_price=t.max_price,
            currency=t.currency,
            region=t.region,
            deliver_by=t.deliver_by,
            customer_terms=t.customer_terms,
            payment_modes=t.payment_modes,
            min_rating=t.min_rating,
            expires=i.expires,
            now=now,
            signed=intent,
        )

    @property
    def days_left(self) -> int | None:
        """Whole days from now to the delivery deadline (None: no deadline)."""
        return None if self.deliver_by is None else max(0, (self.deliver_by - self.now) // DAY)

    def mentions(self, *wanted: str) -> bool:
        """Does the title or description mention any of ``wanted`` (words,
        case-insensitive, plural ``s`` ignored)?"""
        said = words(f"{self.title} {self.description}")
        return any(not said.isdisjoint(words(w)) for w in wanted)

    def in_category(self, *path: str) -> bool:
        """Is the intent in ``path`` or under it (``in_category("services")``)?
        An intent for a broader category (``electronics`` when you sell
        ``electronics/phones``) also counts."""
        shared = min(len(path), len(self.category))
        return self.category[:shared] == tuple(path[:shared])


@dataclass(frozen=True, kw_only=True, slots=True)
class OfferSpec:
    """One offer a bot makes for an intent. Unset settings come from the
    bot's class attributes (see :class:`VendorBot`).

    Raises :class:`BotError` on construction for a value no offer can have.
    """

    title: str
    #: Total for the intent's whole quantity, minor units (cents).
    price: int
    description: str = ""
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    #: Your own item reference; :class:`AcceptView` hands it back.
    sku: str = ""
    #: Lowest total you take under name-your-price (offered only if the
    #: customer takes name-your-price too), or None.
    price_floor: int | None = None
    currency: str | None = None
    #: Days from now to delivery; ignored if ``deliver_by`` is given.
    delivery_days: int | None = None
    #: Exact delivery or appointment time (Unix seconds).
    deliver_by: int | None = None
    ships_to: Sequence[str] | None = None
    #: Customer terms this offer agrees to (binding: they are signed).
    accepts_terms: Sequence[str] | None = None
    payment_modes: Sequence[str] | None = None
    #: Hours the offer stays valid (never past the intent's expiry).
    valid_hours: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise BotError("OfferSpec.title must be a non-empty string")
        _amount("OfferSpec.price", self.price)
        if self.price_floor is not None:
            _amount("OfferSpec.price_floor", self.price_floor)
            if self.price_floor > self.price:
                raise BotError(
                    f"OfferSpec.price_floor ({self.price_floor}) is above the price ({self.price})"
                )
        if self.delivery_days is not None:
            _bounded("OfferSpec.delivery_days", self.delivery_days, 0, MAX_DELIVERY_DAYS)
        if self.valid_hours is not None:
            _bounded("OfferSpec.valid_hours", self.valid_hours, 1, MAX_VALID_HOURS)
        if self.payment_modes is not None:
            check_payment_modes("OfferSpec.payment_modes", self.payment_modes)
        for name in ("ships_to", "accepts_terms", "payment_modes"):
            value = getattr(self, name)
            if value is not None:
                check_strings(f"OfferSpec.{name}", value)
        if not isinstance(self.attributes, Mapping):
            raise BotError("OfferSpec.attributes must be a mapping of names to values")
        for name in ("description", "sku"):
            if not isinstance(getattr(self, name), str):
                raise BotError(f"OfferSpec.{name} must be a string")
        if self.currency is not None and not isinstance(self.currency, str):
            raise BotError("OfferSpec.currency must be a currency code such as EUR")
        if self.deliver_by is not None and type(self.deliver_by) is not int:
            raise BotError("OfferSpec.deliver_by must be Unix seconds (an int)")


@dataclass(frozen=True, kw_only=True, slots=True)
class AcceptView:
    """A customer accepted one of the bot's offers: what they agreed to and
    what they chose to disclose (``contact``, ``shipping``, ...)."""

    intent: IntentView
    #: The accepted offer as signed (title, price, deliver_by, ...).
    offer: Offer
    #: The agreed total: the offer's price, or the customer's named price.
    price: int
    payment_mode: str
    disclosure: Mapping[str, str]
    accept: Signed[Accept] = field(repr=False, compare=False)

    @property
    def sku(self) -> str:
        """The accepted offer's SKU (what :attr:`OfferSpec.sku` said)."""
        return self.offer.item.sku

    @property
    def quantity(self) -> int:
        """Units agreed."""
        return self.offer.quantity


def confirm(note: str = "") -> Decision:
    """An :meth:`VendorBot.on_accept` answer: the deal is on; ``note`` goes
    to the customer (pick-up details, when it ships)."""
    return Decision(True, note)


def decline(reason: str) -> Decision:
    """An :meth:`VendorBot.on_accept` answer: no deal, and why (sold out,
    slot taken)."""
    return Decision(False, reason)


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadView:
    """After the deal: what a customer sent on one of the bot's deals. A
    ``message`` has a ``type`` (``status``: where is my order; ``cancel``,
    ``return``, ``other``) and a ``text``; an ``update`` says that
    ``field`` is now ``value`` (None: removed); a ``forget`` request means
    the node has deleted what it held and the bot should delete the
    customer's data from the shop's own systems too. ``disclosure`` is what
    the shop holds under the deal now (empty after a forget)."""

    what: str
    #: The deal: its accept id, hex (the same id on every event of the deal).
    deal: str
    sku: str
    type: str = ""
    text: str = ""
    field: str = ""
    value: str | None = None
    disclosure: Mapping[str, str] = dataclasses.field(default_factory=dict)


def reply(text: str, type: str = "other") -> ThreadReply:
    """An :meth:`VendorBot.on_message` answer: a message back on the deal
    (``type`` ``shipped``, ``delivered`` or ``other``)."""
    return ThreadReply(type, text)


OfferAnswer: TypeAlias = OfferSpec | Sequence[OfferSpec] | None
AcceptAnswer: TypeAlias = bool | Decision
MessageAnswer: TypeAlias = ThreadReply | str | None


class VendorBot:
    """Base class of a vendor bot. Set the class attributes, override
    :meth:`on_intent` (and optionally :meth:`on_accept`).

    Either handler may be ``def`` or ``async def``. A plain ``def`` runs in
    a worker thread (it may block on a database or an HTTP call without
    freezing the node's network), never two calls at once, so a bot's own
    state needs no locks. An ``async def`` runs on the node's trio loop and
    must not block. Either way the node waits for the answer before it
    handles its next message, for at most ``handler_timeout`` seconds.
    """

    #: Shown on offers as the vendor's name.
    name: str = "Unnamed bot"
    #: Top-level categories whose intents the bot hears (``docs/protocol.md``).
    categories: Sequence[str] = ()
    #: Shop-wide defaults for every :class:`OfferSpec`.
    currency: str = "EUR"
    delivery_days: int = 3
    ships_to: Sequence[str] = ("*",)
    accepts_terms: Sequence[str] = ()
    payment_modes: Sequence[str] = ("prepay",)
    valid_hours: int = 48
    #: At most this many offers per intent (extra ones are dropped).
    max_offers_per_intent: int = 3
    #: Drop offers that break a hard term of the intent (price, currency,
    #: quantity, delivery, region, customer terms, payment). Set to False
    #: only to send them anyway; the customer's node rejects them.
    respect_hard_terms: bool = True
    #: Seconds a handler may take. Past it, the intent gets no offer from
    #: this bot (or the accept is declined) and the node moves on; a
    #: plain ``def`` still running is left to finish, its answer unused.
    handler_timeout: float = 10.0

    def on_intent(self, intent: IntentView) -> OfferAnswer | Awaitable[OfferAnswer]:
        """Offers for ``intent``: one :class:`OfferSpec`, a list, or None."""
        return None

    def on_accept(self, deal: AcceptView) -> AcceptAnswer | Awaitable[AcceptAnswer]:
        """Confirm (True, or :func:`confirm`) or decline (False, or
        :func:`decline` with a reason) an accepted offer. Default: confirm."""
        return True

    def on_message(self, message: ThreadView) -> MessageAnswer | Awaitable[MessageAnswer]:
        """A customer wrote on a deal: answer with :func:`reply` (or a
        string), or None for no answer. Default: none."""
        return None

    def on_update(self, update: ThreadView) -> Awaitable[None] | None:
        """A customer changed a detail (her node already acknowledged it).
        Default: nothing."""
        return None

    def on_forget(self, deal: ThreadView) -> Awaitable[None] | None:
        """A customer asked to be forgotten, or a ``cc:delete-after-deal``
        term fell due: the node has deleted what it held; delete the rest.
        Default: nothing."""
        return None


def _amount(name: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise BotError(f"{name} must be a whole number of minor units (cents), not {value!r}")


def _bounded(name: str, value: object, low: int, high: int) -> None:
    if type(value) is not int or not low <= value <= high:
        raise BotError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


def check_strings(name: str, value: object) -> None:
    """Raise :class:`BotError` unless ``value`` is a list (or tuple) of strings."""
    if (
        isinstance(value, str)
        or not isinstance(value, Sequence)
        or not all(isinstance(v, str) for v in value)
    ):
        raise BotError(f"{name} must be a list of strings, not {value!r}")


def check_bot(bot: VendorBot) -> None:
    """Raise :class:`BotError` naming the first class setting of ``bot``
    that no bot can have (a number as text, one string for a list, ...)."""
    where = type(bot).__name__
    check_strings(f"{where}.categories", bot.categories)
    check_strings(f"{where}.ships_to", bot.ships_to)
    check_strings(f"{where}.accepts_terms", bot.accepts_terms)
    check_payment_modes(f"{where}.payment_modes", bot.payment_modes)
    if not isinstance(bot.currency, str):
        raise BotError(f"{where}.currency must be a currency code such as EUR")
    _bounded(f"{where}.delivery_days", bot.delivery_days, 0, MAX_DELIVERY_DAYS)
    _bounded(f"{where}.valid_hours", bot.valid_hours, 1, MAX_VALID_HOURS)
    _bounded(f"{where}.max_offers_per_intent", bot.max_offers_per_intent, 1, 100)
    if not isinstance(bot.respect_hard_terms, bool):
        raise BotError(f"{where}.respect_hard_terms must be True or False")
    timeout = bot.handler_timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
        raise BotError(f"{where}.handler_timeout must be seconds from 0 to 300, not {timeout!r}")


def check_payment_modes(name: str, modes: object) -> None:
    """Raise :class:`BotError` unless ``modes`` is a non-empty list of known payment modes."""
    if isinstance(modes, str) or not isinstance(modes, Sequence) or not modes:
        raise BotError(f"{name} must be a non-empty list of payment modes")
    check_strings(name, modes)
    unknown = [m for m in modes if m not in PAYMENT_MODES]
    if unknown:
        raise BotError(
            f"{name}: {', '.join(map(repr, unknown))} not one of {', '.join(sorted(PAYMENT_MODES))}"
        )
