"""What every message type shares: its kind, its canonical body, and strict
decoding from a body map. A message type names which field is which body key
once (:func:`wire_body`); its ``to_body`` and ``from_body`` are made from that."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, Self, TypeVar

from .errors import InvalidMessage
from .kinds import Kind


class Message(Protocol):
    """A protocol message: a frozen dataclass that validated itself."""

    KIND: ClassVar[Kind]

    def to_body(self) -> dict[str, Any]:
        """The body map in canonical key order."""
        ...

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """Build from a decoded body; raises :class:`InvalidMessage`."""
        ...


class PowMessage(Message, Protocol):
    """A message that carries a proof-of-work nonce (every gossiped kind)."""

    nonce: bytes


class NonCanonical(InvalidMessage):
    """Valid content in a form other than the one canonical encoding
    (map keys out of order, a set unsorted or with duplicates)."""


def canonical_order(keys: frozenset[str]) -> tuple[str, ...]:
    """Map keys in canonical order: sorted by their UTF-8 bytes."""
    return tuple(sorted(keys, key=str.encode))


def require_keys(kind: str, body: object, keys: frozenset[str]) -> Mapping[str, Any]:
    """Check that ``body`` is a map with exactly ``keys`` (strict schema:
    unknown fields are refused, not ignored), in canonical order."""
    if type(body) is not dict:
        raise InvalidMessage(kind, "body must be a map")
    if body.keys() == keys:
        if tuple(body) != canonical_order(keys):
            raise NonCanonical(kind, "map keys are not in canonical (sorted) order")
    else:
        missing = sorted(keys - body.keys())
        extra = sorted(str(k) for k in body.keys() - keys)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unknown {', '.join(extra)}")
        raise InvalidMessage(kind, "; ".join(parts))
    return body


def set_field(obj: object, name: str, value: object) -> None:
    """Store a normalised value on a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, name, value)


T = TypeVar("T")

#: How one dataclass field is read from a body: the body key, or the key and
#: a converter for a nested map (e.g. ``("terms", Terms.from_body)``).
FieldSource = str | tuple[str, Callable[[Any], Any]]


def body_reader(cls: type[T], kind: str, spec: Mapping[str, FieldSource]) -> Callable[[Any], T]:
    """A strict decoder ``body -> cls`` for a frozen slots dataclass.

    ``spec`` maps every field of ``cls`` to its body key; the body must have
    exactly those keys. The instance is filled through the slot descriptors
    and then checks itself with ``__post_init__``. This is the validator's
    hot path: the generated keyword ``__init__`` of a frozen dataclass calls
    ``object.__setattr__`` per field, which costs about twice as many
    instructions as a slot descriptor's setter (measured with callgrind).
    Raises ``TypeError`` at import time if ``spec`` misses or invents a field.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if set(spec) != set(names):
        raise TypeError(f"{cls.__name__} body spec must name exactly the fields {names}")
    keys = frozenset(v if isinstance(v, str) else v[0] for v in spec.values())
    env: dict[str, Any] = {
        "new": object.__new__,
        "cls": cls,
        "require": require_keys,
        "kind": kind,
        "keys": keys,
        "order": canonical_order(keys),
        "NonCanonical": NonCanonical,
    }
    lines = [
        "def read(b):",
        "    if type(b) is not dict or tuple(b) != order:",
        "        require(kind, b, keys)",
        "    o = new(cls)",
    ]
    checks = []
    for i, name in enumerate(names):
        source = spec[name]
        slot = _slot(cls, name)
        env[f"set{i}"], env[f"get{i}"] = slot.__set__, slot.__get__
        if isinstance(source, str):
            lines.append(f"    v{i} = b[{source!r}]")
            lines.append(f"    set{i}(o, v{i})")
            # __post_init__ keeps a value that is already canonical (the
            # same object) and stores a normalised copy otherwise.
            checks.append(
                f"    if get{i}(o, cls) is not v{i}:\n"
                f"        raise NonCanonical({kind!r}, {name + ' is not in canonical form'!r})"
            )
        else:
            env[f"conv{i}"] = source[1]
            lines.append(f"    set{i}(o, conv{i}(b[{source[0]!r}]))")
    lines += ["    o.__post_init__()", *checks, "    return o"]
    exec("\n".join(lines), env)  # generated like dataclasses' own __init__
    reader: Callable[[Any], T] = env["read"]
    return reader


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise TypeError(f"{cls.__name__}.{name} is not a slot")


def body_writer(spec: Mapping[str, FieldSource]) -> Callable[[Any], dict[str, Any]]:
    """The encoder ``instance -> body`` for the same ``spec`` as
    :func:`body_reader`: keys in canonical order, a nested map (a field
    whose source has a converter) written by its own ``to_body``. Generated
    as plain attribute reads, as fast as a hand-written ``to_body``."""
    key_of = {
        name: (source if isinstance(source, str) else source[0]) for name, source in spec.items()
    }
    name_of = {key: name for name, key in key_of.items()}
    items = []
    for key in canonical_order(frozenset(name_of)):
        name = name_of[key]
        nested = "" if isinstance(spec[name], str) else ".to_body()"
        items.append(f"{key!r}: o.{name}{nested}")
    env: dict[str, Any] = {}
    exec(f"def write(o):\n    return {{{', '.join(items)}}}", env)
    writer: Callable[[Any], dict[str, Any]] = env["write"]
    return writer


class Body:
    """Base of every message and nested body map: ``to_body`` and
    ``from_body`` come from the one spec given to :func:`wire_body`."""

    __slots__ = ()

    _write: ClassVar[Callable[[Any], dict[str, Any]]]
    _read: ClassVar[Callable[[Any], Any]]

    def to_body(self) -> dict[str, Any]:
        """The body map in canonical key order."""
        return type(self)._write(self)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """Build from a decoded body; raises :class:`InvalidMessage`."""
        built: Self = cls._read(body)
        return built


def wire_body(cls: type[Body], kind: str, spec: Mapping[str, FieldSource]) -> None:
    """Give ``cls`` its body encoding: ``spec`` maps every field to its body
    key (see :func:`body_reader`, which checks that it names every field)."""
    cls._read = staticmethod(body_reader(cls, kind, spec))
    cls._write = staticmethod(body_writer(spec))
