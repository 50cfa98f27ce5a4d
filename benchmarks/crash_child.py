"""The flooding peer of ``python -m benchmarks crash``, in its own OS process.

Run as ``python -m benchmarks.crash_child STORE RATE PORT SEED_HEX`` by the
benchmark (or the crash test), never by hand. It runs an intentcast node on
127.0.0.1:PORT with the peer key from SEED_HEX (so the daemon can list it
as a bootstrap peer before it runs) that is two things to the daemon under
test:

- a **vendor** (the Kiez Phones example catalog) that answers the daemon's
  phone intents with sealed offers: the daemon's "gets an offer" check;
- a **flood** of valid gossip published at ``RATE`` messages a second
  while the daemon is connected: intents in ``home`` (16-bit proof of work,
  the network default), sealed offers for those intents, sealed deals, and
  withdrawals of intents nobody posted (a relay cannot tell any of them
  from real traffic: the boxes are opaque to everyone but their
  recipient). Every message carries the network's default proof of work,
  so it is minted in a thread that keeps a pool ready; the pool fills
  while the daemon is down and drains while it is up.

It prints ``{"addr", "peer"}`` once it listens, then answers one JSON line
per command read on stdin (``{"cmd": "stats"}``). It exits when stdin
closes, so a dead parent never leaves it behind.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Final, TextIO

import trio
from nacl.signing import SigningKey

from benchmarks.network_child import Lines
from intentcast.matching import parse_catalog
from intentcast.node import CatalogVendor, open_node
from intentcast.peer import topics
from intentcast.peer.config import GossipConfig, NodeConfig
from intentcast.protocol import (
    DEFAULT_PARAMS,
    Intent,
    SealedDeal,
    SealedOffer,
    Signed,
    Terms,
    Withdraw,
    derive_intent_keys,
    derive_vendor_keys,
    sign,
)
from intentcast.store import Store

ROOT: Final = Path(__file__).resolve().parents[1]
CATALOG: Final = ROOT / "examples" / "catalogs" / "kiez-phones.toml"
FLOOD_CATEGORY: Final = ("home", "furniture")
INTENT_TOPIC: Final = topics.intents(FLOOD_CATEGORY[0])
TERMS: Final = Terms(max_price=90_000, currency="EUR", region="DE",
                     customer_terms=("cc:no-tracking",), payment_modes=("prepay",))  # fmt: skip
#: Seconds of flood minted ahead at most. More would keep a core busy
#: minting while the daemon restarts, and slow the restart.
AHEAD: Final = 2.0
#: Flood messages waiting in the node's paced outbox at most.
BACKLOG: Final = 10
#: Of every 20 flood messages: 1 intent, 9 sealed offers, 5 sealed deals,
#: 5 withdrawals (minting ~6 ms a message on average at the default work).
MIX: Final = ("intent",) + ("offer",) * 9 + ("deal",) * 5 + ("withdraw",) * 5


class Flood:
    """Valid gossip minted in a thread, ahead of when it is published."""

    def __init__(self, seed: int, pool: int) -> None:
        self.rng = random.Random(seed)
        self.size = pool
        self.pool: deque[tuple[str, bytes]] = deque()
        self.minted = 0
        self.stop = threading.Event()
        #: Flood intents recently minted: sealed offers answer them.
        self._intents: list[Signed[Intent]] = []
        self._seed = self.rng.randbytes(32)
        self._counter = 0

    def _key(self) -> SigningKey:
        return SigningKey(self.rng.randbytes(32))

    def _one(self, kind: str, now: int) -> tuple[str, bytes]:
        rng = self.rng
        if kind == "intent" or not self._intents:
            keys = derive_intent_keys(self._seed, self._counter)
            self._counter += 1
            intent = Intent(category=FLOOD_CATEGORY, title=f"Oak table no. {self._counter}",
                            terms=TERMS, attributes={"material": "oak"},
                            reply_key=keys.reply_public, created=now,
                            expires=now + 7 * 86_400)  # fmt: skip
            signed = sign(intent, keys.signing, params=DEFAULT_PARAMS)
            self._intents = [*self._intents[-19:], signed]
            return INTENT_TOPIC, signed.raw
        if kind == "offer":
            target = rng.choice(self._intents)
            offer = SealedOffer(intent_id=target.id, box=rng.randbytes(rng.randint(560, 700)),
                                created=now, expires=target.message.expires)  # fmt: skip
            topic = topics.offers(target.signer)
            return topic, sign(offer, self._key(), params=DEFAULT_PARAMS).raw
        if kind == "deal":
            deal = SealedDeal(to=rng.randbytes(32), box=rng.randbytes(rng.randint(200, 300)),
                              created=now, expires=now + 3 * 86_400)  # fmt: skip
            return topics.DEALS, sign(deal, self._key(), params=DEFAULT_PARAMS).raw
        key = self._key()
        withdraw = Withdraw(intent_key=bytes(key.verify_key), created=now,
                            expires=now + 7 * 86_400, reason="found one")  # fmt: skip
        return INTENT_TOPIC, sign(withdraw, key, params=DEFAULT_PARAMS).raw

    def mint_forever(self) -> None:
        """Keep the pool full until :attr:`stop` is set (runs in a thread)."""
        while not self.stop.is_set():
            if len(self.pool) >= self.size:
                time.sleep(0.05)
                continue
            self.pool.append(self._one(self.rng.choice(MIX), int(time.time())))
            self.minted += 1


def _reply(out: TextIO, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj) + "\n")
    out.flush()


async def serve(out: TextIO, store_path: str, rate: float, port: int, seed: bytes) -> None:
    flood = Flood(seed=int.from_bytes(os.urandom(4), "big"), pool=int(rate * AHEAD) + 1)
    minter = threading.Thread(target=flood.mint_forever, name="flood-minter", daemon=True)
    minter.start()
    path = CATALOG
    vendor = CatalogVendor(parse_catalog(path.read_text(), source=str(path)))
    # Pacing: the flood rate plus room for the vendor's own offers.
    gossip = GossipConfig(publish_per_second=rate + 50.0, publish_burst=40)
    config = NodeConfig(
        listen=[f"/ip4/127.0.0.1/tcp/{port}"], peer_key_seed=seed, gossip=gossip, stem=None
    )
    published = 0
    store = Store.open(store_path)
    try:
        async with open_node(store, vendor=vendor, config=config,
                             vendor_keys=derive_vendor_keys(os.urandom(32))) as node:  # fmt: skip
            _reply(out, {"addr": node.addrs()[0], "peer": node.peer_id})

            def outbox_backlog() -> int:
                return int(node.p2p.outbox.backlog())

            async def publish() -> None:
                nonlocal published
                interval = 1.0 / rate
                next_at = trio.current_time()
                while True:
                    # Never more than a few flood messages in the outbox: the
                    # vendor's offers queue behind whatever is in it.
                    backlog = node.p2p.outbox.backlog()
                    if not node.p2p.connected_peers() or not flood.pool or backlog > BACKLOG:
                        await trio.sleep(0.02)
                        next_at = trio.current_time()
                        continue
                    topic, raw = flood.pool.popleft()
                    node.p2p.publish_nowait(topic, raw)
                    published += 1
                    # No catching up in bursts after a stall: the rate is a ceiling.
                    next_at = max(next_at + interval, trio.current_time())
                    await trio.sleep_until(next_at)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(publish)
                commands = Lines(trio.lowlevel.FdStream(os.dup(0)))
                while (command := await commands.next()) is not None:
                    if command.get("cmd") == "stats":
                        network = node.p2p.host.get_network()
                        _reply(out, {"published": published, "minted": flood.minted,
                                     "pool": len(flood.pool),
                                     "offers_made": len(node.store.offers.made()),
                                     "connected": len(node.p2p.connected_peers()),
                                     # diagnostics for a run that went wrong
                                     "connections": {str(p): len(c) for p, c
                                                     in network.connections.items()},
                                     "outbox": outbox_backlog(),
                                     "counters": dict(sorted(node.counters.items()))})  # fmt: skip
                    else:
                        _reply(out, {"error": f"unknown command {command.get('cmd')!r}"})
                nursery.cancel_scope.cancel()  # the parent is gone
    finally:
        flood.stop.set()
        store.close()


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: python -m benchmarks.crash_child STORE RATE PORT SEED_HEX", file=sys.stderr)
        return 2
    # Replies get their own copy of stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    try:
        trio.run(serve, out, argv[0], float(argv[1]), int(argv[2]), bytes.fromhex(argv[3]))
    except KeyboardInterrupt:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
