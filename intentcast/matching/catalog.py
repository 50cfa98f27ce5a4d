"""Vendor catalogs: a TOML format a shop writes by hand, and its parser.

The parser takes the catalog's *text* and a source name for messages (the
node reads the file). Every problem raises :class:`CatalogError` naming the
source, the line where known, the item and what is wrong. Format reference:
``docs/matching.md``, "Catalog format"; example: ``examples/catalogs/``.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from intentcast.protocol import InvalidMessage, Item, Kind, Offer
from intentcast.protocol import fields as f
from intentcast.protocol.encoding import encode_envelope, pack
from intentcast.protocol.intent import category_path
from intentcast.protocol.kinds import MAX_ENVELOPE_SIZE
from intentcast.protocol.offer import MAX_SKU
from intentcast.protocol.vocab import CURRENCIES, CUSTOMER_TERM_RE, PAYMENT_MODES

from .constraints import NAME_YOUR_PRICE
from .search import CatalogIndex
from .taxonomy import TAXONOMY, UnknownCategory
from .words import item_words

T = TypeVar("T")

MAX_KEYWORDS: Final = 32
MAX_KEYWORD: Final = 32
MAX_TIERS: Final = 16
#: An offer is valid for at most 30 days (the protocol's message lifetime).
MAX_VALID_HOURS: Final = f.MAX_LIFETIME // 3600
MAX_DELIVERY_DAYS: Final = 365
DEFAULT_VALID_HOURS: Final = 48
#: Receivers refuse larger offer envelopes (protocol bound).
MAX_OFFER_ENVELOPE: Final = MAX_ENVELOPE_SIZE[Kind.OFFER]

#: Settings the ``[shop]`` table may give as defaults for every item.
SHOP_DEFAULTS: Final = (
    "currency",
    "ships_to",
    "delivery_days",
    "customer_terms",
    "payment_modes",
    "offer_valid_hours",
)
SHOP_KEYS: Final = frozenset({"name", "description", *SHOP_DEFAULTS})
ITEM_KEYS: Final = frozenset(
    {
        "sku", "category", "title", "description", "keywords", "aliases", "attributes",
        "price", "tiers", "floor", "stock", *SHOP_DEFAULTS,
    }
)  # fmt: skip
TIER_KEYS: Final = frozenset({"min_quantity", "price"})


class CatalogError(ValueError):
    """A catalog that cannot be used, and where and why.

    ``str(error)`` reads like ``shop.toml:42: item 3 (sku 'px8'): price:
    must be a whole number of minor units (cents), not 499.0``.
    """

    def __init__(self, source: str, line: int | None, where: str, problem: str) -> None:
        location = f"{source}:{line}" if line is not None else source
        super().__init__(f"{location}: {where}: {problem}" if where else f"{location}: {problem}")
        self.source = source
        self.line = line
        self.where = where
        self.problem = problem


@dataclass(frozen=True, kw_only=True, slots=True)
class PriceTier:
    """From ``min_quantity`` units on, each unit costs ``unit_price``."""

    min_quantity: int
    unit_price: int


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogItem:
    """One thing a shop sells, with the shop's defaults already applied.

    Prices are per unit in minor units of ``currency``; an offer's total is
    ``unit_price(quantity) * quantity``.
    """

    sku: str
    category: tuple[str, ...]
    title: str
    description: str
    keywords: tuple[str, ...]
    attributes: Mapping[str, f.AttributeValue]
    currency: str
    price: int
    tiers: tuple[PriceTier, ...]
    #: Lowest unit price under name-your-price, or None if not offered.
    floor: int | None
    stock: int
    ships_to: tuple[str, ...]
    delivery_days: int
    customer_terms: tuple[str, ...]
    #: Includes ``name-your-price`` exactly when ``floor`` is set.
    payment_modes: tuple[str, ...]
    offer_valid_hours: int
    #: Normalised words of title, keywords and text attributes
    #: (the simple normaliser of :mod:`.words`; relevance uses :mod:`.search`).
    words: frozenset[str]
    #: What customers call this item besides its title and keywords
    #: (``["couch", "settee"]``): matched like keywords.
    aliases: tuple[str, ...] = ()

    def unit_price(self, quantity: int) -> int:
        """The unit price for an order of ``quantity``: the tier with the
        largest ``min_quantity`` not above it, else the base price."""
        price = self.price
        for tier in self.tiers:
            if tier.min_quantity <= quantity:
                price = tier.unit_price
        return price

    def total_price(self, quantity: int) -> int:
        """The offer total for ``quantity`` units at the tier's unit price."""
        return self.unit_price(quantity) * quantity

    def total_floor(self, quantity: int) -> int | None:
        """The name-your-price floor for ``quantity`` units, or None."""
        return None if self.floor is None else self.floor * quantity


