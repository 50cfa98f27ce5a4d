"""The node's repairs to py-libp2p 0.8.1 on a connection's byte path: the
TCP stream below Noise, and the yamux muxer above it
(``site-packages/libp2p/io/trio.py`` and
``stream_muxer/yamux/yamux.py``). The rest of the repairs, and where all
are installed, are in :mod:`intentcast.node.repairs`.

- :class:`BufferedTCPStream`: ``TrioTCPStream.read`` reads the socket for
  every read, so a Noise message costs two (its 2-byte length, then its
  body), each with a lock and a receive, a checkpoint each;
- :class:`NonBlockingYamux`: ``Yamux.handle_incoming`` writes inline under
  the write lock, so a reader stalls behind a blocked writer; and
  ``Yamux._write_frame`` passes two scheduler checkpoints of its own;
- :class:`HalfWindowYamuxStream`: ``YamuxStream._auto_tune_and_send_window_update``
  writes a window update back on every read, under a lock that costs a
  checkpoint; ``YamuxStream.write`` passes two more checkpoints for locks
  nobody else holds.

Why the checkpoints matter: at each one trio runs every other task that is
ready before it comes back, so under load a small message waits its turn
several times. Upstream, one stem hop's or gossip copy's write passed
seven (the net stream's state lock, the yamux stream's writer and window
locks, the connection's write lock, the TCP stream's lock, the socket
send, and a closing ``checkpoint()``); here an uncontended write passes
three (the net stream's lock, the TCP stream's lock and the send). Where
any of the locks we skip is held, upstream's path runs unchanged.
Measured in docs/benchmarks.md (``hops`` and ``network``) and
``tests/node/test_stream_path.py``.
"""

from __future__ import annotations

import logging
import struct

import trio
from libp2p.io.exceptions import ConnectionClosedError
from libp2p.io.trio import TrioTCPStream
from libp2p.stream_muxer.yamux.yamux import (
    HEADER_SIZE,
    MAX_MESSAGE_SIZE,
    TYPE_DATA,
    YAMUX_HEADER_FORMAT,
    Yamux,
    YamuxStream,
)

log = logging.getLogger(__name__)

#: Bytes asked of the socket per receive (trio's own default).
RECEIVE_SIZE = 65_536


# --- io/trio.py: one receive per Noise message, not two -------------------------------


class BufferedTCPStream(TrioTCPStream):
    """A TCP stream that receives up to :data:`RECEIVE_SIZE` bytes at a time
    and hands them out from a buffer.

    Upstream (``TrioTCPStream.read``) each ``read(n)`` takes the read lock
    and receives at most ``n`` bytes from the socket. Noise reads a
    message as its 2-byte length, then its body: two receives (two system
    calls, four checkpoints) per message, however much had arrived. Here a
    read is served from what an earlier receive brought, when it holds
    anything, and receives only when it is empty. Errors are upstream's: a
    reset by the peer raises ``ConnectionClosedError``, a stream closed here
    reads as end of stream."""

    def __init__(self, stream: trio.SocketStream) -> None:
        super().__init__(stream)
        #: Received, not yet read (in order: it is handed out before
        #: anything received later, all under the read lock).
        self._received = bytearray()

    async def read(self, n: int | None = None) -> bytes:
        if n == 0:
            return b""
        if self._received and not self.read_lock.locked():
            return self._take(n)
        async with self.read_lock:
            if self._received:
                return self._take(n)
            try:
                data = await self.stream.receive_some(max(n or 0, RECEIVE_SIZE))
            except trio.BrokenResourceError as error:
                raise ConnectionClosedError(
                    f"TCP connection reset by remote peer: {error}", transport="tcp"
                ) from error
            except trio.ClosedResourceError:
                return b""
            if n is None or len(data) <= n:
                return data
            self._received += memoryview(data)[n:]
            return data[:n]

    def _take(self, n: int | None) -> bytes:
        size = len(self._received) if n is None else min(n, len(self._received))
        data = bytes(self._received[:size])
        del self._received[:size]
        return data


# --- stream_muxer/yamux/yamux.py: the reader never waits to write ----------------


