"""Vendor side: answer an intent from a catalog, on the customer's terms.

:func:`match_intent` drafts an offer for every relevant item (see
:mod:`.relevance`) that meets every hard constraint of the intent, so a
vendor bot never sends an offer the customer's node would reject.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from intentcast.protocol import Intent, Item, Offer, Signed
from intentcast.protocol.fields import DAY, MAX_AMOUNT

from .catalog import Catalog, CatalogItem
from .constraints import NAME_YOUR_PRICE, ships_to_region
from .relevance import Relevance, assess
from .reputation import NO_RATINGS, RatingSummary, meets_minimum
from .taxonomy import TAXONOMY


@dataclass(frozen=True, kw_only=True, slots=True)
class OfferDraft:
    """An offer a catalog item makes for one intent revision, before the
    vendor signs it. Turn it into a protocol :class:`Offer` with
    :meth:`to_offer`."""

    intent_id: bytes
    item: CatalogItem
    relevance: Relevance
    vendor_name: str
    quantity: int
    #: Total for ``quantity``, minor units of ``currency``.
    price: int
    #: Total floor under name-your-price, or None if not offered.
    price_floor: int | None
    currency: str
    deliver_by: int
    ships_to: tuple[str, ...]
    customer_terms: tuple[str, ...]
    #: The item's payment modes the customer accepts (never empty).
    payment_modes: tuple[str, ...]
    created: int
    valid_until: int

    def to_offer(
        self, *, vendor_key: bytes, reply_key: bytes, vendor_name: str | None = None
    ) -> Offer:
        """The protocol offer, for the vendor to sign with ``vendor_key``'s
        secret. ``reply_key`` is the vendor's X25519 key the customer seals
        the accept to; ``vendor_name`` defaults to the catalog's shop name.

        Raises :class:`~intentcast.protocol.InvalidMessage` only if the
        keys are malformed."""
        i = self.item
        return Offer(
            intent_id=self.intent_id,
            vendor_key=vendor_key,
            vendor_name=self.vendor_name if vendor_name is None else vendor_name,
            item=Item(title=i.title, description=i.description, attributes=i.attributes,
                      sku=i.sku),
            quantity=self.quantity,
            price=self.price,
            currency=self.currency,
            deliver_by=self.deliver_by,
            ships_to=self.ships_to,
            customer_terms=self.customer_terms,
            payment_modes=self.payment_modes,
            reply_key=reply_key,
            created=self.created,
            valid_until=self.valid_until,
            price_floor=self.price_floor,
        )  # fmt: skip


def match_intent(
    intent: Signed[Intent],
    catalog: Catalog,
    *,
    now: int,
    rating: RatingSummary | None = None,
) -> tuple[OfferDraft, ...]:
    """Offer drafts for ``intent`` (one revision) from ``catalog`` at ``now``,
    most relevant first (then cheaper, then by SKU).

    Only items that are relevant and meet every hard constraint are drafted:
    currency, price within the maximum (for the quantity, with tier prices;
    the floor counts when both sides take name-your-price), enough stock,
    delivery by the deadline (``now`` plus the item's delivery days), ships
    to the customer's region, every required customer term accepted, a
    payment mode in common, and the customer's minimum rating. ``rating``
    is the vendor's own deal-backed rating as customers see it; without it
    the vendor is treated as unrated, so intents asking for a rating above
    the starting value get no offer. An expired intent gets none.
    """
    i = intent.message
    t = i.terms
    if i.expires <= now:
        return ()
    if t.min_rating and not meets_minimum(rating or NO_RATINGS, t.min_rating):
        return ()
    wanted_cat = TAXONOMY.resolve(i.category)
    index = catalog.index
    concepts = index.prepare(i.title)
    if concepts:
        # Only items sharing a heavy enough concept can be relevant.
        candidates: Iterable[int] = sorted(index.candidates(concepts))
    elif len(wanted_cat) > 1:
        candidates = index.by_category.get(wanted_cat, ())
    else:
        candidates = ()
    in_line: list[tuple[float, int, str, OfferDraft]] = []
    near: list[tuple[float, int, str, OfferDraft]] = []
    top = wanted_cat[0]
    named = TAXONOMY.named(i.title, top)
    #: The best relevance of an item in line with the intent's category or
    #: the one its title names (even if its hard terms fail).
    best_in_line = 0.0
    for n in candidates:
        item = index.items[n]
        if item.category[0] != top:
            continue
        relevance = assess(i, item, index.analyses[n], concepts, named=named)
        if not relevance.relevant:
            continue
        if not relevance.near_category:
            best_in_line = max(best_in_line, relevance.score)
        draft = _draft(intent, item, relevance, catalog.name, now)
        if draft is not None:
            least = draft.price if draft.price_floor is None else draft.price_floor
            (near if relevance.near_category else in_line).append(
                (-relevance.score, least, item.sku, draft)
            )
    # Items of a sibling or cousin category only when none in line with the
    # intent's category (or the one its title names) is relevant.
    drafts = in_line if best_in_line else near
    drafts.sort(key=lambda d: (d[0], d[1], d[2]))
    return tuple(d[3] for d in drafts)


def _draft(
    intent: Signed[Intent], item: CatalogItem, relevance: Relevance, vendor_name: str, now: int
) -> OfferDraft | None:
    """The offer ``item`` makes for ``intent``, or None if it breaks one of
    the intent's hard terms."""
    i = intent.message
    t = i.terms
    if item.currency != t.currency or item.stock < i.quantity:
        return None
    deliver_by = now + item.delivery_days * DAY
    if t.deliver_by is not None and deliver_by > t.deliver_by:
        return None
    modes = tuple(m for m in item.payment_modes if m in t.payment_modes)
    if not modes or not set(t.customer_terms).issubset(item.customer_terms):
        return None
    price = item.total_price(i.quantity)
    floor = item.total_floor(i.quantity) if NAME_YOUR_PRICE in modes else None
    least = price if floor is None else floor
    if least > t.max_price or price > MAX_AMOUNT:
        return None
    if not ships_to_region(item.ships_to, t.region):
        return None
    return OfferDraft(
        intent_id=intent.id,
        item=item,
        relevance=relevance,
        vendor_name=vendor_name,
        quantity=i.quantity,
        price=price,
        price_floor=floor,
        currency=item.currency,
        deliver_by=deliver_by,
        ships_to=item.ships_to,
        customer_terms=item.customer_terms,
        payment_modes=modes,
        created=now,
        valid_until=min(now + item.offer_valid_hours * 3600, i.expires),
    )
