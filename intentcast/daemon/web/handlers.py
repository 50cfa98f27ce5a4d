"""API endpoints the web app needs beyond the CLI's, in the API's style
(JSON, one error shape, listed in the OpenAPI document): the sign-in code,
the session's CSRF token, the vocabulary for the intent form, and the
vendor's side (offers made, the catalog served)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request

from intentcast.matching.formatting import format_money
from intentcast.matching.taxonomy import TAXONOMY
from intentcast.peer.vendor import CatalogVendor
from intentcast.protocol.vocab import (
    CATEGORIES,
    COUNTRIES,
    CURRENCIES,
    DISCLOSURE_FIELDS,
    KNOWN_CUSTOMER_TERMS,
    PAYMENT_MODES,
    PREFERENCE_CRITERIA,
)

from ..api.answers import OfferView, Open, TermsView
from ..api.context import ApiContext
from ..api.errors import Unauthorized
from ..api.handlers import query_limit
from ..api.render import offer_json, terms_json
from .gate import session_of
from .sessions import LOGIN_SECONDS

#: What each payment mode means, for the form.
PAYMENT_MEANINGS: Final = {
    "prepay": "pay in full before shipping",
    "pay-on-delivery": "pay when the goods arrive",
    "pay-after-delivery": "pay after trying the goods, within the vendor's window",
    "name-your-price": "you name the price, at or above the offer's floor",
    "escrow": "a third party holds the money until delivery",
}

#: Own intents whose categories the form suggests (the newest).
RECENT_INTENTS: Final = 50
#: Longest list of ``GET /v1/vendor/offers`` (newest first).
MAX_VENDOR_OFFERS: Final = 500


# --- answers ---------------------------------------------------------------------------


class WebLogin(Open):
    #: The one-time sign-in link; it works once, within ``expires_in`` seconds.
    url: str
    expires_in: float


class WebSession(Open):
    #: The CSRF token every change of this session carries in ``X-CSRF-Token``.
    csrf: str
    version: str


class WebLogout(Open):
    signed_out: bool


class Vocab(Open):
    categories: list[str]
    currencies: list[str]
    countries: list[str]
    payment_modes: dict[str, str]
    customer_terms: dict[str, str]
    preference_criteria: list[str]
    disclosure_fields: list[str]
    profile: dict[str, str]
    roles: list[str]


class MadeIntent(Open):
    id: str
    title: str
    category: str
    quantity: int
    terms: TermsView


class MadeOffer(Open):
    state: str
    intent: MadeIntent
    offer: OfferView


class VendorOffers(Open):
    offers: list[MadeOffer]
    total: int


class CatalogItem(Open):
    sku: str
    category: str
    title: str
    price: int
    price_text: str
    floor: int | None
    stock: int
    ships_to: list[str]
    delivery_days: int
    customer_terms: list[str]
    payment_modes: list[str]


class VendorCatalog(Open):
    name: str | None
    items: list[CatalogItem]


# --- the endpoints -------------------------------------------------------------------


async def web_login(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """A one-time sign-in link for the web app (token holders only): the
    link works once, within a minute, and sets the browser's session cookie."""
    if "authorization" not in request.headers:
        raise Unauthorized("a sign-in link needs the API token: run intentcast open")
    code = ctx.web.new_code()
    host, port = request.scope["server"]
    return {
        "url": f"http://{host}:{port}/app/login?code={code}",
        "expires_in": LOGIN_SECONDS,
    }


async def web_session(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The signed-in browser's session: the CSRF token its changes carry
    in ``X-CSRF-Token``."""
    found = session_of(request.scope, dict(request.scope["headers"]), ctx.web)
    if found is None:
        raise Unauthorized("not signed in: run intentcast open")
    return {"csrf": found[1].csrf, "version": ctx.version}


async def web_logout(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """End the browser's session."""
    found = session_of(request.scope, dict(request.scope["headers"]), ctx.web)
    if found is None:
        raise Unauthorized("not signed in")
    ctx.web.end(found[0])
    return {"signed_out": True}


def _known_categories(ctx: ApiContext) -> list[str]:
    """Category paths this node knows: the shared taxonomy's (every level),
    its recent intents' and its catalog's."""
    seen = set(CATEGORIES) | {category.shown for category in TAXONOMY}
    for own in ctx.node.store.intents.newest(RECENT_INTENTS):
        path = own.intent.message.category
        seen.update("/".join(path[:n]) for n in range(1, len(path) + 1))
    vendor = ctx.node.vendor
    if isinstance(vendor, CatalogVendor):
        for item in vendor.catalog.items:
            seen.update("/".join(item.category[:n]) for n in range(1, len(item.category) + 1))
    return sorted(seen)


async def vocab(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """What an intent draft and an accept may say: categories, currencies,
    countries, payment modes and Customer Commons terms with their meaning,
    preference criteria, and the profile details you may disclose."""
    return {
        "categories": _known_categories(ctx),
        "currencies": sorted(CURRENCIES),
        "countries": sorted(COUNTRIES),
        "payment_modes": {m: PAYMENT_MEANINGS.get(m, "") for m in sorted(PAYMENT_MODES)},
        "customer_terms": dict(KNOWN_CUSTOMER_TERMS),
        "preference_criteria": list(PREFERENCE_CRITERIA),
        "disclosure_fields": sorted(DISCLOSURE_FIELDS),
        "profile": dict(ctx.settings.profile),
        "roles": list(ctx.settings.roles),
    }


async def vendor_offers(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Offers this node made as a vendor, newest first (at most ``limit``,
    500 by default), with the intent each answers (the intents that
    matched) and where each stands; ``total`` counts them all."""
    limit = query_limit(request, MAX_VENDOR_OFFERS) or MAX_VENDOR_OFFERS
    made = ctx.node.store.offers.newest_made(limit)
    return {
        "offers": [
            {
                "state": m.state.value,
                "intent": {
                    "id": m.intent.id.hex(),
                    "title": m.intent.message.title,
                    "category": "/".join(m.intent.message.category),
                    "quantity": m.intent.message.quantity,
                    "terms": terms_json(m.intent.message.terms),
                },
                "offer": offer_json(m.offer),
            }
            for m in made
        ],
        "total": ctx.node.store.offers.made_count(),
    }


async def vendor_catalog(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The catalog this vendor serves (none for a bot or a customer node)."""
    vendor = ctx.node.vendor
    if not isinstance(vendor, CatalogVendor):
        return {"name": None if vendor is None else vendor.name, "items": []}
    c = vendor.catalog
    return {
        "name": c.name,
        "description": c.description,
        "source": None if ctx.settings.catalog is None else str(ctx.settings.catalog),
        "items": [
            {
                "sku": i.sku,
                "category": "/".join(i.category),
                "title": i.title,
                "price": i.price,
                "price_text": format_money(i.price, i.currency),
                "floor": i.floor,
                "stock": i.stock,
                "ships_to": list(i.ships_to),
                "delivery_days": i.delivery_days,
                "customer_terms": list(i.customer_terms),
                "payment_modes": list(i.payment_modes),
            }
            for i in c.items
        ],
    }


__all__ = [
    "vendor_catalog",
    "vendor_offers",
    "vocab",
    "web_login",
    "web_logout",
    "web_session",
]
