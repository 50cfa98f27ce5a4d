"""``config.toml``: what it says (:class:`Settings`), its text with comments
(:func:`render_config`) and its strict reading (:func:`load_settings`).
Reference: ``docs/daemon.md``, "Configuration"."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import tomlkit

from intentcast.matching import Catalog, parse_catalog
from intentcast.peer.topics import BUCKETS, FOLLOWED_BUCKETS
from intentcast.protocol import Kind
from intentcast.store import GossipBudget

from .addresses import check_listen_addr, peer_id_of
from .errors import ConfigError
from .layout import Home, not_found

ROLES: Final = ("customer", "vendor", "relay")
DEFAULT_API_PORT: Final = 7646
DEFAULT_LISTEN: Final = ("/ip4/0.0.0.0/tcp/4001",)
#: The values of ``[vendor] confirm``.
CONFIRM_MODES: Final = ("auto", "manual")


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
    #: ``[vendor] confirm``: "auto" (the catalog or the attached bot answers
    #: accepts) or "manual" (each accept waits for the owner).
    confirm: str = "auto"
    #: Personal details ``accept --disclose NAME`` may send to a vendor.
    profile: dict[str, str] = field(default_factory=dict)
    #: Most messages of others the store keeps per kind (``[store] budget``).
    budget: GossipBudget = field(default_factory=GossipBudget)
    #: ``[privacy] offer_buckets``: how many offer bucket topics the customer
    #: follows (``NodeConfig.offer_buckets``) when it takes no feed.
    offer_buckets: int = FOLLOWED_BUCKETS
    #: ``[privacy] offer_feed``: take every offer from a carrier's feed and
    #: follow no offer topic (``NodeConfig.offer_feed``).
    offer_feed: bool = True


#: The declared schema of ``config.toml``: every table and, for each, its
#: keys with a one-line description. :func:`render_config` writes the file's
#: comments from it and :func:`load_settings` refuses any key not named here
#: (the API refuses unknown fields in the same way). The values' types and
#: bounds are checked as each key is read.
SCHEMA: Final[dict[str, dict[str, str]]] = {
    "node": {
        "roles": 'What this node does: "customer" (post intents, rank and accept offers), '
        '"vendor" (answer intents from the catalog below; without one, from a bot '
        'attached with `intentcast vendor attach BOT.py`), "relay" (carry every topic).',
        "listen": "libp2p listen addresses (multiaddrs). Port 0 picks a free port.",
        "bootstrap": "Peers to dial at start and keep connected: multiaddrs ending in "
        "/p2p/<peer id>.",
        "mdns": "Find peers on the local network with mDNS.",
    },
    "api": {
        "port": "The local HTTP API listens on 127.0.0.1 only, on this port (0: any free port).",
    },
    "privacy": {
        "offer_feed": "Take every offer from one relay's or vendor's feed, once, and follow "
        "no offer topic: nothing your node follows or asks for tells which intents are "
        "yours, and no topic links two of them (about as many bytes as following 2 "
        "topics). false: follow offer_buckets topics instead. docs/privacy.md, section 12.",
        "offer_buckets": "Without the feed: how many of the "
        f"{BUCKETS} offer topics your node follows (1 to {BUCKETS}). Offers to your "
        "intents arrive on them, so two of your "
        f"intents share one more often than two strangers' do: {BUCKETS} divided by "
        f"this number times the odds. {BUCKETS} leaves nothing to link them by, and "
        "costs your node about 10 times the bytes of 2 (every offer reaches it). "
        "docs/privacy.md, section 11.",
    },
    "store": {
        "budget": "Most messages of other nodes kept per kind; past it the oldest are "
        "dropped (never this node's own, nor those of its offers and deals).",
    },
    "vendor": {
        "catalog": "The catalog a vendor node answers from (relative to this directory). "
        "Leave it unset to answer from a bot: intentcast vendor attach BOT.py",
        "confirm": 'Who answers when a customer accepts one of your offers: "auto" (the '
        'catalog confirms while stock lasts, or the attached bot decides) or "manual" '
        "(each accept waits for you: the web app's Vendor page, or "
        "POST /v1/deals/{deal}/confirm or /decline).",
    },
    # [profile] holds any names (what `accept --disclose NAME` sends).
    "profile": {},
}


def _comment(table: Any, text: str) -> None:
    """``text`` as ``#`` lines of at most 76 characters."""
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > 76:
            table.add(tomlkit.comment(line))
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        table.add(tomlkit.comment(line))


