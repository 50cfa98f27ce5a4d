"""Finding own intents and received offers by a short hex prefix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeVar

from intentcast.store import OwnIntent, ReceivedOffer

from .context import ApiContext
from .errors import Ambiguous, BadDraft, NotFound

#: Shortest id prefix accepted in a path.
MIN_PREFIX: Final = 4


T = TypeVar("T")


def resolve(prefix: str, candidates: Iterable[tuple[bytes, T]], what: str) -> T:
    """The one candidate whose id starts with the hex ``prefix``.

    Raises :class:`BadDraft` for a prefix that is not hex or too short,
    :class:`NotFound` and :class:`Ambiguous` otherwise."""
    p = prefix.lower()
    if len(p) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in p):
        raise BadDraft(f"{prefix!r} is not an id: give at least {MIN_PREFIX} hex digits")
    found: dict[int, T] = {}
    for ident, value in candidates:
        if ident.hex().startswith(p):
            found[id(value)] = value
    if not found:
        raise NotFound(f"no {what} starts with {prefix!r}")
    if len(found) > 1:
        raise Ambiguous(f"{prefix!r} matches {len(found)} {what}s; give more digits")
    return next(iter(found.values()))


def own_intent(ctx: ApiContext, prefix: str) -> OwnIntent:
    """The own intent whose key starts with ``prefix``."""
    if len(prefix) == 64 and all(c in "0123456789abcdef" for c in prefix.lower()):
        exact = ctx.node.store.intents.get(bytes.fromhex(prefix))
        if exact is not None:  # a whole key: no need to look through them all
            return exact
    pairs: list[tuple[bytes, OwnIntent]] = []
    for own in ctx.node.store.intents.list():
        pairs += [(own.intent.signer, own), (own.intent.id, own)]
    return resolve(prefix, pairs, "intent of yours")


def received_offer(ctx: ApiContext, prefix: str) -> ReceivedOffer:
    """The received offer whose id starts with ``prefix``."""
    pairs = [
        (r.offer.id, r)
        for own in ctx.node.store.intents.list()
        for r in ctx.node.store.offers.received(own.intent.signer)
    ]
    return resolve(prefix, pairs, "offer you received")


# --- JSON forms -----------------------------------------------------------------
