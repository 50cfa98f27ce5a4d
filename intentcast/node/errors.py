"""The errors of the node's network engine (:mod:`.p2p`), in a module of
their own so that the parts that raise them (:mod:`.outbox`) and the parts
that catch them (:mod:`.peering`) need not import the host facade."""

from __future__ import annotations


class NetworkError(Exception):
    """A networking operation failed (bad address, peer unreachable)."""


class PublishBacklogFull(NetworkError):
    """The outbox is full: the node publishes faster than it may send."""


class MessageTooLarge(NetworkError):
    """A message larger than any envelope the protocol allows."""