class NonBlockingYamux(Yamux):
    """Yamux whose connection reader never waits to write.

    Upstream (``libp2p/stream_muxer/yamux/yamux.py``, ``Yamux.handle_incoming``
    and ``_write_frame``): the reader answers a ping, and acknowledges or
    resets a new stream, by writing inline under the connection's write
    lock. While a stream writer holds that lock, blocked on a full socket
    (the peer is not reading), the reader stops reading too; two nodes in
    that state wait for each other until a timeout cancels a writer (seen
    in ``benchmarks crash``: a daemon restarted under a flood, 60 s without
    a byte either way; ``tests/node/test_muxer_stall.py``). Here the reader
    hands those small frames to a task of their own and goes on reading,
    so the peer's writes always drain.
    """

    _reader: trio.lowlevel.Task | None = None

    async def handle_incoming(self) -> None:
        self._reader = trio.lowlevel.current_task()
        await super().handle_incoming()

    async def _write_frame(self, data: bytes) -> None:
        if self._nursery is not None and trio.lowlevel.current_task() is self._reader:
            self._nursery.start_soon(self._write_aside, data)
            return
        lock = self._write_lock
        if lock.locked():
            await super()._write_frame(data)  # others first, in turn (trio's Lock is FIFO)
            return
        # Nobody holds the lock: take it without upstream's checkpoint, and
        # leave out its closing one (the socket send below checkpoints) and
        # its debug line (a header decoded and a string built per frame,
        # logged or not).
        lock.acquire_nowait()
        try:
            await self.secured_conn.write(data)
        finally:
            lock.release()

    async def _write_aside(self, data: bytes) -> None:
        try:
            await super()._write_frame(data)
        except Exception as exc:  # the connection went away meanwhile
            log.debug("yamux control frame not sent: %s", exc)


class HalfWindowYamuxStream(YamuxStream):
    """A yamux stream that gives the writer credit back once half its
    receive window was read, as go-yamux does (``sendWindowUpdate``).

    Upstream (``stream_muxer/yamux/yamux.py``,
    ``YamuxStream._auto_tune_and_send_window_update``, called by every
    ``read``) each read that returns data writes a WINDOW_UPDATE back
    before it returns, ``PY_YAMUX_RELEASE_ON_READ`` on or off: on a stream
    of small messages (stem, gossip, feed) one more encrypted frame and
    socket write per message on the receiver's path, and one more wake-up
    of the writer (676 updates for 679 reads in ``benchmarks hops``' stem
    round). Each update within 4 RTTs of the last also doubled the window
    (``_apply_autotune_epoch``), so a chatty stream's window, what a peer
    may push at us unread, grew towards 16 MB. Here it grows only when
    reads of half a window follow each other within 4 RTTs."""

    async def _auto_tune_and_send_window_update(self, *, bytes_read: int = 0) -> None:
        # Upstream holds the window lock for this (a checkpoint per read),
        # but nothing under it awaits: skipped when nobody holds it.
        if self.window_lock.locked():
            async with self.window_lock:
                increment = self._credit_due()
        else:
            increment = self._credit_due()
        if increment:
            await self.send_window_update(increment, skip_lock=True)

    def _credit_due(self) -> int:
        """Credit to give the writer back now: 0 until half the window was read."""
        buffered = len(self.conn.stream_buffers.get(self.stream_id, b""))
        if self.target_recv_window - (self.recv_window + buffered) < self._grow_threshold():
            return 0
        return self._grow_to_delta(buffered) + self._apply_autotune_epoch(buffered)

    async def write(self, data: bytes) -> None:
        """Upstream builds each frame under the stream's writer lock and its
        window lock, a checkpoint each, though nothing in between awaits.
        When neither is held, the window takes the whole of ``data`` and it
        fits one frame, the same frame is built here without them (a trio
        task runs alone between two awaits, so no other task can see the
        window half-updated); any other write takes upstream's path."""
        size = len(data)
        if (
            0 < size <= min(self.send_window, MAX_MESSAGE_SIZE - HEADER_SIZE)
            and not (self.send_closed or self.closed)
            and not self.window_lock.locked()
            and self.rw_lock._writer_lock.value > 0
        ):
            self.send_window -= size
            header = struct.pack(YAMUX_HEADER_FORMAT, 0, TYPE_DATA, 0, self.stream_id, size)
            await self.conn._write_frame(header + data)
            return
        await super().write(data)
