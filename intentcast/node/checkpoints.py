"""The store's WAL checkpoints, in a worker thread while the node runs.

SQLite copies its write-ahead log into the main file (a checkpoint) inside
the commit that takes the log past 1,000 pages: with the two flushes that
come with it, 6-9 ms on the committing thread (``python -m benchmarks
store``, ``gossip_commit_max_ms``), here the event loop, where every
message passing through the node waits for it (a forward, a stem hop).
Each node of a busy network did that every ~130 messages. While the node
runs, its commits never checkpoint (``Store.checkpoints_apart``);
:func:`keep_checkpointing` does it in a worker thread over a connection of
its own, after :data:`CHECKPOINT_COMMITS` commits or
:data:`CHECKPOINT_SECONDS` after a commit, whichever comes first
(docs/store.md, "Checkpoints").
"""

from __future__ import annotations

import logging
from typing import Final

import trio

from intentcast.store import Store, StoreError

log = logging.getLogger(__name__)

#: Commits after which a checkpoint is due (a gossip message is one commit
#: of ~8 pages: ~1,600 pages, the order of SQLite's own 1,000).
CHECKPOINT_COMMITS: Final = 200
#: Longest a commit waits for its checkpoint on a quiet node (seconds).
CHECKPOINT_SECONDS: Final = 10.0
#: How often the count of commits is looked at (seconds).
CHECKPOINT_POLL: Final = 1.0


async def keep_checkpointing(
    store: Store,
    *,
    commits: int = CHECKPOINT_COMMITS,
    seconds: float = CHECKPOINT_SECONDS,
    poll: float = CHECKPOINT_POLL,
) -> None:
    """Checkpoint ``store`` in a worker thread until cancelled; meanwhile
    its commits do not. A checkpoint the disk refuses is logged and tried
    again at the next one due: its pages stay in the log, nothing is lost."""
    with store.checkpoints_apart():
        done = store.commits
        since = trio.current_time()
        while True:
            await trio.sleep(poll)
            pending = store.commits - done
            if pending == 0:
                since = trio.current_time()
                continue
            if pending < commits and trio.current_time() - since < seconds:
                continue
            # Commits from here on are the next checkpoint's.
            done, since = store.commits, trio.current_time()
            try:
                await trio.to_thread.run_sync(store.checkpoint)
            except StoreError as exc:
                log.warning("checkpoint of the store failed (tried again later): %s", exc)
