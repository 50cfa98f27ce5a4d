"""The real envelopes scenarios publish: intents, withdrawals, and the
junk a spammer sends.

Messages do not depend on the run's seed (only their publish times do),
so their proof of work, once minted, is reused by every later run through
the :class:`~simulations.messages.WorkCache`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Final

from intentcast.protocol import (
    Intent,
    IntentKeys,
    Kind,
    NetworkParams,
    Signed,
    Terms,
    Withdraw,
    derive_intent_keys,
)
from intentcast.protocol.encoding import pack, work_hash
from intentcast.protocol.fields import DAY
from intentcast.protocol.signing import sign

from .messages import WorkCache
from .params import EPOCH, intent_topic

#: The simulated customers' seed: every intent has its own counter, so its
#: keys are unlinkable to every other intent's, as on the real network.
CUSTOMER_SEED: Final = hashlib.blake2b(
    b"intentcast simulations: customers", digest_size=32
).digest()
SPAMMER_SEED: Final = hashlib.blake2b(b"intentcast simulations: spammers", digest_size=32).digest()
#: Intents are created at t = 0 and live a week, like the node's default.
LIFETIME: Final = 7 * DAY
#: The network benchmark's bulk intents (benchmarks/network_child.py):
#: a category no vendor sells, so they measure gossip alone.
BULK_CATEGORY: Final = ("home", "furniture")
#: The intents topic the bulk intents are published on.
BULK_TOPIC: Final = intent_topic(BULK_CATEGORY[0])
BULK_TERMS: Final = Terms(
    max_price=60_000,
    currency="EUR",
    region="DE",
    customer_terms=("cc:no-tracking",),
    payment_modes=("prepay",),
)

_NO_WORK: Final = NetworkParams(pow_bits={})


def intent_keys(i: int) -> IntentKeys:
    return derive_intent_keys(CUSTOMER_SEED, i)


def bulk_intent(i: int, cache: WorkCache, params: NetworkParams) -> Signed[Intent]:
    """Intent number ``i`` of the kind the network benchmark publishes."""
    keys = intent_keys(i)
    intent = Intent(
        category=BULK_CATEGORY,
        title=f"Oak dining table no. {i}",
        terms=BULK_TERMS,
        attributes={"material": "oak"},
        reply_key=keys.reply_public,
        created=EPOCH,
        expires=EPOCH + LIFETIME,
    )
    return cache.sign(intent, keys, params)


class Junk:
    """Spam envelopes refused by every node, distinct for every index,
    cycling through three faults a spammer can produce for free:

    - a forged signature: one validly minted intent with one signature byte
      changed (the work covers the body and signer, not the signature, so
      every variant passes the work check and fails the signature);
    - an intent whose nonce fails even one bit of proof of work;
    - bytes that are no envelope at all.
    """

    def __init__(self, cache: WorkCache, params: NetworkParams) -> None:
        keys = derive_intent_keys(SPAMMER_SEED, 0)
        self._base = cache.sign(self._intent(0, keys), keys, params).raw
        self._work = params.work_for(Kind.INTENT) > 0

    @staticmethod
    def _intent(i: int, keys: IntentKeys) -> Intent:
        return Intent(
            category=BULK_CATEGORY,
            title=f"Cheap tables, click here {i}",
            terms=BULK_TERMS,
            reply_key=keys.reply_public,
            created=EPOCH,
            expires=EPOCH + LIFETIME,
        )

    def __call__(self, i: int) -> bytes:
        fault = i % 3
        if fault == 2:
            return hashlib.blake2b(b"junk %d" % i, digest_size=64).digest() * 6
        if fault == 1 and self._work:
            keys = derive_intent_keys(SPAMMER_SEED, 1 + i)
            intent = self._intent(i, keys)
            signer = keys.intent_key
            nonce = 0
            while True:  # the first nonce whose work hash starts with a 1 bit
                candidate = replace(intent, nonce=nonce.to_bytes(8, "big"))
                body = pack(candidate.to_body())
                if work_hash(Kind.INTENT, signer, body)[0] & 0x80:
                    return sign(candidate, keys.signing, params=_NO_WORK).raw
                nonce += 1
        # Change one byte of the signature (the envelope's last 64 bytes).
        at = len(self._base) - 1 - i % 64
        flip = 1 + (i // 64) % 255
        raw = self._base
        return raw[:at] + bytes([raw[at] ^ flip]) + raw[at + 1 :]


def withdrawals(cache: WorkCache, params: NetworkParams) -> Iterator[Signed[Withdraw]]:
    """Valid withdrawals of intents nobody posted: the cheapest valid gossip
    (10 bits of work, ~1.5 ms each in Python), a flooder's best tool."""
    i = 0
    while True:
        keys = derive_intent_keys(SPAMMER_SEED, 1_000_000 + i)
        w = Withdraw(
            intent_key=keys.intent_key, created=EPOCH, expires=EPOCH + LIFETIME, reason=f"flood {i}"
        )
        yield cache.sign(w, keys, params)
        i += 1
