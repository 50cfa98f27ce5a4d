"""What a vendor node answers: the handler interface and the catalog bot.
Pure: the node (``intentcast.node``) awaits the handler; the simulator
calls :func:`catalog_offers`, the catalog bot's decision, directly.

A vendor plugs a :class:`VendorHandler` into its node. The node calls
:meth:`~VendorHandler.on_intent` for every live intent in the categories
the vendor serves and signs, seals and publishes the offers it returns; it
calls :meth:`~VendorHandler.on_accept` when a customer accepts one of its
offers and signs and sends the confirm or decline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from intentcast.matching import Catalog, OfferDraft, RatingSummary, match_intent
from intentcast.protocol import (
    Accept,
    Confirm,
    Decline,
    Intent,
    Offer,
    Receipt,
    Signed,
    VendorKeys,
    sign,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """A vendor's answer to an accept: confirm (with a note) or decline (with a reason)."""

    confirm: bool
    text: str = ""


class VendorHandler(Protocol):
    """The vendor side of a node."""

    @property
    def categories(self) -> Sequence[str]:
        """Top-level categories whose intents this vendor wants to hear."""
        ...

    @property
    def name(self) -> str:
        """Name shown on offers."""
        ...

    async def on_intent(self, intent: Signed[Intent], *, now: int) -> Sequence[OfferDraft | Offer]:
        """Offers for ``intent`` (empty: no offer): catalog drafts, or
        protocol offers built by hand (the node fills in the vendor's keys)."""
        ...

    async def on_accept(
        self, accept: Signed[Accept], offer: Signed[Offer], intent: Signed[Intent], *, now: int
    ) -> Decision:
        """Confirm or decline an accept of one of this vendor's offers."""
        ...


def reply(
    decision: Decision,
    accept: Signed[Accept],
    offer: Signed[Offer],
    intent: Signed[Intent],
    *,
    keys: VendorKeys,
    now: int,
) -> Signed[Confirm] | Signed[Decline]:
    """The vendor's signed answer to ``accept``: a confirm carrying the
    decision's note and a receipt, or a decline carrying its reason. The
    receipt lets the customer rate this deal in public; it names the deal,
    the intent and the intent's key, nothing else. Signed with the
    vendor's ``keys``."""
    signing = keys.signing
    answers = {"accept_id": accept.id, "offer_id": offer.id, "intent_id": intent.id}
    if not decision.confirm:
        return sign(Decline(**answers, created=now, reason=decision.text), signing)
    receipt = Receipt(deal=accept.id, intent_id=intent.id, rater=intent.signer, created=now)
    confirm = Confirm(
        **answers, created=now, note=decision.text, receipt=sign(receipt, signing).raw
    )
    return sign(confirm, signing)


#: Offers the catalog bot makes per intent at most (its most relevant items).
OFFERS_PER_INTENT: Final = 3


def catalog_offers(
    intent: Signed[Intent],
    catalog: Catalog,
    *,
    now: int,
    rating: RatingSummary | None,
    limit: int,
) -> tuple[OfferDraft, ...]:
    """What a catalog vendor offers for ``intent``: its catalog's matches
    (every hard term met, the customer's minimum rating included, against
    the vendor's own ``rating`` as customers see it; see
    :func:`intentcast.matching.match_intent`), the ``limit`` most relevant."""
    return match_intent(intent, catalog, now=now, rating=rating)[:limit]


class CatalogVendor:
    """A no-code vendor: offers what a TOML catalog has for an intent (every
    hard term met, see :func:`intentcast.matching.match_intent`) and
    confirms every accept while stock lasts."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        max_offers_per_intent: int = OFFERS_PER_INTENT,
        rating: RatingSummary | None = None,
    ) -> None:
        self.catalog = catalog
        #: The vendor's deal-backed rating as customers see it (None: unrated).
        self.rating = rating
        self.name = catalog.name
        self.categories = tuple(sorted({item.category[0] for item in catalog.items}))
        self.max_offers_per_intent = max_offers_per_intent
        self._sold: dict[str, int] = {}

    async def on_intent(self, intent: Signed[Intent], *, now: int) -> Sequence[OfferDraft]:
        return catalog_offers(
            intent, self.catalog, now=now, rating=self.rating, limit=self.max_offers_per_intent
        )

    async def on_accept(
        self, accept: Signed[Accept], offer: Signed[Offer], intent: Signed[Intent], *, now: int
    ) -> Decision:
        sku = offer.message.item.sku
        item = next((i for i in self.catalog.items if i.sku == sku), None)
        if item is None:
            return Decision(False, "This item is no longer in our catalog.")
        sold = self._sold.get(sku, 0)
        if sold + offer.message.quantity > item.stock:
            return Decision(False, "Sold out, sorry.")
        self._sold[sku] = sold + offer.message.quantity
        return Decision(True, f"Confirmed: {item.title}. We will ship as promised.")


def longest_fitting(text: str, fits: Callable[[str], bool]) -> int:
    """How many leading characters of ``text`` fit, by ``fits`` (which must
    hold for every shorter prefix once it holds for a longer one, as a
    message's size does): a binary search, so a 500-character note costs
    nine tries, not 500. 0 if not even the empty text fits."""
    low, high = 0, len(text)  # fits(text[:low]) is assumed; found by the search
    if not fits(""):
        return 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low
