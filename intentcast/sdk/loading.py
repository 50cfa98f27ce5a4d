"""Loading a BOT.py file, and running a bot over a node home."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .adapter import BotVendor
from .bot import BotLoadError, VendorBot

if TYPE_CHECKING:
    from intentcast.daemon.process import DaemonInfo

log = logging.getLogger(__name__)

# --- loading a BOT.py --------------------------------------------------------------


def load_bot(path: str | Path) -> VendorBot:
    """Import the Python file at ``path`` and return its bot: the one
    :class:`VendorBot` instance at module level, or else the one
    :class:`VendorBot` subclass defined in the file (created with no
    arguments). Raises :class:`BotLoadError` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise BotLoadError(f"{path}: no such file")
    digest = hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    module_name = f"intentcast_bot_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise BotLoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look it up
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise BotLoadError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[module_name]
        line = _line_in(path, exc)
        where = f"{path}:{line}" if line is not None else str(path)
        raise BotLoadError(f"{where}: {type(exc).__name__} while loading the bot: {exc}") from None
    return _find_bot(path, module_name, vars(module))


def _line_in(path: Path, exc: BaseException) -> int | None:
    """The last line of ``path`` in ``exc``'s traceback."""
    target = str(path.resolve())
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        # "<frozen ...>" and the like name no file (and resolving such a
        # relative name fails if the working directory is gone).
        if not frame.filename or frame.filename.startswith("<"):
            continue
        if str(Path(frame.filename).resolve()) == target:
            line = frame.lineno
    return line


def _find_bot(path: Path, module_name: str, names: Mapping[str, object]) -> VendorBot:
    instances = {id(v): (k, v) for k, v in names.items() if isinstance(v, VendorBot)}
    if len(instances) == 1:
        ((_, bot),) = instances.values()
        assert isinstance(bot, VendorBot)
        return bot
    if len(instances) > 1:
        found = ", ".join(sorted(k for k, _ in instances.values()))
        raise BotLoadError(f"{path}: more than one bot ({found}); keep one per file")
    classes = [
        v
        for v in names.values()
        if isinstance(v, type) and issubclass(v, VendorBot) and v.__module__ == module_name
    ]
    if not classes:
        raise BotLoadError(
            f"{path}: no bot found; define a VendorBot subclass "
            f"(from intentcast.sdk import VendorBot) or a VendorBot instance"
        )
    if len(classes) > 1:
        found = ", ".join(sorted(c.__name__ for c in classes))
        raise BotLoadError(
            f"{path}: more than one bot class ({found}); create the one to run "
            f"at module level (bot = {classes[0].__name__}())"
        )
    try:
        bot = classes[0]()
    except Exception as exc:
        raise BotLoadError(
            f"{path}: cannot create {classes[0].__name__}(): {type(exc).__name__}: {exc}"
        ) from None
    return bot


# --- running a bot over a node home ---------------------------------------------


def run_bot(
    home: Path,
    path: Path,
    *,
    handle_signals: bool = True,
    on_ready: Callable[[DaemonInfo], None] | None = None,
) -> None:
    """Run the bot in ``path`` as the vendor of the node home ``home`` with
    its local API, like ``vendor run --catalog`` (same keys, config, lock,
    store, listen addresses); blocks until stopped.

    Raises :class:`BotLoadError` or :class:`BotError` for the bot, and what
    :func:`~intentcast.daemon.process.run_daemon` raises for the home."""
    from intentcast.daemon.process import run_daemon  # noqa: PLC0415  (the node only when running)

    run_daemon(
        home,
        vendor=BotVendor(load_bot(path)),
        vendor_source=Path(path).resolve(),
        handle_signals=handle_signals,
        on_ready=on_ready,
    )
