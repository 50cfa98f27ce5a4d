"""Stopping a foreground process on SIGINT or SIGTERM: the daemon
(``daemon/process.py``) and an attached bot (``sdk/attach.py``)."""

from __future__ import annotations

import logging
import signal

import trio


async def stop_on_signal(stopping: trio.Event, log: logging.Logger, doing: str) -> None:
    """Set ``stopping`` at the first SIGINT or SIGTERM, logging
    ``"<SIGNAL> received; <doing>"``."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            log.info("%s received; %s", signal.Signals(signum).name, doing)
            stopping.set()
            return
