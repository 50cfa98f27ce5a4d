"""The vendor-bot SDK: what a shop writes to answer intents with code.

A bot is a :class:`VendorBot` subclass with a name, the categories it
serves, shop-wide defaults (currency, delivery, regions, accepted customer
terms, payment modes) and an :meth:`~VendorBot.on_intent` handler that
looks at an :class:`IntentView` and returns :class:`OfferSpec` s (or
nothing). Optionally :meth:`~VendorBot.on_accept` confirms or declines a
customer's accept. Handlers may be plain functions or coroutines.

The SDK turns the specs into protocol offers, and drops (with a log line)
every offer that would break one of the customer's hard terms: the
customer's node would only reject it, so sending it costs bandwidth and
proof of work and teaches the customer nothing. A bot that wants to send
such offers anyway sets ``respect_hard_terms = False``.

:class:`BotVendor` adapts a bot to the node's :class:`~.vendor.VendorHandler`;
:func:`load_bot` imports a ``BOT.py`` file; :func:`run_bot` runs one over a
node home (``intentcast vendor run BOT.py``). Guide: ``docs/bots.md``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, TypeAlias

import trio

from intentcast.matching import (
    Catalog,
    CatalogError,
    CatalogItem,
    Constraint,
    OfferDraft,
    Violation,
    find_violations,
    match_intent,
    parse_catalog,
)
from intentcast.matching.constraints import NAME_YOUR_PRICE
from intentcast.matching.words import words
from intentcast.protocol import (
    Accept,
    Intent,
    InvalidMessage,
    Item,
    Offer,
    Signed,
    derive_vendor_keys,
    sign,
)
from intentcast.protocol.fields import DAY, AttributeValue
from intentcast.protocol.vocab import CATEGORY_SET, PAYMENT_MODES

from .vendor import Decision

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
            _payment_modes("OfferSpec.payment_modes", self.payment_modes)
        for name in ("ships_to", "accepts_terms", "payment_modes"):
            if isinstance(getattr(self, name), str):
                raise BotError(f"OfferSpec.{name} must be a list of strings, not one string")


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


OfferAnswer: TypeAlias = OfferSpec | Sequence[OfferSpec] | None
AcceptAnswer: TypeAlias = bool | Decision


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


# --- a bot from a catalog --------------------------------------------------------


class CatalogBot(VendorBot):
    """A bot that answers from a TOML catalog (``docs/matching.md``), as
    ``vendor run --catalog`` does, and confirms while stock lasts. Subclass
    it and override :meth:`price_for` to price dynamically."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.name = catalog.name
        self.categories = tuple(sorted({item.category[0] for item in catalog.items}))
        self._sold: dict[str, int] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> CatalogBot:
        """The bot for the catalog at ``path``. Raises :class:`BotError`
        for an unreadable or invalid catalog."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise BotError(f"cannot read the catalog {path}: {exc.strerror}") from None
        try:
            return cls(parse_catalog(text, source=str(path)))
        except CatalogError as exc:
            raise BotError(str(exc)) from None

    def item(self, sku: str) -> CatalogItem | None:
        """The catalog item with ``sku``, if any."""
        return next((i for i in self.catalog.items if i.sku == sku), None)

    def in_stock(self, sku: str) -> int:
        """Units of ``sku`` left (catalog stock minus confirmed deals)."""
        item = self.item(sku)
        return 0 if item is None else item.stock - self._sold.get(sku, 0)

    def price_for(self, draft: OfferDraft, intent: IntentView) -> OfferSpec | None:
        """The offer for one matching catalog item (None: skip it). By
        default the catalog's own price, terms and delivery."""
        return spec_from_draft(draft)

    def on_intent(self, intent: IntentView) -> list[OfferSpec]:
        out = []
        for draft in match_intent(intent.signed, self.catalog, now=intent.now):
            if self.in_stock(draft.item.sku) < intent.quantity:
                continue
            spec = self.price_for(draft, intent)
            if spec is not None:
                out.append(spec)
        return out

    def on_accept(self, deal: AcceptView) -> Decision:
        item = self.item(deal.sku)
        if item is None:
            return decline("This item is no longer in our catalog.")
        if self.in_stock(deal.sku) < deal.quantity:
            return decline("Sold out, sorry.")
        self._sold[deal.sku] = self._sold.get(deal.sku, 0) + deal.quantity
        return confirm(f"Confirmed: {item.title}. We will ship as promised.")


