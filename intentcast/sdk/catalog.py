"""A bot answering from a TOML catalog."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from intentcast.daemon.config import CatalogUnreadable, read_catalog
from intentcast.matching import (
    Catalog,
    CatalogError,
    CatalogItem,
    OfferDraft,
    match_intent,
)
from intentcast.peer.vendor import Decision

from .bot import AcceptView, BotError, IntentView, OfferSpec, VendorBot, confirm, decline

log = logging.getLogger(__name__)

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
        try:
            return cls(read_catalog(Path(path)))
        except (CatalogError, CatalogUnreadable) as exc:
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
