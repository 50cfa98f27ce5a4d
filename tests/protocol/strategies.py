"""Hypothesis strategies for valid protocol messages."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from intentcast.protocol import (
    Accept,
    Confirm,
    Decline,
    Intent,
    Item,
    Offer,
    Preferences,
    Terms,
    VendorProfile,
    Withdraw,
)
from intentcast.protocol.vocab import (
    CATEGORIES,
    COUNTRIES,
    CURRENCIES,
    DISCLOSURE_FIELDS,
    KNOWN_CUSTOMER_TERMS,
    PAYMENT_MODES,
)

from .builders import DAY, NOW

keys32 = st.binary(min_size=32, max_size=32)
times = st.integers(NOW - 365 * DAY, NOW + 365 * DAY)
titles = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=120
).filter(lambda s: not s.isspace())
texts = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=300)
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,31}", fullmatch=True)
attr_keys = st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True)
ints53 = st.integers(-(2**53), 2**53)
geohash = st.from_regex(r"[0-9bcdefghjkmnpqrstuvwxyz]{1,5}", fullmatch=True)
regions = st.sampled_from(sorted(COUNTRIES)) | geohash
term_ids = st.sampled_from(sorted(KNOWN_CUSTOMER_TERMS)) | st.from_regex(
    r"[a-z0-9]{1,16}:[a-z0-9][a-z0-9-]{0,47}", fullmatch=True
)
modes = st.lists(
    st.sampled_from(sorted(PAYMENT_MODES - {"name-your-price"})), min_size=1, max_size=4
).map(tuple)


def ranges() -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(ints53, ints53).map(lambda p: (min(p), max(p)))


intent_attrs = st.dictionaries(
    attr_keys, st.booleans() | ints53 | texts.filter(lambda s: len(s) <= 40) | ranges(), max_size=8
)
offer_attrs = st.dictionaries(
    attr_keys, st.booleans() | ints53 | texts.filter(lambda s: len(s) <= 40), max_size=8
)


@st.composite
def terms(draw: st.DrawFn, created: int) -> Terms:
    return Terms(
        max_price=draw(st.integers(0, 10**15)),
        currency=draw(st.sampled_from(sorted(CURRENCIES))),
        region=draw(regions),
        deliver_by=draw(st.none() | st.integers(created, created + 60 * DAY)),
        customer_terms=tuple(draw(st.lists(term_ids, max_size=16))),
        payment_modes=draw(modes),
        min_rating=draw(st.integers(0, 500)),
    )


@st.composite
def intents(draw: st.DrawFn, reply_key: bytes | None = None) -> Intent:
    created = draw(times)
    weights = st.integers(0, 100)
    prefs = draw(
        st.builds(
            Preferences,
            price=weights,
            speed=weights,
            reputation=weights,
            terms=weights,
            attributes=st.integers(1, 100),
        )
    )
    return Intent(
        category=(draw(st.sampled_from(CATEGORIES)), *draw(st.lists(slugs, max_size=3))),
        title=draw(titles),
        description=draw(texts),
        attributes=draw(intent_attrs),
        quantity=draw(st.integers(1, 1_000_000)),
        terms=draw(terms(created)),
        preferences=prefs,
        reply_key=reply_key or draw(keys32),
        created=created,
        expires=created + draw(st.integers(1, 30 * DAY)),
        revision=draw(st.integers(0, 1000)),
        nonce=draw(st.binary(min_size=8, max_size=8)),
    )


@st.composite
def offers(
    draw: st.DrawFn, intent_id: bytes | None = None, vendor_key: bytes | None = None
) -> Offer:
    created = draw(times)
    price = draw(st.integers(0, 10**12))
    pay = draw(modes)
    floor = None
    if draw(st.booleans()):
        pay = (*pay, "name-your-price")
        floor = draw(st.integers(0, price))
    return Offer(
        intent_id=intent_id or draw(keys32),
        vendor_key=vendor_key or draw(keys32),
        vendor_name=draw(titles.filter(lambda s: len(s) <= 64)),
        item=Item(
            title=draw(titles),
            description=draw(texts),
            attributes=draw(offer_attrs),
            sku=draw(texts.filter(lambda s: len(s) <= 20)),
        ),
        quantity=draw(st.integers(1, 1000)),
        price=price,
        currency=draw(st.sampled_from(sorted(CURRENCIES))),
        deliver_by=draw(times),
        ships_to=tuple(draw(st.lists(regions | st.just("*"), min_size=1, max_size=10))),
        customer_terms=tuple(draw(st.lists(term_ids, max_size=20))),
        payment_modes=pay,
        reply_key=draw(keys32),
        created=created,
        valid_until=created + draw(st.integers(1, 30 * DAY)),
        price_floor=floor,
    )


@st.composite
def small_messages(draw: st.DrawFn, signer: bytes) -> object:
    """A valid message of one of the other kinds, naming ``signer`` where
    the kind names its own signer."""
    created = draw(times)
    ids = keys32
    choice = draw(st.sampled_from(["withdraw", "accept", "confirm", "decline", "profile"]))
    if choice == "withdraw":
        return Withdraw(
            intent_key=signer, created=created, expires=created + DAY, reason=draw(texts)
        )
    if choice == "accept":
        return Accept(
            intent_id=draw(ids),
            offer_id=draw(ids),
            payment_mode=draw(st.sampled_from(sorted(PAYMENT_MODES))),
            price=draw(st.integers(0, 10**9)),
            created=created,
            disclosure=draw(
                st.dictionaries(st.sampled_from(sorted(DISCLOSURE_FIELDS)), titles, max_size=3)
            ),
        )
    if choice in ("confirm", "decline"):
        cls = Confirm if choice == "confirm" else Decline
        extra: dict[str, Any] = (
            {"note": draw(texts), "receipt": draw(st.none() | st.binary(min_size=1, max_size=512))}
            if cls is Confirm
            else {"reason": draw(texts)}
        )
        return cls(
            accept_id=draw(ids), offer_id=draw(ids), intent_id=draw(ids), created=created, **extra
        )
    return VendorProfile(
        vendor_key=signer,
        name=draw(titles.filter(lambda s: len(s) <= 64)),
        categories=tuple(draw(st.lists(st.sampled_from(CATEGORIES), max_size=4))),
        ships_to=tuple(draw(st.lists(regions, min_size=1, max_size=5))),
        reply_key=draw(keys32),
        created=created,
        expires=created + DAY,
    )
