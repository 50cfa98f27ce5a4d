"""Named errors of the protocol core.

Errors say whose fault it was (the h11 habit): a :class:`InvalidMessage`
raised while *building* a message is the caller's mistake; the same error
raised while *decoding* remote bytes is caught by the validator and turned
into a ``REJECT`` verdict, so remote input never raises out of
:func:`intentcast.protocol.validate`.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class of every error the protocol core raises."""


class InvalidMessage(ProtocolError, ValueError):
    """A message field breaks the schema (type, bound, vocabulary).

    ``field`` names the offending field with a dotted path such as
    ``terms.currency`` so a user can act on the message.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TooLarge(InvalidMessage):
    """Every field is within its bound, yet the signed envelope is larger
    than its kind allows (``field`` is the kind): shorten a free text."""


class DecodeError(ProtocolError, ValueError):
    """Bytes that are not a well-formed, canonical intentcast encoding."""


class SealError(ProtocolError):
    """A sealed box could not be opened with the given key (wrong key or tampered)."""


class PaddingError(SealError):
    """A sealed box opened, but what it holds is not one envelope padded with
    zero bytes to its size bucket (docs/protocol.md, section 6)."""


class KeyFileError(ProtocolError, ValueError):
    """A key file is malformed, of the wrong kind, or fails its checksum."""


class IllegalTransition(ProtocolError):
    """A lifecycle event that is not allowed from the current state."""

    def __init__(self, machine: str, state: str, event: str) -> None:
        super().__init__(f"{machine}: cannot {event!r} from state {state!r}")
        self.machine = machine
        self.state = state
        self.event = event
