"""Gossip topic names, and which kinds each topic carries.

Intents and sealed offers have one topic per top-level category (a relay
routes them apart), but every node follows all of them from start-up
(:data:`FOLLOWED`): subscriptions that followed what the owner posts or
sells would name the author of an intent to its peers. Withdrawals travel
on their intent's topic.
"""

from __future__ import annotations

from typing import Any, Final

from intentcast.protocol import Kind, Signed
from intentcast.protocol.vocab import CATEGORIES

PREFIX: Final = "intentcast/1"
DEALS: Final = f"{PREFIX}/deals"
PROFILES: Final = f"{PREFIX}/profiles"
#: Ratings and vendors' replies to them. Every node follows it (unlike the
#: profiles, which only relays keep): a customer's node ranks offers with
#: the ratings it holds, and following it says nothing about its owner.
RATINGS: Final = f"{PREFIX}/ratings"


def intents(category: str) -> str:
    """Topic of intents (and their withdrawals) in a top-level category."""
    return f"{PREFIX}/intents/{category}"


def offers(category: str) -> str:
    """Topic of sealed offers answering intents in a top-level category."""
    return f"{PREFIX}/offers/{category}"


ALL_INTENT_TOPICS: Final = tuple(intents(c) for c in CATEGORIES)
ALL_OFFER_TOPICS: Final = tuple(offers(c) for c in CATEGORIES)
ALL_TOPICS: Final = (*ALL_INTENT_TOPICS, *ALL_OFFER_TOPICS, DEALS, PROFILES, RATINGS)
#: What every node that is not a relay follows from start-up, whatever its
#: owner posts or sells (:func:`intentcast.peer.sync.interests`), sorted.
FOLLOWED: Final = tuple(sorted((*ALL_INTENT_TOPICS, *ALL_OFFER_TOPICS, DEALS, RATINGS)))

#: Which kinds a topic may carry; anything else on it is rejected.
TOPIC_KINDS: Final[dict[str, frozenset[Kind]]] = {
    **{t: frozenset({Kind.INTENT, Kind.WITHDRAW}) for t in ALL_INTENT_TOPICS},
    **{t: frozenset({Kind.SEALED_OFFER}) for t in ALL_OFFER_TOPICS},
    DEALS: frozenset({Kind.SEALED_DEAL}),
    PROFILES: frozenset({Kind.VENDOR_PROFILE}),
    RATINGS: frozenset({Kind.RATING, Kind.RATING_REPLY}),
}


def fits_topic(topic: str, signed: Signed[Any]) -> bool:
    """The topic rule: ``signed``'s kind belongs on ``topic``, and an intent
    on its own top-level category's topic. Anything else is rejected."""
    if signed.kind not in TOPIC_KINDS.get(topic, frozenset()):
        return False
    if signed.kind is Kind.INTENT:
        return bool(topic == intents(signed.message.category[0]))
    return True
