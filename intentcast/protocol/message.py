"""What every message type shares: its kind, its canonical body, and strict
decoding from a body map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, Self

from .errors import InvalidMessage
from .kinds import Kind


class Message(Protocol):
    """A protocol message: a frozen dataclass that validated itself."""

    KIND: ClassVar[Kind]

    def to_body(self) -> dict[str, Any]:
        """The body map in canonical key order."""
        ...

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """Build from a decoded body; raises :class:`InvalidMessage`."""
        ...


class PowMessage(Message, Protocol):
    """A message that carries a proof-of-work nonce (every gossiped kind)."""

    nonce: bytes


def require_keys(kind: str, body: object, keys: frozenset[str]) -> Mapping[str, Any]:
    """Check that ``body`` is a map with exactly ``keys`` (strict schema:
    unknown fields are refused, not ignored)."""
    if type(body) is not dict:
        raise InvalidMessage(kind, "body must be a map")
    if body.keys() != keys:
        missing = sorted(keys - body.keys())
        extra = sorted(str(k) for k in body.keys() - keys)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unknown {', '.join(extra)}")
        raise InvalidMessage(kind, "; ".join(parts))
    return body


def set_field(obj: object, name: str, value: object) -> None:
    """Store a normalised value on a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, name, value)
