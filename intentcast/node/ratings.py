"""Deal-backed ratings on a node: the customer rates a confirmed deal (the
rating leaves down a stem after a long random delay, kept across
restarts), every node keeps the verified ratings it receives and computes
each vendor's reputation from them, and a vendor replies to its ratings.
docs/protocol.md ("rating"), docs/privacy.md ("Ratings")."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

import trio

from intentcast.matching.reputation import (
    ARRIVAL_GRACE,
    NO_RATINGS,
    UNANSWERED_AFTER,
    OwnRecord,
    RatingSummary,
    VerifiedRating,
    describe_reputation,
    rated_as_seen,
    summarise,
)
from intentcast.peer import topics
from intentcast.peer.followup import follow_up_delay
from intentcast.peer.ratings import counted
from intentcast.protocol import (
    Confirm,
    Kind,
    Rating,
    RatingReply,
    Signed,
    derive_intent_keys,
    sign,
)
from intentcast.protocol.fields import DAY
from intentcast.store import DealState, OwnRating, Role, StoredRating, TrackRecord

from .base import NodeCore, NodeError, Part, with_work
from .stem import StemRouting

log = logging.getLogger(__name__)

#: How long an own rating (and a reply) stays on the network: a year.
RATING_TTL: Final = 365 * DAY
#: Most seconds the sender sleeps between looks at its waiting ratings.
SENDER_POLL: Final = 5.0
#: Seconds between the heartbeats of a node watching the network (connected
#: to a peer): a stop shorter than ``ARRIVAL_GRACE`` keeps its stretch.
WATCH_BEAT: Final = 60.0


@dataclass(frozen=True, slots=True)
class VendorStanding:
    """What this node knows of a vendor: its reputation from verified
    ratings, and this node's own deals with it."""

    summary: RatingSummary
    #: "4.6 stars from 37 verified deals, last 3 months".
    line: str
    #: This node's own deals with the vendor (declines, silence after accept).
    record: TrackRecord
    #: Its name, from its newest profile kept or this node's deals with
    #: it; None if this node has neither.
    name: str | None = None


