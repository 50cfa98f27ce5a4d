"""What every handler gets: the node, its settings, the event log."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from intentcast import __version__
from intentcast.node import Node

from ..config import Settings
from ..events import EventLog
from ..web.sessions import WebSessions
from .known import KnownVendors


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiContext:
    """What the API serves: the running node and the daemon around it."""

    node: Node
    token: str
    settings: Settings
    events: EventLog
    home: Path
    started: float
    stop: Callable[[], None]
    version: str
    #: The web app's sign-in codes and browser sessions (in memory).
    web: WebSessions = field(default_factory=WebSessions)
    #: The vendors the node learned of from the offers it opened (hints).
    known_vendors: KnownVendors = field(default_factory=KnownVendors)

    @classmethod
    def start(
        cls,
        node: Node,
        *,
        settings: Settings,
        events: EventLog,
        home: Path,
        stop: Callable[[], None],
    ) -> ApiContext:
        """The context of an API starting now: a new token, no sessions."""
        return cls(
            node=node,
            token=secrets.token_urlsafe(32),
            settings=settings,
            events=events,
            home=home,
            started=time.time(),
            stop=stop,
            version=__version__,
        )


@dataclass(frozen=True, slots=True)
class Created:
    """A handler's answer for a new resource: 201 Created."""

    body: dict[str, Any]


Handler = Callable[[Request, ApiContext], Awaitable[Any]]
