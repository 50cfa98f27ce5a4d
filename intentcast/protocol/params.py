"""Network parameters: values every node of one network must agree on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from .kinds import Kind

#: Proof-of-work difficulty (leading zero bits) per gossiped kind.
#: Chosen in docs/protocol.md ("Proof of work") from measured mint costs:
#: an intent costs a customer ~0.1 s of one core in Python; a vendor bot
#: answering many intents pays ~6 ms per offer.
DEFAULT_POW_BITS: Final[Mapping[Kind, int]] = {
    Kind.INTENT: 16,
    Kind.WITHDRAW: 10,
    Kind.SEALED_OFFER: 12,
    Kind.SEALED_DEAL: 10,
    Kind.VENDOR_PROFILE: 16,
    #: A rating costs as much as an intent: each fake rating a vendor
    #: writes about itself costs it this (docs/protocol.md, "rating").
    Kind.RATING: 16,
    Kind.RATING_REPLY: 12,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class NetworkParams:
    """Parameters of one network. Pass them explicitly; tests use cheap ones."""

    pow_bits: Mapping[Kind, int] = field(default_factory=lambda: dict(DEFAULT_POW_BITS))
    #: How far in the future a message's ``created`` may lie (clock skew).
    max_clock_skew: int = 300

    def work_for(self, kind: Kind) -> int:
        return self.pow_bits.get(kind, 0)


DEFAULT_PARAMS: Final = NetworkParams()