def render_config(settings: Settings) -> str:
    """The text of ``config.toml`` for ``settings``, with comments (written
    with tomlkit, which keeps comments when a file is read and written back)."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("intentcast node configuration. Reference: docs/daemon.md."))
    doc.add(tomlkit.nl())
    values: dict[str, dict[str, Any]] = {
        "node": {
            "roles": list(settings.roles),
            "listen": list(settings.listen),
            "bootstrap": list(settings.bootstrap),
            "mdns": settings.mdns,
        },
        "api": {"port": settings.api_port},
        "privacy": {"offer_feed": settings.offer_feed, "offer_buckets": settings.offer_buckets},
    }
    for name, keys in values.items():
        table = tomlkit.table()
        for key, value in keys.items():
            _comment(table, SCHEMA[name][key])
            table.add(key, value)
        doc.add(name, table)
    store = tomlkit.table()
    _comment(
        store,
        SCHEMA["store"]["budget"]
        + " Each kind takes at most its count times its largest message: about "
        f"{settings.budget.max_bytes() // 1_000_000} MB with these values. "
        'docs/store.md, "Budget".',
    )
    budget = tomlkit.inline_table()
    for kind in BUDGET_KINDS:
        budget[kind] = settings.budget.rows(Kind(kind))
    store.add("budget", budget)
    doc.add("store", store)
    vendor = tomlkit.table()
    _comment(vendor, SCHEMA["vendor"]["catalog"])
    if settings.catalog is not None:
        vendor.add("catalog", str(settings.catalog))
    else:
        vendor.add(tomlkit.comment('catalog = "catalog.toml"'))
    _comment(vendor, SCHEMA["vendor"]["confirm"])
    vendor.add("confirm", settings.confirm)
    doc.add("vendor", vendor)
    profile = tomlkit.table()
    _comment(
        profile,
        "What `intentcast accept OFFER --disclose contact,shipping` sends to the "
        "vendor you accept, and to no one else.",
    )
    for key, value in settings.profile.items():
        profile.add(key, value)
    if not settings.profile:
        profile.add(tomlkit.comment('contact = "you@example.org"'))
        profile.add(tomlkit.comment('shipping = "Street 1, 12345 City"'))
    doc.add("profile", profile)
    return tomlkit.dumps(doc)


def check_known_keys(data: dict[str, Any]) -> None:
    """:class:`ConfigError` naming the first table or key :data:`SCHEMA` does not declare."""
    for name, table in data.items():
        if name not in SCHEMA:
            raise ConfigError(
                f"unknown table [{_short(name)}]; the tables are "
                + ", ".join(f"[{t}]" for t in SCHEMA)
            )
        if name == "profile" or not isinstance(table, dict):
            continue
        unknown = [k for k in table if k not in SCHEMA[name]]
        if unknown:
            raise ConfigError(
                f"unknown key {_short(unknown[0])} in [{name}]; its keys are "
                + ", ".join(SCHEMA[name])
            )


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


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
        check_known_keys(data)
        node = _table(data, "node")
        api = _table(data, "api")
        privacy = _table(data, "privacy")
        store = _table(data, "store")
        vendor = _table(data, "vendor")
        profile = _table(data, "profile")
    except ConfigError as exc:
        raise ConfigError(f"{home.config}: {exc}") from None
    catalog = vendor.get("catalog")
    if catalog is not None and not isinstance(catalog, str):
        raise ConfigError(f"{home.config}: vendor.catalog must be a file name")
    confirm = vendor.get("confirm", "auto")
    if confirm not in CONFIRM_MODES:
        raise ConfigError(
            f'{home.config}: vendor.confirm must be "auto" or "manual", not {_shown(confirm)}'
        )
    if not all(isinstance(v, str) for v in profile.values()):
        raise ConfigError(f"{home.config}: every [profile] value must be a string")
    mdns = node.get("mdns", False)
    if not isinstance(mdns, bool):  # "no" or 0 must not turn it on (or off) by accident
        raise ConfigError(f"{home.config}: node.mdns must be true or false, not {_shown(mdns)}")
    offer_feed = privacy.get("offer_feed", True)
    if not isinstance(offer_feed, bool):
        raise ConfigError(
            f"{home.config}: privacy.offer_feed must be true or false, not {_shown(offer_feed)}"
        )
    try:
        catalog_path = None if catalog is None else home.path / Path(catalog).expanduser()
    except RuntimeError:  # ~user that does not exist
        raise ConfigError(f"{home.config}: vendor.catalog {catalog!r}: no such user") from None
    try:
        return Settings(
            roles=check_roles(_strings(node, "roles", ["customer"])),
            listen=tuple(map(check_listen_addr, _strings(node, "listen", list(DEFAULT_LISTEN)))),
            bootstrap=tuple(check_bootstrap(_strings(node, "bootstrap", []))),
            mdns=mdns,
            api_port=check_port(api.get("port", DEFAULT_API_PORT)),
            catalog=catalog_path,
            confirm=confirm,
            profile=dict(profile),
            budget=_budget(store.get("budget", {})),
            offer_buckets=check_offer_buckets(privacy.get("offer_buckets", FOLLOWED_BUCKETS)),
            offer_feed=offer_feed,
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


def check_bootstrap(addrs: Sequence[str]) -> tuple[str, ...]:
    """``addrs`` if each is a peer address ending in ``/p2p/<peer id>``."""
    for addr in addrs:
        peer_id_of(addr)
    return tuple(addrs)


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


def check_offer_buckets(count: object) -> int:
    """``count`` if a customer may follow that many offer buckets, else
    :class:`ConfigError`."""
    if type(count) is not int or not 1 <= count <= BUCKETS:
        raise ConfigError(
            f"privacy.offer_buckets must be a whole number from 1 to {BUCKETS}, not {_shown(count)}"
        )
    return count


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
    "CONFIRM_MODES",
    "DEFAULT_API_PORT",
    "DEFAULT_LISTEN",
    "MAX_BUDGET",
    "ROLES",
    "SCHEMA",
    "ConfigError",
    "Settings",
    "check_bootstrap",
    "check_known_keys",
    "check_offer_buckets",
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
