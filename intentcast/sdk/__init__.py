"""The vendor-bot SDK: what a shop writes to answer intents with code.

A bot is a :class:`VendorBot` subclass with a name, the categories it
serves, shop-wide defaults (currency, delivery, regions, accepted customer
terms, payment modes) and an :meth:`~VendorBot.on_intent` handler that
looks at an :class:`IntentView` and returns :class:`OfferSpec` s (or
nothing). Optionally :meth:`~VendorBot.on_accept` confirms or declines a
customer's accept; after the deal :meth:`~VendorBot.on_message`,
:meth:`~VendorBot.on_update` and :meth:`~VendorBot.on_forget` hear what the
customer sends on it (:class:`ThreadView`). Handlers may be plain
functions or coroutines.

The SDK turns the specs into protocol offers, and drops (with a log line)
every offer that would break one of the customer's hard terms: the
customer's node would only reject it, so sending it costs bandwidth and
proof of work and teaches the customer nothing. A bot that wants to send
such offers anyway sets ``respect_hard_terms = False``.

:class:`BotVendor` adapts a bot to the node's
:class:`~intentcast.peer.vendor.VendorHandler`;
:func:`load_bot` imports a ``BOT.py`` file; :func:`run_bot` runs one over a
node home (``intentcast vendor run BOT.py``); :func:`attach_bot` runs one
against a daemon that is already running (``intentcast vendor attach
BOT.py``); :mod:`.client` is the one client of a daemon's local API,
which the CLI uses too. Guide: ``docs/bots.md``.

The names below load their module on first use, so that importing
:mod:`.client` (for the CLI) does not load the node, trio or libp2p.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from intentcast.peer.relationships import ThreadReply
    from intentcast.peer.vendor import Decision

    from .adapter import BotVendor, StoppedOffer, check_offer, to_offer
    from .attach import Attached, AttachError, DaemonNotRunning, attach_bot
    from .bot import (
        AcceptView,
        BotError,
        BotLoadError,
        IntentView,
        OfferSpec,
        ThreadView,
        VendorBot,
        confirm,
        decline,
        reply,
    )
    from .catalog import CatalogBot, spec_from_draft
    from .loading import load_bot, run_bot

#: Public name -> the module that defines it.
_MODULES: Final = {
    "Decision": "intentcast.peer.vendor",
    "ThreadReply": "intentcast.peer.relationships",
    "BotVendor": ".adapter",
    "StoppedOffer": ".adapter",
    "check_offer": ".adapter",
    "to_offer": ".adapter",
    "Attached": ".attach",
    "AttachError": ".attach",
    "DaemonNotRunning": ".attach",
    "attach_bot": ".attach",
    "AcceptView": ".bot",
    "BotError": ".bot",
    "BotLoadError": ".bot",
    "IntentView": ".bot",
    "OfferSpec": ".bot",
    "ThreadView": ".bot",
    "VendorBot": ".bot",
    "reply": ".bot",
    "confirm": ".bot",
    "decline": ".bot",
    "CatalogBot": ".catalog",
    "spec_from_draft": ".catalog",
    "load_bot": ".loading",
    "run_bot": ".loading",
}


def __getattr__(name: str) -> object:
    try:
        module = _MODULES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])


__all__ = [
    "AcceptView",
    "AttachError",
    "Attached",
    "BotError",
    "BotLoadError",
    "BotVendor",
    "CatalogBot",
    "DaemonNotRunning",
    "Decision",
    "IntentView",
    "OfferSpec",
    "StoppedOffer",
    "ThreadReply",
    "ThreadView",
    "VendorBot",
    "attach_bot",
    "check_offer",
    "confirm",
    "decline",
    "load_bot",
    "reply",
    "run_bot",
    "spec_from_draft",
    "to_offer",
]
