"""Real signed messages in the simulator, and what makes them affordable.

Every message a simulated node handles is a real envelope: signed by
``intentcast.protocol.sign`` with real proof of work, validated by
``intentcast.protocol.validate``. Two things keep that affordable at
10,000 nodes:

- **Proof-of-work cache.** Minting 16 bits costs ~0.1 s per intent. The
  nonce is a pure function of the message, its signer and the difficulty,
  so :class:`WorkCache` remembers it on disk, keyed by a hash of exactly
  those (``simulations/.cache/``, git-ignored). Signing with a remembered
  nonce gives the same bytes as ``sign()`` minting it (tested).
- **Verdict memo.** ``validate`` is a pure function of the bytes and the
  clock; the only clock-dependent steps (clock skew, expiry) cannot change
  within a run, which lasts minutes while messages live for days. So each
  distinct message is validated once, by the real code, and every node
  reuses the verdict (the node's pipeline after validation, which depends
  on what each node holds, runs per node: ``intentcast.peer.inbound``).
  :class:`Messages` counts what that saves.
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, TypeVar

from intentcast.protocol import (
    Action,
    Intent,
    IntentKeys,
    Kind,
    NetworkParams,
    Offer,
    SealedOffer,
    Signed,
    VendorKeys,
    derive_intent_keys,
    message_id,
    seal_offer,
    sign,
    validate,
)
from intentcast.protocol.encoding import pack
from intentcast.protocol.keys import derive
from intentcast.protocol.message import Message
from intentcast.protocol.signing import mint
from intentcast.protocol.validation import Verdict as Validation

from .params import EPOCH

#: Where remembered nonces live unless told otherwise.
DEFAULT_CACHE_DIR: Final = Path(__file__).resolve().parent / ".cache"
_NO_WORK: Final = NetworkParams(pow_bits={})
_ZERO_NONCE: Final = bytes(8)

M = TypeVar("M", bound=Message)


class WorkCache:
    """Proof-of-work nonces by content, kept in memory and (optionally) on
    disk as one ``key nonce`` hex pair per line."""

    def __init__(self, directory: Path | None = DEFAULT_CACHE_DIR) -> None:
        self._path = directory / "work-v1.txt" if directory is not None else None
        self._nonces: dict[bytes, bytes] = {}
        self._new: list[tuple[bytes, bytes]] = []
        #: Nonces minted in this process, and the seconds minting took.
        self.minted = 0
        self.mint_seconds = 0.0
        if self._path is not None and self._path.exists():
            for line in self._path.read_text().splitlines():
                key, _, nonce = line.partition(" ")
                try:
                    self._nonces[bytes.fromhex(key)] = bytes.fromhex(nonce)
                except ValueError:
                    continue  # a torn last line from an interrupted run

    def sign(self, message: M, keys: IntentKeys | VendorKeys, params: NetworkParams) -> Signed[M]:
        """``protocol.sign(message, keys.signing, params=params)``, with the
        proof of work looked up instead of minted when it was minted before."""
        key = keys.signing
        kind = message.KIND
        bits = params.work_for(kind)
        if not bits:
            return sign(message, key, params=params)
        signer = bytes(key.verify_key)
        probe = pack(replace(message, nonce=_ZERO_NONCE).to_body())  # type: ignore[type-var]
        cache_key = hashlib.blake2b(
            kind.encode() + b"/" + bytes([bits]) + signer + probe, digest_size=16
        ).digest()
        nonce = self._nonces.get(cache_key)
        if nonce is None:
            started = time.perf_counter()
            nonce = mint(message, signer, bits).nonce  # type: ignore[type-var,attr-defined]
            self.mint_seconds += time.perf_counter() - started
            self.minted += 1
            self._nonces[cache_key] = nonce
            self._new.append((cache_key, nonce))
        return sign(replace(message, nonce=nonce), key, params=_NO_WORK)  # type: ignore[type-var]

    def seal_offer(
        self,
        offer: Signed[Offer],
        intent: Signed[Intent],
        *,
        created: int,
        ephemeral: bytes,
        outer_seed: bytes,
        params: NetworkParams,
    ) -> Signed[SealedOffer]:
        """``protocol.seal_offer`` with the work cached and its two random
        draws given: ``ephemeral`` (32 bytes) for the box, and ``outer_seed``
        for the one-time outer key (its intent-signing key: a fresh key as
        good as one drawn at random). The protocol seals and builds the
        outer message; only the minting is looked up."""
        draws = iter((ephemeral, derive(outer_seed, "intent-sign", 0)))
        unminted = seal_offer(
            offer, intent, created=created, random_bytes=lambda _: next(draws), params=_NO_WORK
        )
        return self.sign(unminted.message, derive_intent_keys(outer_seed, 0), params)

    def save(self) -> None:
        """Append the nonces minted since the last save to the cache file."""
        if self._path is None or not self._new:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._path, "a") as out:
            out.writelines(f"{k.hex()} {n.hex()}\n" for k, n in self._new)
        self._new.clear()


def cache_from_env() -> Path | None:
    """The cache directory: ``$INTENTCAST_SIM_CACHE`` if set (empty: no disk cache)."""
    value = os.environ.get("INTENTCAST_SIM_CACHE")
    if value is None:
        return DEFAULT_CACHE_DIR
    return Path(value) if value else None


# --- the registry -------------------------------------------------------------


class SimMessage:
    """One distinct envelope in flight, and where it has been.

    Per-node records (``arrived``, ``first_from``, ``via``) are arrays over
    node indices, allocated when the message is first accepted somewhere.
    """

    __slots__ = (
        "action",
        "arrived",
        "first_from",
        "id",
        "index",
        "kind",
        "origin",
        "published",
        "raw",
        "reason",
        "signed",
        "size",
        "tag",
        "topic",
        "validation",
        "via",
    )

    def __init__(self, index: int, raw: bytes, topic: int, tag: Any) -> None:
        self.index = index
        self.raw = raw
        self.id = message_id(raw)
        self.size = len(raw)
        self.topic = topic
        self.tag = tag
        #: Memoised protocol verdict (None until first validated), and
        #: its parts.
        self.validation: Validation[Any] | None = None
        self.action: Action | None = None
        self.reason: str | None = None
        self.signed: Signed[Any] | None = None
        self.kind: Kind | None = None
        self.origin = -1
        self.published = -1.0
        #: Virtual time each node accepted it (-1: not yet).
        self.arrived: array[float] | None = None
        #: The peer each node first received it from (-1: none; own: itself).
        self.first_from: array[int] | None = None
        #: How each node first got it (VIA_* codes in network.py; 0: not yet).
        self.via: bytearray | None = None

    def track(self, n: int) -> None:
        """Allocate the per-node records for ``n`` nodes."""
        if self.arrived is None:
            self.arrived = array("d", [-1.0]) * n
            self.first_from = array("i", [-1]) * n
            self.via = bytearray(n)

    def delivered(self) -> int:
        """Nodes that have accepted it."""
        return 0 if self.via is None else len(self.via) - self.via.count(0)


class Messages:
    """Every distinct message of a run, by index; verdicts memoised."""

    #: Validations asked for and real ``validate`` calls made (with their
    #: wall seconds) by every registry in this process, for the
    #: performance report.
    asked_in_process = 0
    calls_in_process = 0
    seconds_in_process = 0.0

    def __init__(self, params: NetworkParams) -> None:
        self.params = params
        self.all: list[SimMessage] = []
        self.by_id: dict[bytes, SimMessage] = {}
        #: Valid intents by signer (intent key), and valid withdrawals by the
        #: intent key they withdraw: what a node's :class:`NodeKnown` looks at.
        self.intents_of: dict[bytes, list[SimMessage]] = {}
        self.withdrawals_of: dict[bytes, list[SimMessage]] = {}
        #: Validations the nodes asked for, and real ``validate`` calls made.
        self.validations = 0
        self.validate_calls = 0
        self.validate_seconds = 0.0

    def add(self, raw: bytes, topic: int, tag: Any = None) -> SimMessage:
        """Register an envelope (the same bytes twice give the same message)."""
        known = self.by_id.get(message_id(raw))
        if known is not None:
            return known
        msg = SimMessage(len(self.all), raw, topic, tag)
        self.all.append(msg)
        self.by_id[msg.id] = msg
        return msg

    def judge(self, msg: SimMessage, now: float, *, count: bool = True) -> Action:
        """Protocol validation of ``msg`` (``msg.validation``), computed once
        per message; each node judges it further with its own
        :class:`~intentcast.peer.inbound.Inbound`. ``count``: a node asked
        for it (not the author decoding its own)."""
        self.validations += count
        Messages.asked_in_process += count
        action = msg.action
        if action is not None:
            return action
        started = time.perf_counter()
        verdict = validate(msg.raw, now=EPOCH + int(now), params=self.params)
        spent = time.perf_counter() - started
        self.validate_seconds += spent
        self.validate_calls += 1
        Messages.calls_in_process += 1
        Messages.seconds_in_process += spent
        action = verdict.action
        reason: str | None = None if verdict.reason is None else str(verdict.reason.value)
        signed = verdict.signed
        if action is Action.ACCEPT and signed is not None:
            msg.kind = signed.kind
            if signed.kind is Kind.INTENT:
                self.intents_of.setdefault(signed.signer, []).append(msg)
            elif signed.kind is Kind.WITHDRAW:
                self.withdrawals_of.setdefault(signed.message.intent_key, []).append(msg)
        msg.validation = verdict
        msg.action, msg.reason, msg.signed = action, reason, signed
        return action

    def reasons(self) -> dict[str, int]:
        """Distinct messages by the reason they were refused."""
        out: dict[str, int] = {}
        for m in self.all:
            if m.action is not None and m.action is not Action.ACCEPT:
                key = f"{m.action.value}:{m.reason}"
                out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))


class NodeKnown:
    """What simulated node ``v`` holds, for its inbound pipeline
    (:class:`intentcast.peer.inbound.Known`): read from the messages'
    per-node arrival records, as the node reads its store."""

    __slots__ = ("_messages", "v")

    def __init__(self, messages: Messages, v: int) -> None:
        self._messages = messages
        self.v = v

    def has(self, message_id: bytes) -> bool:
        msg = self._messages.by_id.get(message_id)
        if msg is None:
            return False
        arrived = msg.arrived
        return arrived is not None and arrived[self.v] >= 0

    def withdrawn(self, intent_key: bytes) -> bool:
        withdrawals = self._messages.withdrawals_of.get(intent_key)
        if not withdrawals:  # asked for every intent; most have no withdrawal
            return False
        v = self.v
        return any(w.arrived is not None and w.arrived[v] >= 0 for w in withdrawals)

    def intent_key(self, intent_id: bytes) -> bytes | None:
        msg = self._messages.by_id.get(intent_id)
        if msg is None or msg.signed is None or msg.kind is not Kind.INTENT:
            return None
        arrived = msg.arrived
        held = msg.origin == self.v or (arrived is not None and arrived[self.v] >= 0)
        return msg.signed.signer if held else None

    def holds_intent(self, intent_key: bytes) -> bool:
        intents = self._messages.intents_of.get(intent_key)
        if not intents:
            return False
        v = self.v
        return any(m.origin == v or (m.arrived is not None and m.arrived[v] >= 0) for m in intents)
