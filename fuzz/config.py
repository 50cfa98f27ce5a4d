"""The daemon's ``config.toml``: ``load_settings`` on fuzzed file bytes.

Oracles: only :class:`ConfigError` is raised (a user can act on its
message; anything else is a traceback at start-up); accepted settings
have the types ``docs/daemon.md`` gives, and a value of the wrong type in
the file is refused rather than coerced (``mdns = "no"`` must not turn
mDNS on).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from intentcast.daemon.config import ROLES, ConfigError, Settings, load_settings
from intentcast.daemon.layout import Home

from .harness import Finding, Known, scratch

#: Findings not fixed yet (none: finding 22 is fixed in daemon/config.py).
KNOWN: Final[tuple[Known, ...]] = ()


def _check(settings: Settings, home: Home) -> None:
    if not settings.roles or not set(settings.roles) <= set(ROLES):
        raise Finding(f"roles {settings.roles!r} accepted")
    for name in ("listen", "bootstrap"):
        value = getattr(settings, name)
        if type(value) is not tuple or not all(type(v) is str for v in value):
            raise Finding(f"{name} {value!r} accepted")
    if type(settings.api_port) is not int or not 0 <= settings.api_port <= 65535:
        raise Finding(f"api port {settings.api_port!r} accepted")
    if not all(type(k) is str and type(v) is str for k, v in settings.profile.items()):
        raise Finding("a profile value that is not text accepted")
    if settings.catalog is not None and not isinstance(settings.catalog, Path):
        raise Finding("a catalog that is not a path accepted")
    budget = settings.budget
    for kind in ("intent", "withdraw", "sealed_offer", "sealed_deal", "vendor_profile"):
        rows = getattr(budget, kind)
        if type(rows) is not int or rows < 1:
            raise Finding(f"a budget of {rows!r} for {kind} accepted")
    # Read as the daemon reads it.
    node: Any = tomllib.loads(home.config.read_bytes().decode("utf-8")).get("node", {})
    if "mdns" in node and type(node["mdns"]) is not bool:
        raise Finding(f"mdns = {node['mdns']!r} accepted as {settings.mdns}")


def one_input(data: bytes) -> None:
    home = Home(scratch("config"))
    home.config.write_bytes(data)
    try:
        settings = load_settings(home)
    except ConfigError:
        return
    _check(settings, home)


def seeds() -> list[bytes]:
    from intentcast.daemon.config import render_config

    return [
        render_config(Settings()).encode(),
        render_config(
            Settings(
                roles=("customer", "vendor"),
                bootstrap=("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWxyz",),
                catalog=Path("catalog.toml"),
                profile={"contact": "me@example.org"},
            )
        ).encode(),
        b'[node]\nroles = ["relay"]\nmdns = true\n[api]\nport = 0\n',
        b"[node]\nroles = []\n",
        b"[profile]\ncontact = 5\n",
    ]
