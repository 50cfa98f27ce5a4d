"""``config.toml``: what it says (:class:`Settings`), its text with comments
(:func:`render_config`) and its strict reading (:func:`load_settings`).
Reference: ``docs/daemon.md``, "Configuration"."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from intentcast.matching import Catalog, parse_catalog
from intentcast.protocol import Kind
from intentcast.store import GossipBudget

from .errors import ConfigError
from .layout import Home, not_found

ROLES: Final = ("customer", "vendor", "relay")
DEFAULT_API_PORT: Final = 7646
DEFAULT_LISTEN: Final = ("/ip4/0.0.0.0/tcp/4001",)


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """What ``config.toml`` says (see ``docs/daemon.md``, "Configuration")."""

    roles: tuple[str, ...] = ("customer",)
    listen: tuple[str, ...] = DEFAULT_LISTEN
    bootstrap: tuple[str, ...] = ()
    mdns: bool = False
    api_port: int = DEFAULT_API_PORT
    #: Vendor catalog (TOML); relative paths are relative to the home.
    catalog: Path | None = None
    #: Personal details ``accept --disclose NAME`` may send to a vendor.
    profile: dict[str, str] = field(default_factory=dict)
    #: Most messages of others the store keeps per kind (``[store] budget``).
    budget: GossipBudget = field(default_factory=GossipBudget)


def render_config(settings: Settings) -> str:
    """The text of ``config.toml`` for ``settings``, with comments."""

    def strings(values: Sequence[str]) -> str:
        return "[" + ", ".join(json.dumps(v) for v in values) + "]"

    budget = ", ".join(f"{k} = {settings.budget.rows(Kind(k))}" for k in BUDGET_KINDS)
    catalog = (
        f"catalog = {json.dumps(str(settings.catalog))}"
        if settings.catalog is not None
        else '# catalog = "catalog.toml"'
    )
    return f"""# intentcast node configuration. Reference: docs/daemon.md.

[node]
# What this node does: "customer" (post intents, rank and accept offers),
# "vendor" (answer intents from the catalog below; without one, from a bot
# attached with `intentcast vendor attach BOT.py`), "relay" (carry every topic).
roles = {strings(settings.roles)}
# libp2p listen addresses (multiaddrs). Port 0 picks a free port.
listen = {strings(settings.listen)}
# Peers to dial at start and keep connected: multiaddrs ending in /p2p/<peer id>.
bootstrap = {strings(settings.bootstrap)}
# Find peers on the local network with mDNS.
mdns = {"true" if settings.mdns else "false"}

[api]
# The local HTTP API listens on 127.0.0.1 only, on this port (0: any free port).
port = {settings.api_port}

[store]
# Most messages of other nodes kept per kind; past it the oldest are dropped
# (never this node's own, nor those of its offers and deals). Each kind
# takes at most its count times its largest message: about
# {settings.budget.max_bytes() // 1_000_000} MB with these values. docs/store.md, "Budget".
budget = {{ {budget} }}

[vendor]
# The catalog a vendor node answers from (relative to this directory).
# Leave it unset to answer from a bot: intentcast vendor attach BOT.py
{catalog}

