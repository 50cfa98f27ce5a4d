"""Nodes in their own OS processes, for tests.

``python -m tests.node.procs vendor CATALOG STORE SEED_HEX`` runs a vendor
node (catalog from ``examples/catalogs``, low proof of work as in
:mod:`.harness`) and speaks JSON lines: it prints ``{"addr", "peer"}`` once
it listens, then answers one line per command read on stdin. It exits when
stdin closes, so a test that dies never leaves it behind.

:func:`vendor_process` starts one from a test and always reaps it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import trio

from intentcast.node import open_node
from intentcast.protocol import derive_vendor_keys
from intentcast.store import Store

from .harness import CONFIG, ROOT, catalog_vendor


class ChildError(Exception):
    """The child process died, went silent, or refused a command."""


class VendorProcess:
    """The parent's handle on a vendor node in a child process."""

    def __init__(self, process: trio.Process, log: Path) -> None:
        self.process = process
        self.log = log
        self.addr = ""
        self.peer = ""
        self._buffer = b""

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"

    async def receive(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        with trio.move_on_after(timeout):
            while b"\n" not in self._buffer:
                chunk = await self.process.stdout.receive_some(65536)
                if not chunk:
                    raise ChildError(f"vendor process exited; its log:\n{self._log_tail()}")
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\n", 1)
            reply: dict[str, Any] = json.loads(line)
            if "error" in reply:
                raise ChildError(f"vendor process: {reply['error']}")
            return reply
        raise ChildError(f"vendor process silent for {timeout} s; its log:\n{self._log_tail()}")

    async def call(self, command: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        assert self.process.stdin is not None
        await self.process.stdin.send_all((json.dumps(command) + "\n").encode())
        return await self.receive(timeout)

    async def deal(self, accept_id: bytes) -> dict[str, Any]:
        """The vendor's stored deal for ``accept_id`` (``{}`` if none)."""
        return await self.call({"cmd": "deal", "accept": accept_id.hex()})

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs in the child."""
        self.process.kill()

    async def close(self) -> None:
        with trio.CancelScope(shield=True):
            try:
                if self.process.stdin is not None:
                    await self.process.stdin.aclose()
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass
            with trio.move_on_after(10):
                await self.process.wait()
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


@asynccontextmanager
async def vendor_process(
    catalog: str, store: Path, seed: bytes, *, timeout: float = 60.0
) -> AsyncIterator[VendorProcess]:
    """Run a vendor node with ``catalog`` over the store file ``store`` and
    vendor keys from ``seed`` in a child process, listening on 127.0.0.1.
    The child is stopped (or killed) when the block exits, however it exits."""
    log = store.with_suffix(".log")
    with open(log, "ab") as stderr:
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "tests.node.procs", "vendor", catalog, str(store), seed.hex()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT,
        )  # fmt: skip
    child = VendorProcess(process, log)
    try:
        hello = await child.receive(timeout)
        child.addr, child.peer = hello["addr"], hello["peer"]
        yield child
    finally:
        await child.close()


# --- the child side ---------------------------------------------------------------


def _reply(out: TextIO, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj) + "\n")
    out.flush()


async def _serve_vendor(out: TextIO, catalog: str, store_path: str, seed: bytes) -> None:
    store = Store.open(store_path)
    try:
        async with open_node(
            store, vendor_keys=derive_vendor_keys(seed), vendor=catalog_vendor(catalog),
            config=CONFIG,
        ) as node:  # fmt: skip
            _reply(out, {"addr": node.addrs()[0], "peer": node.peer_id})
            stdin = trio.lowlevel.FdStream(os.dup(0))
            buffer = b""
            while True:
                while b"\n" not in buffer:
                    chunk = await stdin.receive_some(65536)
                    if not chunk:
                        return  # the parent is gone
                    buffer += chunk
                line, buffer = buffer.split(b"\n", 1)
                command = json.loads(line)
                if command["cmd"] == "deal":
                    deal = node.store.deals.get(bytes.fromhex(command["accept"]))
                    if deal is None:
                        _reply(out, {})
                        continue
                    _reply(out, {
                        "state": deal.state.value, "role": deal.role.value,
                        "disclosure": dict(deal.accept.message.disclosure),
                        "accept": deal.accept.raw.hex(),
                        "reply": deal.reply.raw.hex() if deal.reply is not None else None,
                    })  # fmt: skip
                elif command["cmd"] == "offers-made":
                    _reply(out, {"count": len(node.store.offers.made())})
                else:
                    _reply(out, {"error": f"unknown command {command['cmd']!r}"})
    finally:
        store.close()


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] != "vendor":
        print("usage: python -m tests.node.procs vendor CATALOG STORE SEED_HEX", file=sys.stderr)
        return 2
    # Replies get their own copy of stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    trio.run(_serve_vendor, out, argv[1], argv[2], bytes.fromhex(argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