def spec_from_draft(draft: OfferDraft, **changes: Any) -> OfferSpec:
    """The :class:`OfferSpec` of a catalog draft (its price, delivery,
    regions, terms), with ``changes`` applied (for example ``price=``)."""
    i = draft.item
    spec = OfferSpec(
        title=i.title,
        description=i.description,
        attributes=i.attributes,
        sku=i.sku,
        price=draft.price,
        price_floor=draft.price_floor,
        currency=draft.currency,
        deliver_by=draft.deliver_by,
        ships_to=draft.ships_to,
        accepts_terms=draft.customer_terms,
        payment_modes=i.payment_modes,
        valid_hours=i.offer_valid_hours,
    )
    return replace(spec, **changes) if changes else spec


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
        _payment_modes(f"{type(bot).__name__}.payment_modes", bot.payment_modes)
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


# --- loading a BOT.py --------------------------------------------------------------


def load_bot(path: str | Path) -> VendorBot:
    """Import the Python file at ``path`` and return its bot: the one
    :class:`VendorBot` instance at module level, or else the one
    :class:`VendorBot` subclass defined in the file (created with no
    arguments). Raises :class:`BotLoadError` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise BotLoadError(f"{path}: no such file")
    digest = hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    module_name = f"intentcast_bot_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise BotLoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look it up
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise BotLoadError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[module_name]
        line = _line_in(path, exc)
        where = f"{path}:{line}" if line is not None else str(path)
        raise BotLoadError(f"{where}: {type(exc).__name__} while loading the bot: {exc}") from None
    return _find_bot(path, module_name, vars(module))


def _line_in(path: Path, exc: BaseException) -> int | None:
    """The last line of ``path`` in ``exc``'s traceback."""
    target = str(path.resolve())
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and str(Path(frame.filename).resolve()) == target:
            line = frame.lineno
    return line


def _find_bot(path: Path, module_name: str, names: Mapping[str, object]) -> VendorBot:
    instances = {id(v): (k, v) for k, v in names.items() if isinstance(v, VendorBot)}
    if len(instances) == 1:
        ((_, bot),) = instances.values()
        assert isinstance(bot, VendorBot)
        return bot
    if len(instances) > 1:
        found = ", ".join(sorted(k for k, _ in instances.values()))
        raise BotLoadError(f"{path}: more than one bot ({found}); keep one per file")
    classes = [
        v
        for v in names.values()
        if isinstance(v, type) and issubclass(v, VendorBot) and v.__module__ == module_name
    ]
    if not classes:
        raise BotLoadError(
            f"{path}: no bot found; define a VendorBot subclass "
            f"(from intentcast.node.sdk import VendorBot) or a VendorBot instance"
        )
    if len(classes) > 1:
        found = ", ".join(sorted(c.__name__ for c in classes))
        raise BotLoadError(
            f"{path}: more than one bot class ({found}); create the one to run "
            f"at module level (bot = {classes[0].__name__}())"
        )
    try:
        bot = classes[0]()
    except Exception as exc:
        raise BotLoadError(
            f"{path}: cannot create {classes[0].__name__}(): {type(exc).__name__}: {exc}"
        ) from None
    return bot


# --- running a bot over a node home ---------------------------------------------


def run_bot(
    home: Path,
    path: Path,
    *,
    handle_signals: bool = True,
    on_ready: Callable[[Any], None] | None = None,
) -> None:
    """Run the bot in ``path`` as the vendor of the node home ``home`` with
    its local API, like ``vendor run --catalog`` (same keys, config, lock,
    store, listen addresses); blocks until stopped.

    Raises :class:`BotLoadError` or :class:`BotError` for the bot, and what
    :func:`~.daemon.run_daemon` raises for the home."""
    from . import daemon  # noqa: PLC0415  (hypercorn only when running)

    daemon.run_daemon(
        home,
        vendor=BotVendor(load_bot(path)),
        vendor_source=Path(path).resolve(),
        handle_signals=handle_signals,
        on_ready=on_ready,
    )


def _amount(name: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise BotError(f"{name} must be a whole number of minor units (cents), not {value!r}")


def _bounded(name: str, value: object, low: int, high: int) -> None:
    if type(value) is not int or not low <= value <= high:
        raise BotError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


def _payment_modes(name: str, modes: object) -> None:
    if isinstance(modes, str) or not isinstance(modes, Sequence) or not modes:
        raise BotError(f"{name} must be a non-empty list of payment modes")
    unknown = [m for m in modes if m not in PAYMENT_MODES]
    if unknown:
        raise BotError(
            f"{name}: {', '.join(map(repr, unknown))} not one of {', '.join(sorted(PAYMENT_MODES))}"
        )


__all__ = [
    "AcceptView",
    "BotError",
    "BotLoadError",
    "BotVendor",
    "CatalogBot",
    "Decision",
    "IntentView",
    "OfferSpec",
    "StoppedOffer",
    "VendorBot",
    "check_offer",
    "confirm",
    "decline",
    "load_bot",
    "run_bot",
    "spec_from_draft",
    "to_offer",
]
