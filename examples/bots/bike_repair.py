"""A service provider with availability: a bike workshop's booking bot.

Kiez Rad Service repairs bikes by appointment. ``bike_repair.toml`` lists
its services, prices and weekly opening hours. For an intent in
``services`` that mentions one of its services, the bot offers the
earliest free slots that the customer's delivery deadline allows (the
appointment time is the offer's ``deliver_by``), and books a slot when a
customer accepts it. If two customers accept the same slot, the second
one is declined with a reason, so they can pick another. After the deal,
a customer who asks about her booking (a ``status`` message) gets its time
back, and one who cancels frees the slot.

Bookings live in memory: restart the bot and the week is free again.
A real shop would read and write its calendar here instead.

Run it: ``intentcast vendor run examples/bots/bike_repair.py``
"""

import datetime as dt
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from intentcast.sdk import (
    AcceptView,
    Decision,
    IntentView,
    OfferSpec,
    ThreadReply,
    ThreadView,
    VendorBot,
    confirm,
    decline,
    reply,
)

DATA = tomllib.loads(Path(__file__).with_name("bike_repair.toml").read_text())
SHOP = DATA["shop"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BikeRepair(VendorBot):
    name = SHOP["name"]
    categories = ("services",)
    ships_to = SHOP["ships_to"]
    accepts_terms = SHOP["accepts_terms"]
    payment_modes = SHOP["payment_modes"]
    valid_hours = 12  # a slot offered now may be gone tomorrow

    def __init__(self) -> None:
        self.zone = ZoneInfo(SHOP["timezone"])
        self.booked: set[int] = set()  # slot start times (Unix seconds)

    def free_slots(self, start: int, end: int) -> list[int]:
        """Free slot start times from ``start`` to ``end``, earliest first."""
        day = dt.datetime.fromtimestamp(start, self.zone).date()
        slots = []
        while dt.datetime.combine(day, dt.time(), self.zone).timestamp() <= end:
            for hhmm in DATA["hours"].get(WEEKDAYS[day.weekday()], []):
                at = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), self.zone)
                t = int(at.timestamp())
                if start <= t <= end and t not in self.booked:
                    slots.append(t)
            day += dt.timedelta(days=1)
        return slots

    def on_intent(self, intent: IntentView) -> list[OfferSpec]:
        if not intent.in_category("services") or intent.quantity != 1:
            return []
        service = next((s for s in DATA["service"] if intent.mentions(*s["keywords"])), None)
        if service is None or service["price"] > intent.max_price:
            return []
        start = intent.now + SHOP["lead_hours"] * 3600
        end = intent.now + SHOP["horizon_days"] * 86400
        if intent.deliver_by is not None:
            end = min(end, intent.deliver_by)
        return [
            OfferSpec(
                title=f"{service['title']}, {self.when(slot)}",
                description=f"At {SHOP['address']}. Bring the bike at the appointment time.",
                sku=f"{service['id']}@{slot}",
                price=service["price"],
                deliver_by=slot,
                attributes={"service": service["id"]},
            )
            for slot in self.free_slots(start, end)[: SHOP["slots_per_intent"]]
        ]

    def on_accept(self, deal: AcceptView) -> Decision:
        slot = int(deal.sku.rpartition("@")[2])
        if slot in self.booked:
            return decline(f"{self.when(slot)} was just booked by someone else; please ask again.")
        self.booked.add(slot)
        return confirm(f"Booked for {self.when(slot)} at {SHOP['address']}.")

    def on_message(self, message: ThreadView) -> ThreadReply | None:
        slot = int(message.sku.rpartition("@")[2])
        if message.type == "cancel":
            self.booked.discard(slot)
            return reply(f"Cancelled: {self.when(slot)} is free again.")
        if message.type == "status":
            return reply(f"You are booked for {self.when(slot)} at {SHOP['address']}.")
        return None  # anything else: a person reads it in `intentcast relationships`

    def when(self, slot: int) -> str:
        """``Tue 24 Nov, 09:00`` in the shop's time zone."""
        return dt.datetime.fromtimestamp(slot, self.zone).strftime("%a %d %b, %H:%M")