class RatingsPart(Part):
    """Ratings on a node: rate (customer), reply (vendor), reputation
    (everyone)."""

    def __init__(self, core: NodeCore, stem: StemRouting) -> None:
        super().__init__(core)
        self.stem = stem
        #: Set to wake the sender when a rating is added.
        self._wake = trio.Event()

    @property
    def watching_since(self) -> int:
        """When this node's current stretch of watching the network began
        (now, if its last heartbeat is more than ``ARRIVAL_GRACE`` old: it
        was away): a rating that says it was made since then, yet arrives
        more than ``ARRIVAL_GRACE`` later, was held back or backdated."""
        return self.store.ratings.watching_since(self.now(), gap=ARRIVAL_GRACE)

    # --- when ratings arrive ----------------------------------------------------------

    def arrived(self, signed: Signed[Rating]) -> None:
        """A new rating was stored: note its arrival if it says it was made
        while this node was watching (else its claim stands: the node
        could not have seen it earlier)."""
        if signed.message.created >= self.watching_since:
            self.store.ratings.note_arrivals([signed.id], at=self.now())

    async def watcher(self) -> None:
        """Beat every :data:`WATCH_BEAT` seconds while connected to a peer
        (and within a second of the first connection, and once more when
        it stops: the offer feed reads the last beat to tell how long the
        node was away)."""
        try:
            while True:
                if self.p2p.connected_peers():
                    self.store.ratings.watched(self.now(), gap=ARRIVAL_GRACE)
                    await trio.sleep(WATCH_BEAT)
                else:
                    await trio.sleep(1.0)
        finally:
            # A clean stop beats once more: the node watched until now, and
            # its next start catches up on the time it was away from here.
            if self.p2p.connected_peers():
                self.store.ratings.watched(self.now(), gap=ARRIVAL_GRACE)

    # --- reputation -----------------------------------------------------------------

    def reputation(self, vendors: Collection[bytes] | None = None) -> dict[bytes, RatingSummary]:
        """Every vendor's (or ``vendors``') summary from the verified ratings
        this node holds."""
        now = self.now()
        return summarise(self.counted(now, vendors), now=now, own=self._own_records(now, vendors))

    def counted(self, now: int, vendors: Collection[bytes] | None = None) -> list[VerifiedRating]:
        """The verified ratings that count (:func:`~intentcast.peer.ratings.counted`),
        each made when it says or, if this node was watching then and got it
        more than ``ARRIVAL_GRACE`` later, at its arrival less the grace
        (:func:`~intentcast.matching.reputation.rated_as_seen`): backdating
        does not spread fake ratings out of a burst."""
        held = (
            (VerifiedRating(vendor=r.vendor, deal=r.deal, stars=r.stars,
                            rated=rated_as_seen(r.rated, r.first_seen),
                            confirmed=r.confirmed), r.rater)
            for r in self.store.ratings.rows(now=now, vendors=vendors)
        )  # fmt: skip
        return counted(held)

    def _own_records(self, now: int, vendors: Collection[bytes] | None) -> dict[bytes, OwnRecord]:
        """This node's own deals as customer that count against a vendor:
        accepts it left unanswered past :data:`UNANSWERED_AFTER`, and
        declines. Counted here only, never published."""
        records = self.store.deals.customer_records(unanswered_before=now - UNANSWERED_AFTER)
        return {
            vendor: OwnRecord(unanswered=unanswered, declined=declined)
            for vendor, (unanswered, declined) in records.items()
            if vendors is None or vendor in vendors
        }

    def standing(self, vendor_key: bytes) -> VendorStanding:
        summary = self.reputation((vendor_key,)).get(vendor_key, NO_RATINGS)
        return VendorStanding(
            summary=summary,
            line=describe_reputation(summary),
            record=self.store.deals.track_record(vendor_key),
            name=self._name_of(vendor_key),
        )

    def _name_of(self, vendor_key: bytes) -> str | None:
        profile = self.store.gossip.vendor_profile(vendor_key)
        if profile is not None:
            return str(profile.message.name)
        return self.store.relationships.vendor_name(vendor_key)

    def ratings_of(self, vendor_key: bytes) -> list[StoredRating]:
        return self.store.ratings.verified(now=self.now(), vendor=vendor_key)

    # --- the customer rates ---------------------------------------------------------

    async def rate(
        self,
        deal_id: bytes,
        *,
        stars: int,
        described: int | None = None,
        ontime: int | None = None,
        comms: int | None = None,
        text: str = "",
    ) -> OwnRating:
        """Rate an own confirmed deal (stars in hundredths). The rating is
        signed by the deal's intent key, dated and sent at a random later
        time (``NodeConfig.rating_delay``); a new rating of the same deal
        replaces the earlier one. Raises :class:`NodeError` (not our deal,
        not confirmed, no receipt) or ``InvalidMessage`` (a bad field)."""
        deal = self.store.deals.get(deal_id)
        if deal is None or deal.role is not Role.CUSTOMER:
            raise NodeError("no deal of ours as a customer with this id")
        confirm = None if deal.reply is None else deal.reply.message
        if deal.state is not DealState.CONFIRMED or not isinstance(confirm, Confirm):
            raise NodeError(f"the deal is {deal.state.value}; only a confirmed deal can be rated")
        receipt = confirm.receipt
        if receipt is None:
            raise NodeError("the vendor gave no receipt for this deal, so it cannot be rated")
        own = self.store.intents.get(deal.intent.signer)
        if own is None or self.core._seed is None:
            raise NodeError("the intent of this deal is not ours")
        keys = derive_intent_keys(self.core._seed, own.counter)
        params = self.config.rating_delay
        draw = self.stem.follow_up_random.random()
        delay = 0.0 if params is None else follow_up_delay(params, draw)
        send_at = self.now() + int(delay)
        earlier = self.store.ratings.own(deal_id)
        if earlier is not None:  # the later rating must be the later one everywhere
            send_at = max(send_at, earlier.rating.message.created + 1)
        message = Rating(
            receipt=receipt, stars=stars, described=described, ontime=ontime, comms=comms,
            text=text, created=send_at, expires=send_at + RATING_TTL,
        )  # fmt: skip
        signed = await with_work(
            self.params.work_for(Kind.RATING),
            lambda: sign(message, keys.signing, params=self.params),
        )
        self.store.ratings.add_own(deal_id, signed, send_at=send_at)
        self._wake.set()
        self._count("rating:written")
        stored = self.store.ratings.own(deal_id)
        assert stored is not None
        return stored

    async def sender(self) -> None:
        """Send own ratings when their time comes (and, after a restart,
        those whose time came while the node was down)."""
        while True:
            try:
                for due in self.store.ratings.due(now=self.now()):
                    await self.stem.publish_own(topics.RATINGS, due.rating)
                    self.store.ratings.mark_sent(due.rating.id)
                    self._count("rating:sent")
            except Exception:  # a store or network failure: the rating waits, nothing is lost
                log.exception("sending an own rating failed; trying again shortly")
            nxt = self.store.ratings.next_send_at()
            wait = SENDER_POLL if nxt is None else min(SENDER_POLL, max(0.2, nxt - self.now()))
            self._wake = trio.Event()
            with trio.move_on_after(wait):
                await self._wake.wait()

    # --- the vendor replies ---------------------------------------------------------

    async def reply(self, deal_id: bytes, text: str) -> Signed[RatingReply]:
        """The vendor's public reply to the rating of one of its deals (a
        later reply replaces it). Published by gossip at once: it is signed
        by the vendor's public key, there is no author to hide."""
        vkeys = self.core.vendor_keys
        if vkeys is None:
            raise NodeError("this node sells nothing: it has no ratings to reply to")
        if not any(r.deal == deal_id for r in self.ratings_of(vkeys.vendor_key)):
            raise NodeError("no rating of a deal of ours with this id")
        now = self.now()
        message = RatingReply(
            deal=deal_id, vendor_key=vkeys.vendor_key, text=text, created=now,
            expires=now + RATING_TTL,
        )  # fmt: skip
        signed = await with_work(
            self.params.work_for(Kind.RATING_REPLY),
            lambda: sign(message, vkeys.signing, params=self.params),
        )
        await self.stem.publish_own(topics.RATINGS, signed)
        return signed
