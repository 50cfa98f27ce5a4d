"""Each node validates each message once, whatever brought it: down a stem,
back by gossip after relaying it on the stem, or down the stem again by a
loop (the signature check and proof of work are the pipeline's largest
cost per hop; docs/benchmarks.md, network)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trio

from intentcast.node import base, stem
from intentcast.protocol import NetworkParams, validate

from .harness import LOW_WORK, NOTHING, link, market, run, wait_for
from .test_stem import EPOCHS


def test_each_node_validates_each_stemmed_intent_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[tuple[int, bytes], int] = {}

    def counted(data: bytes, *, now: int, params: NetworkParams) -> Any:
        # Each node has its own (equal) params object: it names the node.
        key = (id(params), hashlib.blake2b(data, digest_size=32).digest())
        calls[key] = calls.get(key, 0) + 1
        return validate(data, now=now, params=params)

    monkeypatch.setattr(stem, "validate", counted)
    monkeypatch.setattr(base, "validate", counted)

    async def main() -> None:
        async with market(tmp_path) as m:
            n = 6
            nodes = [
                await m.customer(f"node{i}", relay=True, stem=EPOCHS, params=replace(LOW_WORK))
                for i in range(n)
            ]
            arrived: dict[bytes, set[int]] = {}
            hands: dict[bytes, int] = {}

            def tracer(i: int) -> Callable[[str, bytes, str], None]:
                def trace(what: str, message_id: bytes, detail: str) -> None:
                    if what == "accepted":
                        arrived.setdefault(message_id, set()).add(i)
                    elif what == "stem-sent":
                        hands[message_id] = hands.get(message_id, 0) + 1

                return trace

            for i, node in enumerate(nodes):
                node.trace = tracer(i)
            for i in range(n):  # a ring, and each node dials the one two ahead too
                await link(nodes[i], nodes[(i + 1) % n])
                await link(nodes[i], nodes[(i + 2) % n])
            await trio.sleep(1.5)  # heartbeats: the meshes form
            posted = []
            for i, node in enumerate(nodes * 2):
                intent = await node.post_intent(**{**NOTHING, "title": f"Nokia 3310 no. {i}"})
                posted.append((i % n, intent.id))
                await trio.sleep(0.2)
            for author, mid in posted:
                others = set(range(n)) - {author}

                def everywhere(mid: bytes = mid, others: set[int] = others) -> bool:
                    return arrived.get(mid, set()) >= others

                await wait_for(nodes[author], everywhere)
            await trio.sleep(0.5)
            node_of = {id(node.core.params): i for i, node in enumerate(nodes)}
            relays = 0
            for author, mid in posted:
                for i in set(range(n)) - {author}:
                    assert calls.get((id(nodes[i].core.params), mid)) == 1, (i, mid.hex()[:8])
                relays += max(0, hands[mid] - 1)
            assert all(count == 1 for count in calls.values()), {
                (node_of.get(p), mid.hex()[:8]): c for (p, mid), c in calls.items() if c != 1
            }
            # The case this is about happened: stems longer than one hop,
            # whose relays got the intent back by gossip.
            assert relays > 0, hands

    run(main)
