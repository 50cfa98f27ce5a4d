"""The local API and web app for a node that runs in this process without
a daemon around it (``intentcast demo --open``, the browser tests, the
``webapp`` benchmark): the same app as ``node run`` serves, on a free port
of 127.0.0.1, with its own token and event log."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.run import worker_serve
from hypercorn.utils import wrap_app

from intentcast.node import Node

from ..api import ApiContext, build_app
from ..config import Settings
from ..events import EventLog, follow_events
from ..home import write_cookie
from ..layout import Home


@dataclass(frozen=True, slots=True)
class Served:
    """A node's API being served: its base URL, token and context."""

    url: str
    token: str
    context: ApiContext

    def login_url(self, seconds: float | None = None) -> str:
        """A one-time sign-in link to the web app (what ``intentcast open``
        asks the API for)."""
        kwargs = {} if seconds is None else {"seconds": seconds}
        return f"{self.url}/app/login?code={self.context.web.new_code(**kwargs)}"


@asynccontextmanager
async def serve_api(node: Node, *, settings: Settings, home: Path) -> AsyncIterator[Served]:
    """Serve ``node``'s API and web app on 127.0.0.1 (a free port) while the
    block runs; writes ``api.cookie`` into ``home`` so the CLI (``--home``)
    reaches it too."""
    events = EventLog()
    async with trio.open_nursery() as nursery:
        await nursery.start(follow_events, node, events)
        stopping = trio.Event()
        context = ApiContext.start(
            node, settings=settings, events=events, home=home, stop=stopping.set
        )
        hconfig = HypercornConfig()
        hconfig.bind = ["127.0.0.1:0"]
        hconfig.graceful_timeout = 1.0
        hconfig.accesslog = None
        hconfig.errorlog = logging.getLogger("intentcast.daemon.api.server")
        binds: list[str] = await nursery.start(
            functools.partial(
                worker_serve,
                # starlette's and hypercorn's ASGI type aliases differ; same protocol.
                wrap_app(build_app(context), hconfig.wsgi_max_body_size, "asgi"),  # type: ignore[arg-type]
                hconfig,
                shutdown_trigger=stopping.wait,
            )
        )
        home.mkdir(parents=True, exist_ok=True)
        write_cookie(Home.at(home), binds[0], context.token)
        try:
            yield Served(binds[0], context.token, context)
        finally:
            nursery.cancel_scope.cancel()


def serve_with(
    node: Node, roles: tuple[str, ...], profile: Mapping[str, str], home: Path
) -> AbstractAsyncContextManager[Served]:
    """:func:`serve_api` with these roles and ``[profile]`` (what
    ``intentcast.demo.serve_demo_market`` calls for each node it shows)."""
    return serve_api(node, settings=Settings(roles=roles, profile=dict(profile)), home=home)


__all__ = ["Served", "serve_api", "serve_with"]
