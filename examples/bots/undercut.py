"""A dynamic-pricing bot: undercut the customer's budget, never below a floor.

Preisbrecher sells phones. Each product in ``undercut.toml`` has a list
price and a floor (the least the shop will take). For every phone intent
it prices from the customer's maximum down: a few percent under the
maximum, never above the list price and never under the floor. If even
the floor is above the customer's maximum it stays silent (the SDK would
stop that offer anyway; a polite bot does not try). When the customer
takes name-your-price, the offer also carries the floor, so the customer
may name any price from there up.

Run it: ``intentcast vendor run examples/bots/undercut.py``
"""

import tomllib
from pathlib import Path
from typing import Any

from intentcast.sdk import (
    AcceptView,
    Decision,
    IntentView,
    OfferSpec,
    VendorBot,
    confirm,
    decline,
)

PRICE_LIST = tomllib.loads(Path(__file__).with_name("undercut.toml").read_text())
SHOP = PRICE_LIST["shop"]


class Preisbrecher(VendorBot):
    name = SHOP["name"]
    categories = ("electronics",)
    ships_to = SHOP["ships_to"]
    delivery_days = SHOP["delivery_days"]
    accepts_terms = SHOP["accepts_terms"]
    payment_modes = SHOP["payment_modes"]
    valid_hours = 24  # prices move; offers do not stay long

    def __init__(self) -> None:
        self.products = PRICE_LIST["product"]
        self.stock = {p["sku"]: p["stock"] for p in self.products}

    def price(self, product: dict[str, Any], intent: IntentView) -> int | None:
        """Total for the intent's quantity: ``undercut_percent`` under the
        customer's maximum, capped by the list price, at least the floor;
        None if the floor is above the maximum."""
        n = intent.quantity
        floor: int = product["floor"] * n
        list_price: int = product["list_price"] * n
        if floor > intent.max_price:
            return None
        undercut: int = SHOP["undercut_percent"]
        target = intent.max_price * (100 - undercut) // 100
        return max(floor, min(list_price, target))

    def on_intent(self, intent: IntentView) -> list[OfferSpec]:
        if not intent.in_category("electronics", "phones") or intent.currency != "EUR":
            return []
        offers = []
        for product in self.products:
            if not intent.mentions(*product["keywords"]):
                continue
            if self.stock[product["sku"]] < intent.quantity:
                continue
            price = self.price(product, intent)
            if price is None:
                continue
            offers.append(
                OfferSpec(
                    title=product["title"],
                    sku=product["sku"],
                    attributes=product["attributes"],
                    price=price,
                    # Offered only if the customer takes name-your-price too.
                    price_floor=min(price, product["floor"] * intent.quantity),
                )
            )
        return offers

    def on_accept(self, deal: AcceptView) -> Decision:
        if self.stock.get(deal.sku, 0) < deal.quantity:
            return decline("Sold out at this price, sorry.")
        self.stock[deal.sku] -= deal.quantity
        return confirm(f"Deal at {deal.price / 100:.2f} {deal.offer.currency}. Ships in 3 days.")