@dataclass(frozen=True, kw_only=True, slots=True)
class Catalog:
    """A shop's name and items (SKUs unique)."""

    name: str
    items: tuple[CatalogItem, ...]
    description: str = ""
    source: str = "<catalog>"
    _index: CatalogIndex | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def index(self) -> CatalogIndex:
        """The catalog's inverted index, built on first use (pure: it only
        depends on the items)."""
        if self._index is None:
            object.__setattr__(self, "_index", CatalogIndex(self.items))
        assert self._index is not None
        return self._index


_ITEM_HEADER: Final = re.compile(r"^\s*\[\[\s*item\s*\]\]")
_SHOP_HEADER: Final = re.compile(r"^\s*\[\s*shop\s*\]")
_TOML_LINE: Final = re.compile(r"at line (\d+)")


def parse_catalog(text: str, *, source: str) -> Catalog:
    """Parse a TOML catalog. ``source`` names it in errors (a file name).

    Raises :class:`CatalogError` for a TOML syntax error or any value the
    format does not allow.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        raise CatalogError(
            source, int(match.group(1)) if match else None, "", f"not valid TOML: {exc}"
        ) from None
    except RecursionError:
        # tomllib recurses once per nested array or inline table.
        raise CatalogError(source, None, "", "not valid TOML: nested too deeply") from None
    except ValueError as exc:
        # int() inside tomllib: a number of more than 4,300 digits.
        raise CatalogError(source, None, "", f"not valid TOML: {exc}") from None
    lines = text.splitlines()
    item_lines = [n for n, line in enumerate(lines, 1) if _ITEM_HEADER.match(line)]
    shop_line = next((n for n, line in enumerate(lines, 1) if _SHOP_HEADER.match(line)), None)

    unknown = sorted(set(data) - {"shop", "item"})
    if unknown:
        raise CatalogError(source, None, "", f"unknown top-level key {unknown[0]!r}; "
                           "a catalog has a [shop] table and [[item]] tables")  # fmt: skip
    shop = data.get("shop")
    if not isinstance(shop, dict):
        raise CatalogError(source, None, "", 'missing [shop] table with at least name = "..."')
    _Reader(source, shop_line, "[shop]").check_keys(shop, SHOP_KEYS)
    reader = _Reader(source, shop_line, "[shop]")
    name = reader.run(lambda: f.text("name", shop.get("name"), f.MAX_NAME))
    description = reader.run(
        lambda: f.text("description", shop.get("description", ""), f.MAX_DESCRIPTION,
                       required=False)
    )  # fmt: skip
    defaults = {key: shop[key] for key in SHOP_DEFAULTS if key in shop}

    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise CatalogError(source, None, "", "no items: add at least one [[item]] table")
    items: list[CatalogItem] = []
    skus: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        line = item_lines[index] if len(item_lines) == len(raw_items) else None
        label = f"item {index + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("sku"), str):
            label += f" (sku {raw['sku']!r})"
        item = _parse_item(raw, defaults, _Reader(source, line, label), name)
        if item.sku in skus:
            raise CatalogError(source, line, label, f"sku repeats item {skus[item.sku]}")
        skus[item.sku] = index + 1
        items.append(item)
    return Catalog(name=name, description=description, items=tuple(items), source=source)


class _Reader:
    """Turns a field problem into a :class:`CatalogError` at one place."""

    def __init__(self, source: str, line: int | None, where: str) -> None:
        self.source, self.line, self.where = source, line, where

    def fail(self, problem: str) -> CatalogError:
        return CatalogError(self.source, self.line, self.where, problem)

    def run(self, check: Callable[[], T]) -> T:
        """Run a protocol field check, re-raising its problem here."""
        try:
            return check()
        except InvalidMessage as exc:
            raise self.fail(f"{exc.field}: {exc.problem}") from None

    def check_keys(self, table: Mapping[str, Any], allowed: frozenset[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")

    def whole(self, name: str, value: object, lo: int, hi: int, unit: str) -> int:
        if type(value) is float:
            raise self.fail(
                f"{name}: must be a whole number of {unit}, not {value!r} (money is in minor "
                "units: 4.99 EUR is 499)"
                if "minor" in unit
                else f"{name}: must be a whole number of {unit}, not {value!r}"
            )
        if type(value) is not int:
            raise self.fail(f"{name}: must be a whole number of {unit}, not {value!r}")
        if not lo <= value <= hi:
            raise self.fail(f"{name}: {value} is outside {lo}..{hi}")
        return value

    def strings(self, name: str, value: object) -> list[str]:
        if not isinstance(value, list) or not all(type(v) is str for v in value):
            raise self.fail(f'{name}: must be a list of text, like ["a", "b"]')
        return value


def _largest_offer_size(
    item: Item,
    *,
    vendor_name: str,
    ships_to: tuple[str, ...],
    customer_terms: tuple[str, ...],
    modes: tuple[str, ...],
    floor: int | None,
) -> int:
    """Bytes of the largest offer envelope this item can produce: every
    number at its widest encoding, placeholder keys and signature."""
    offer = Offer(
        intent_id=bytes(32),
        vendor_key=bytes(32),
        vendor_name=vendor_name,
        item=item,
        quantity=f.MAX_QUANTITY,
        price=f.MAX_AMOUNT,
        currency="EUR",
        deliver_by=f.MAX_TIME,
        ships_to=ships_to,
        customer_terms=customer_terms,
        payment_modes=modes,
        reply_key=bytes(32),
        created=f.MAX_TIME - 1,
        valid_until=f.MAX_TIME,
        price_floor=None if floor is None else f.MAX_AMOUNT,
    )
    return len(encode_envelope(Kind.OFFER, pack(offer.to_body()), bytes(32), bytes(64)))


def _parse_item(
    raw: object, defaults: Mapping[str, Any], r: _Reader, shop_name: str
) -> CatalogItem:
    if not isinstance(raw, dict):
        raise r.fail("must be a table")
    r.check_keys(raw, ITEM_KEYS)
    merged = {**defaults, **raw}
    for key in ("sku", "category", "title", "price", "stock", "currency", "ships_to",
                "payment_modes"):  # fmt: skip
        if key not in merged:
            where = "the item" if key not in SHOP_DEFAULTS else "the item or [shop]"
            raise r.fail(f"missing {key!r} (set it on {where})")

    sku = r.run(lambda: f.text("sku", merged["sku"], MAX_SKU))
    path = merged["category"].split("/") if isinstance(merged["category"], str) else None
    category = r.run(lambda: category_path("category", path or merged["category"]))
    try:
        TAXONOMY.check(category)  # the shared taxonomy (docs/matching.md, "Categories")
    except UnknownCategory as exc:
        raise r.fail(f"category: {exc}") from None
    title = r.run(lambda: f.text("title", merged["title"], f.MAX_TITLE))
    description = r.run(
        lambda: f.text("description", merged.get("description", ""), f.MAX_DESCRIPTION,
                       required=False)
    )  # fmt: skip
    keywords, aliases, attributes = _parse_words(merged, r)
    currency, price, tiers, floor = _parse_money(merged, r)
    stock = r.whole("stock", merged["stock"], 0, f.MAX_QUANTITY * 1000, "units")
    ships_to, delivery_days, customer_terms, modes, valid_hours = _parse_delivery(
        merged, r, has_floor=floor is not None
    )
    # The protocol's own item check (bounds on title, attributes, sku).
    item = r.run(lambda: Item(title=title, description=description, attributes=attributes, sku=sku))
    size = _largest_offer_size(
        item, vendor_name=shop_name, ships_to=ships_to, customer_terms=customer_terms,
        modes=modes, floor=floor,
    )  # fmt: skip
    if size > MAX_OFFER_ENVELOPE:
        raise r.fail(
            f"an offer for this item would be {size} bytes, over the {MAX_OFFER_ENVELOPE} an "
            "offer may have: shorten the description or attributes, or list fewer terms "
            "or regions"
        )
    return CatalogItem(
        sku=sku,
        category=category,
        title=title,
        description=description,
        keywords=keywords,
        aliases=aliases,
        attributes=attributes,
        currency=currency,
        price=price,
        tiers=tiers,
        floor=floor,
        stock=stock,
        ships_to=ships_to,
        delivery_days=delivery_days,
        customer_terms=customer_terms,
        payment_modes=modes,
        offer_valid_hours=valid_hours,
        words=item_words(title, keywords, attributes),
    )


def _parse_words(
    merged: Mapping[str, Any], r: _Reader
) -> tuple[tuple[str, ...], tuple[str, ...], Mapping[str, f.AttributeValue]]:
    """``(keywords, aliases, attributes)``: words lower-cased and bounded,
    attributes whole numbers, booleans or text."""
    keywords = tuple(k.strip().lower() for k in r.strings("keywords", merged.get("keywords", [])))
    aliases = tuple(k.strip().lower() for k in r.strings("aliases", merged.get("aliases", [])))
    for key, values in (("keywords", keywords), ("aliases", aliases)):
        if len(values) > MAX_KEYWORDS:
            raise r.fail(f"{key}: {len(values)} given, at most {MAX_KEYWORDS} allowed")
        for value in values:
            if not value or len(value) > MAX_KEYWORD:
                raise r.fail(f"{key}: {value!r} must be 1..{MAX_KEYWORD} characters")
    raw = merged.get("attributes", {})
    for key, value in raw.items() if isinstance(raw, dict) else ():
        if type(value) is float:
            raise r.fail(
                f"attributes.{key}: {value!r} is a decimal; attributes are whole numbers "
                "(put the unit in the name, e.g. weight_g = 450)"
            )
    return keywords, aliases, r.run(lambda: f.attributes("attributes", raw, allow_ranges=False))


def _parse_money(
    merged: Mapping[str, Any], r: _Reader
) -> tuple[str, int, tuple[PriceTier, ...], int | None]:
    """``(currency, price, tiers, floor)``."""
    currency = merged["currency"]
    if type(currency) is not str or currency not in CURRENCIES:
        raise r.fail(f"currency: {currency!r} is not an ISO 4217 code such as EUR")
    money = "minor units (cents)"
    price = r.whole("price", merged["price"], 0, f.MAX_AMOUNT, money)
    tiers = _parse_tiers(merged.get("tiers", []), r)
    floor: int | None = None
    if "floor" in merged:
        floor = r.whole("floor", merged["floor"], 0, f.MAX_AMOUNT, money)
        cheapest = min([price, *(t.unit_price for t in tiers)])
        if floor > cheapest:
            raise r.fail(f"floor: {floor} is above the lowest unit price {cheapest}")
    return currency, price, tiers, floor


def _parse_delivery(
    merged: Mapping[str, Any], r: _Reader, *, has_floor: bool
) -> tuple[tuple[str, ...], int, tuple[str, ...], tuple[str, ...], int]:
    """``(ships_to, delivery_days, customer_terms, payment_modes, offer_valid_hours)``."""
    ships_to = r.run(lambda: f.regions("ships_to", merged["ships_to"], allow_worldwide=True))
    delivery_days = r.whole(
        "delivery_days", merged.get("delivery_days", 0), 0, MAX_DELIVERY_DAYS, "days"
    )
    customer_terms = r.run(
        lambda: f.sorted_set(
            "customer_terms", merged.get("customer_terms", []), f.MAX_CUSTOMER_TERMS * 2,
            CUSTOMER_TERM_RE,
        )
    )  # fmt: skip
    modes = r.run(lambda: f.sorted_set("payment_modes", merged["payment_modes"], 8, PAYMENT_MODES))
    if NAME_YOUR_PRICE in modes:
        raise r.fail(
            "payment_modes: do not list name-your-price; set floor (the lowest unit price "
            "you accept) on the item instead"
        )
    if has_floor:
        modes = tuple(sorted({*modes, NAME_YOUR_PRICE}))
    if not modes:
        raise r.fail("payment_modes: name at least one payment mode")
    valid_hours = r.whole(
        "offer_valid_hours", merged.get("offer_valid_hours", DEFAULT_VALID_HOURS), 1,
        MAX_VALID_HOURS, "hours",
    )  # fmt: skip
    return ships_to, delivery_days, customer_terms, modes, valid_hours


def _parse_tiers(raw: object, r: _Reader) -> tuple[PriceTier, ...]:
    if not isinstance(raw, list):
        raise r.fail("tiers: must be a list of { min_quantity = N, price = P }")
    if len(raw) > MAX_TIERS:
        raise r.fail(f"tiers: {len(raw)} given, at most {MAX_TIERS} allowed")
    tiers: list[PriceTier] = []
    for n, tier in enumerate(raw, 1):
        if not isinstance(tier, dict) or set(tier) != TIER_KEYS:
            raise r.fail(f"tiers[{n}]: must be {{ min_quantity = N, price = P }}")
        tiers.append(
            PriceTier(
                min_quantity=r.whole(f"tiers[{n}].min_quantity", tier["min_quantity"], 2,
                                     f.MAX_QUANTITY, "units"),
                unit_price=r.whole(f"tiers[{n}].price", tier["price"], 0, f.MAX_AMOUNT,
                                   "minor units (cents)"),
            )
        )  # fmt: skip
    for before, after in itertools.pairwise(tiers):
        if after.min_quantity <= before.min_quantity:
            raise r.fail("tiers: list them by increasing min_quantity, each once")
    return tuple(tiers)
