"""A node cut off from the network while an intent was posted, and joined
again only through a peer that has just (re)started, still gets the
intent.

Found by ``benchmarks churn``: a vendor whose other neighbours were all
killed kept one link, to a relay that was cut off too; the intents posted
meanwhile reached it only 17-22 s later. The neighbours came back empty,
so the sync on connect brought nothing; they caught up from their other
peers a moment later, by sync, which gossip does not forward; only the next
anti-entropy round (every 30 s, with one random peer) repaired it. A node
now syncs with a new peer once more a little after connecting.

Anti-entropy is off here, so only that second sync can deliver the intent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trio

from .harness import PHONE_TERMS, market, run, wait_for

PIXEL: dict[str, Any] = {"category": ("electronics", "phones"), "title": "Google Pixel 8",
         "terms": PHONE_TERMS, "attributes": {"brand": "google"}}  # fmt: skip


def test_a_node_rejoining_through_a_fresh_peer_gets_what_it_missed(tmp_path: Path) -> None:
    async def main() -> None:
        config: dict[str, Any] = {"stem": None, "resync_seconds": 3600.0,
                                  "resync_after_connect_seconds": 5.0}  # fmt: skip
        async with market(tmp_path) as m:
            # Two islands: a vendor with a relay, a customer with another relay.
            vendor = await m.vendor("kiez-phones.toml", **config)
            island = await m.customer("island-relay", relay=True, **config)
            await island.connect(vendor.addrs()[0])
            customer = await m.customer(**config)
            relay = await m.customer("relay", relay=True, **config)
            await customer.connect(relay.addrs()[0])
            await trio.sleep(1.2)  # a gossipsub heartbeat: the meshes form
            intent = await customer.post_intent(**PIXEL)
            await wait_for(relay, lambda: relay.store.gossip.has_seen(intent.id), timeout=30)

            # A fresh node joins the vendor first: the vendor's sync with it
            # finds nothing (it has nothing yet) ...
            fresh = await m.customer("fresh", relay=True, **config)
            served = trio.Event()
            inventory = fresh.peering._inventory

            async def watched(
                topics: Any, limit: int, recent: int | None = None
            ) -> list[tuple[bytes, str]]:
                found = await inventory(topics, limit, recent)
                served.set()
                return found

            fresh.peering._inventory = watched  # type: ignore[method-assign, assignment]
            await fresh.connect(vendor.addrs()[0])
            with trio.fail_after(30):
                await served.wait()
            # ... then the other island, from which it gets the intent by sync.
            await fresh.connect(relay.addrs()[0])
            await wait_for(fresh, lambda: fresh.store.gossip.has_seen(intent.id), timeout=30)
            await wait_for(vendor, lambda: vendor.store.gossip.has_seen(intent.id), timeout=30)

    run(main)