[profile]
# What `intentcast accept OFFER --disclose contact,shipping` sends to the
# vendor you accept, and to no one else.
# contact = "you@example.org"
# shipping = "Street 1, 12345 City"
"""


# --- loading --------------------------------------------------------------------


def load_settings(home: Home) -> Settings:
    """Read and check ``config.toml``. Raises :class:`ConfigError`."""
    try:
        text = home.config.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{home.config}: not UTF-8 text (byte {exc.start})") from None
    except FileNotFoundError:
        raise ConfigError(not_found(home.config, home.path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {home.config}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{home.config}: nested too deeply") from None
    except ValueError:  # tomllib lets int()'s digit limit through (4,300 digits)
        raise ConfigError(f"{home.config}: a number too long to read") from None
    try:
        node = _table(data, "node")
        api = _table(data, "api")
        store = _table(data, "store")
        vendor = _table(data, "vendor")
        profile = _table(data, "profile")
    except ConfigError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None
    catalog = vendor.get("catalog")
    if catalog is not None and not isinstance(catalog, str):
        raise ConfigError(f"{home.config}: vendor.catalog must be a file name")
    if not all(isinstance(v, str) for v in profile.values()):
        raise ConfigError(f"{home.config}: every [profile] value must be a string")
    mdns = node.get("mdns", False)
    if not isinstance(mdns, bool):  # "no" or 0 must not turn it on (or off) by accident
        raise ConfigError(f"{home.config}: node.mdns must be true or false, not {_shown(mdns)}")
    try:
        catalog_path = None if catalog is None else home.path / Path(catalog).expanduser()
    except RuntimeError:  # ~user that does not exist
        raise ConfigError(f"{home.config}: vendor.catalog {catalog!r}: no such user") from None
    try:
        return Settings(
            roles=check_roles(_strings(node, "roles", ["customer"])),
            listen=tuple(_strings(node, "listen", list(DEFAULT_LISTEN))),
            bootstrap=tuple(_strings(node, "bootstrap", [])),
            mdns=mdns,
            api_port=check_port(api.get("port", DEFAULT_API_PORT)),
            catalog=catalog_path,
            profile=dict(profile),
            budget=_budget(store.get("budget", {})),
        )
    except ConfigError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table")
    return table


def _strings(table: dict[str, Any], name: str, default: list[str]) -> list[str]:
    value = table.get(name, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{name} must be a list of strings")
    return value


def check_roles(roles: Sequence[str]) -> tuple[str, ...]:
    """``roles`` without repeats; :class:`ConfigError` if empty or one is unknown."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ConfigError(f"roles must be some of {', '.join(ROLES)}; got {list(roles)}")
    return tuple(dict.fromkeys(roles))


#: The kinds ``[store] budget`` names, as the file spells them.
BUDGET_KINDS: Final = ("intent", "withdraw", "sealed-offer", "sealed-deal", "vendor-profile")
#: The largest budget a kind may be given (rows).
MAX_BUDGET: Final = 10_000_000


def _budget(table: object) -> GossipBudget:
    if not isinstance(table, dict):
        raise ConfigError("store.budget must be a table, e.g. { sealed-deal = 10000 }")
    unknown = [k for k in table if k not in BUDGET_KINDS]
    if unknown:
        raise ConfigError(
            f"store.budget: unknown kind {_shown(unknown[0])}; the kinds are "
            + ", ".join(BUDGET_KINDS)
        )
    for kind, rows in table.items():
        if type(rows) is not int or not 1 <= rows <= MAX_BUDGET:
            raise ConfigError(
                f"store.budget.{kind} must be a whole number from 1 to {MAX_BUDGET}, "
                f"not {_shown(rows)}"
            )
    return GossipBudget(**{k.replace("-", "_"): v for k, v in table.items()})


def check_port(port: object) -> int:
    """``port`` if it is a TCP port number (0: any free port), else :class:`ConfigError`."""
    if type(port) is not int or not 0 <= port <= 65535:
        raise ConfigError(f"the API port must be a number from 0 to 65535, not {_shown(port)}")
    return port


def _shown(value: object) -> str:
    """``value`` as an error message quotes it: short, and never failing
    (a 4,000-digit int has no ``repr`` under Python's digit limit)."""
    try:
        text = repr(value)
    except ValueError:
        return f"a {type(value).__name__} too long to show"
    return text if len(text) <= 40 else text[:37] + "..."


__all__ = [
    "BUDGET_KINDS",
    "DEFAULT_API_PORT",
    "DEFAULT_LISTEN",
    "MAX_BUDGET",
    "ROLES",
    "ConfigError",
    "Settings",
    "check_port",
    "check_roles",
    "load_settings",
    "render_config",
]


class CatalogUnreadable(ValueError):
    """A catalog file that cannot be read, or is not UTF-8 text."""


def read_catalog(path: Path) -> Catalog:
    """The TOML catalog at ``path`` (the daemon's ``catalog`` setting and the
    SDK's ``CatalogBot.from_file`` both read catalogs with it). Raises
    :class:`CatalogUnreadable` for a file it cannot read or decode, and
    :class:`~intentcast.matching.CatalogError` for an invalid catalog."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogUnreadable(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise CatalogUnreadable(f"cannot read the catalog {path}: {exc.strerror}") from None
    return parse_catalog(text, source=str(path))
