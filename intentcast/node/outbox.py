"""Own publishes, queued and paced.

py-libp2p drops a message silently past a per-peer queue of 32, so the node
never hands it more than it may send: every publish goes through a bounded
outbox, and one task takes messages out at ``GossipConfig.publish_per_second``
with bursts of ``publish_burst`` (a token bucket: the pure
:class:`~intentcast.peer.limits.Pacer`). A full outbox raises
:class:`~.errors.PublishBacklogFull` instead of losing a message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio

from intentcast.peer.config import GossipConfig
from intentcast.peer.limits import Pacer
from intentcast.protocol.kinds import MAX_ANY_ENVELOPE

from .errors import MessageTooLarge, PublishBacklogFull

log = logging.getLogger(__name__)

#: Puts one message on the wire: ``(topic, data)``.
Push = Callable[[str, bytes], Awaitable[None]]


class Outbox:
    """A bounded queue of ``(topic, data)`` to publish, and its paced sender
    (:meth:`run`)."""

    def __init__(self, gossip: GossipConfig) -> None:
        self.size = gossip.outbox_size
        self._pacer = Pacer(gossip.publish_per_second, gossip.publish_burst)
        self._send, self._receive = trio.open_memory_channel[tuple[str, bytes]](self.size)

    def backlog(self) -> int:
        """Messages waiting to be published."""
        return int(self._send.statistics().current_buffer_used)

    def put_nowait(self, topic: str, data: bytes) -> None:
        """Queue ``data`` for ``topic``. Raises :class:`MessageTooLarge` or
        :class:`PublishBacklogFull`; never drops silently."""
        _check_size(data)
        try:
            self._send.send_nowait((topic, data))
        except trio.WouldBlock:
            raise PublishBacklogFull(
                f"{self.size} messages already waiting to be published"
            ) from None

    async def put(self, topic: str, data: bytes) -> None:
        """Queue ``data`` for ``topic``, waiting for room if needed."""
        _check_size(data)
        await self._send.send((topic, data))

    async def run(self, push: Push) -> None:
        """Publish what is queued, paced; a failed push is logged, not retried."""
        async for topic, data in self._receive:
            now = trio.current_time()
            while not self._pacer.take("", now):
                await trio.sleep(self._pacer.delay("", now))
                now = trio.current_time()
            try:
                await push(topic, data)
            except Exception:
                log.exception("publishing on %s failed", topic)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_ANY_ENVELOPE:
        raise MessageTooLarge(f"{len(data)} bytes, at most {MAX_ANY_ENVELOPE}")
