"""The reference implementation behind the adapter protocol:
``python -m conformance.adapter`` reads one JSON request per line on stdin
and writes one JSON answer per line on stdout (docs/conformance.md,
"The adapter protocol"). Another implementation plugs into
``python -m conformance vectors --adapter CMD`` by answering the same
requests.

Requests (every one carries an ``id`` echoed in its answer):

- ``{"op": "validate", "envelope_hex", "layer": "gossip"|"sealed", "now",
  "pow_bits": {kind: bits}, "max_clock_skew"}`` ->
  ``{"action": "accept"|"reject"|"ignore", "reason": str|null, "id_hex"}``
- ``{"op": "open", "sealed_hex", "secret_hex", "now", "pow_bits",
  "max_clock_skew"}`` -> ``{"action", "reason", "inner_kind"}``: validate the
  outer at the gossip layer, open its box with the X25519 secret, validate
  the inner at the sealed layer, check it against the outer. With
  ``"thread_key_hex"`` and ``"sender"`` (``customer``|``vendor``): open a
  relationship message of that thread sent by that side.
- ``{"op": "kdf", "seed_hex", "label", "counter"}`` -> ``{"output_hex"}``
  (``counter`` a decimal string: it may exceed 2^53)
- ``{"op": "key_file", "text"}`` -> ``{"ok": bool, "seed_hex"}``
- ``{"op": "frame", "protocol": "sync"|"stem", "frame_hex",
  "expect_types": [t...]}`` -> ``{"ok": bool}``: one length-prefixed
  frame, acceptable where a reader waits for one of ``expect_types``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import msgpack
from nacl.public import PrivateKey

from intentcast.protocol import (
    KeyFileError,
    Kind,
    Layer,
    NetworkParams,
    Side,
    decode_key_file,
    message_id,
    open_deal,
    open_offer,
    open_thread,
    validate,
)
from intentcast.protocol.keys import derive

from .frames import check_frame


def params_of(request: dict[str, Any]) -> NetworkParams:
    bits = {Kind(k): int(v) for k, v in request.get("pow_bits", {}).items()}
    return NetworkParams(pow_bits=bits, max_clock_skew=int(request.get("max_clock_skew", 300)))


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The reference answer to one adapter request."""
    op = request.get("op")
    out: dict[str, Any] = {"id": request.get("id")}
    if op == "validate":
        raw = bytes.fromhex(request["envelope_hex"])
        layer = Layer(request.get("layer", "gossip"))
        verdict = validate(raw, now=int(request["now"]), params=params_of(request), layer=layer)
        out.update(
            action=verdict.action.value,
            reason=None if verdict.reason is None else verdict.reason.value,
            id_hex=message_id(raw).hex(),
        )
    elif op == "open":
        out.update(_open(request))
    elif op == "key_file":
        try:
            seed = decode_key_file(request["text"].encode("utf-8"))
        except KeyFileError:
            out.update(ok=False)
        else:
            out.update(ok=True, seed_hex=seed.hex())
    elif op == "kdf":
        output = derive(
            bytes.fromhex(request["seed_hex"]), request["label"], int(request["counter"])
        )
        out.update(output_hex=output.hex())
    elif op == "frame":
        ok, t = check_frame(
            request["protocol"], bytes.fromhex(request["frame_hex"]), request["expect_types"]
        )
        out.update(ok=ok, t=t)
    else:
        out.update(error=f"unknown op {op!r}")
    return out


def _open(request: dict[str, Any]) -> dict[str, Any]:
    now, params = int(request["now"]), params_of(request)
    outer = validate(bytes.fromhex(request["sealed_hex"]), now=now, params=params)
    if not outer.accepted or outer.signed is None:
        reason = None if outer.reason is None else outer.reason.value
        return {"action": outer.action.value, "reason": reason, "inner_kind": None}
    secret = PrivateKey(bytes.fromhex(request["secret_hex"]))
    if "thread_key_hex" in request and outer.signed.kind is Kind.SEALED_DEAL:
        verdict: Any = open_thread(
            outer.signed,
            secret,
            thread_key=bytes.fromhex(request["thread_key_hex"]),
            sender=Side(request["sender"]),
            now=now,
            params=params,
        )
    elif outer.signed.kind is Kind.SEALED_OFFER:
        verdict = open_offer(outer.signed, secret, now=now, params=params)
    elif outer.signed.kind is Kind.SEALED_DEAL:
        verdict = open_deal(outer.signed, secret, now=now, params=params)
    else:
        return {"action": "reject", "reason": "wrong-layer", "inner_kind": None}
    inner = None if verdict.signed is None else verdict.signed.kind.value
    reason = None if verdict.reason is None else verdict.reason.value
    return {"action": verdict.action.value, "reason": reason, "inner_kind": inner}


def main() -> int:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            reply: dict[str, Any] = {"id": None, "error": f"{type(exc).__name__}: {exc}"}
        else:
            try:
                reply = answer(request)
            except (ValueError, KeyError, TypeError, AttributeError, msgpack.ExtraData) as exc:
                known = request.get("id") if isinstance(request, dict) else None
                reply = {"id": known, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
