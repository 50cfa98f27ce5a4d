"""Addresses and ports: what peers can dial, and whether a port is free.

py-libp2p listens on what it is told, ``/ip4/0.0.0.0/...`` included; these
helpers turn that into addresses worth telling others, and refuse a fixed
port another process holds before the node starts.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from multiaddr import Multiaddr

from .errors import ConfigError, DaemonError


class BadAddress(ConfigError):
    """A listen or peer address that is not a multiaddr of the right kind."""


def _parsed(addr: str, what: str) -> Multiaddr:
    try:
        return Multiaddr(addr)
    except Exception as exc:  # the multiaddr library raises several kinds
        why = str(exc).split(" (string:")[0]
        raise BadAddress(f"{addr[:80]!r} is not a {what}: {why[:120]}") from None


def check_listen_addr(addr: str) -> str:
    """``addr`` if it is a TCP multiaddr to listen on (``/ip4/0.0.0.0/tcp/4001``),
    else :class:`BadAddress` saying what one looks like."""
    names = [p.name for p in _parsed(addr, "listen address").protocols()]
    if names[:1] not in (["ip4"], ["ip6"]) or names[1:2] != ["tcp"] or "p2p" in names:
        raise BadAddress(
            f"{addr[:80]!r} is not a listen address: give /ip4/<address>/tcp/<port> "
            "(or /ip6/...), e.g. /ip4/0.0.0.0/tcp/4001"
        )
    return addr


def peer_id_of(addr: str) -> str:
    """The peer id at the end of the peer address ``addr``
    (``/ip4/.../tcp/.../p2p/<peer id>``); :class:`BadAddress` otherwise."""
    m = _parsed(addr, "peer address")
    names = [p.name for p in m.protocols()]
    if names[-1:] != ["p2p"] or len(names) < 3 or "tcp" not in names:
        raise BadAddress(
            f"{addr[:80]!r} is not a peer address: give /ip4/<address>/tcp/<port>/p2p/<peer "
            "id>, as `intentcast status` prints it"
        )
    peer: str = m.value_for_protocol("p2p")
    return peer


def tcp_endpoint(addr: str) -> tuple[str, int] | None:
    """The host and port of an ``/ip4``, ``/ip6`` or ``/dns*`` TCP address, if it is one."""
    parts = addr.strip("/").split("/")
    hosts = ("ip4", "ip6", "dns", "dns4", "dns6")
    if len(parts) >= 4 and parts[0] in hosts and parts[2] == "tcp" and parts[3].isdigit():
        return parts[1], int(parts[3])
    return None


def _primary_address() -> str | None:
    """This machine's IPv4 address on its default route, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent, a route is picked
            address: str = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def dialable_addrs(addrs: Sequence[str]) -> list[str]:
    """``addrs`` with the wildcard ``/ip4/0.0.0.0/`` replaced by addresses a
    peer can dial: 127.0.0.1 and the machine's address on its default route."""
    primary = _primary_address()
    out: list[str] = []
    for addr in addrs:
        if addr.startswith("/ip4/0.0.0.0/"):
            rest = addr.removeprefix("/ip4/0.0.0.0/")
            out += [f"/ip4/{ip}/{rest}" for ip in ("127.0.0.1", primary) if ip is not None]
        else:
            out.append(addr)
    return out


def check_listen_ports(listen: Sequence[str]) -> None:
    """Raise :class:`DaemonError` if a fixed TCP port in ``listen`` is taken.

    py-libp2p binds with ``SO_REUSEPORT`` (for hole punching), so a second
    node on the same port would start and silently share the port's
    connections with the first. A plain bind here fails instead.
    """
    for addr in listen:
        parts = addr.strip("/").split("/")
        if len(parts) < 4 or parts[0] not in ("ip4", "ip6") or parts[2] != "tcp":
            continue
        host, port = parts[1], parts[3]
        if not port.isdigit() or int(port) == 0:
            continue
        family = socket.AF_INET if parts[0] == "ip4" else socket.AF_INET6
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
            try:
                s.bind((host, int(port)))
            except OSError as exc:
                raise DaemonError(
                    f"cannot listen on {addr} ({exc.strerror}); is another node running? "
                    f"Change listen under [node] in config.toml"
                ) from None


__all__ = [
    "BadAddress",
    "check_listen_addr",
    "check_listen_ports",
    "dialable_addrs",
    "peer_id_of",
    "tcp_endpoint",
]
