"""Bodies a peer with its own keys can sign: any encoding but the canonical
one, any structural change, any value in any field, any control character
in any text is refused; what is accepted keeps every documented rule
(``fuzz.spec``), round-trips, and can be matched and ranked."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgpack
from hypothesis import assume, given
from hypothesis import strategies as st

from fuzz import bodies
from fuzz.harness import run_input
from fuzz.samples import CHECK_TIME, NO_WORK, market
from intentcast.protocol import Action, Kind, Layer, validate
from intentcast.protocol.encoding import pack
from intentcast.protocol.kinds import GOSSIP_KINDS
from tests.protocol.strategies import intents, offers, small_messages
from tests.protocol.test_validation import any_msgpack

from .budget import examples
from .msgpack_forms import encodings

SAMPLES = {s.kind: s for s in market().every_body_sample()}
KINDS = sorted(SAMPLES, key=lambda k: k.value)
#: Keys of nested maps whose values are checked like top-level fields.
NESTED = ("terms", "prefs", "item")


def body_of(kind: Kind) -> dict[str, Any]:
    decoded: dict[str, Any] = msgpack.unpackb(pack(SAMPLES[kind].message.to_body()), raw=False)
    return decoded


def verdict_for(kind: Kind, body: bytes) -> Action:
    layer = Layer.GOSSIP if kind in GOSSIP_KINDS else Layer.SEALED
    return validate(bodies.envelope(kind, body), now=CHECK_TIME, params=NO_WORK, layer=layer).action


def fuzz_input(kind: Kind, body: bytes) -> bytes:
    return bytes([bodies.KINDS.index(kind)]) + body


@examples(100)
@given(st.data())
def test_a_body_in_another_msgpack_encoding_is_refused(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(KINDS))
    canonical = pack(SAMPLES[kind].message.to_body())
    body = data.draw(encodings(msgpack.unpackb(canonical, raw=False)))
    expected = Action.ACCEPT if body == canonical else Action.REJECT
    assert verdict_for(kind, body) is expected, body.hex()


def _paths(body: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every field, and every field of the nested maps."""
    paths: list[tuple[str, ...]] = [(key,) for key in body]
    paths += [(key, inner) for key in NESTED if key in body for inner in body[key]]
    return paths


def _wrong_type(value: object) -> list[object]:
    """Values of a type no field of ``value``'s type ever accepts."""
    out: list[object] = [1.5, msgpack.ExtType(1, b"x")]
    if type(value) is str:
        out.append(value.encode())
    if type(value) is bytes:
        out.append(value.decode("latin-1"))
    if type(value) is int:
        out += [True, str(value)]
    if isinstance(value, list | dict):
        out.append(b"")
    return out


@examples(150)
@given(st.data())
def test_a_structural_change_to_a_body_is_refused(data: st.DataObject) -> None:
    """A field dropped, an unknown field, two keys out of order, a value of
    the wrong type: every one is refused, whatever the kind."""
    kind = data.draw(st.sampled_from(KINDS))
    body = body_of(kind)
    path = data.draw(st.sampled_from(_paths(body)))
    change = data.draw(st.sampled_from(["drop", "add", "swap", "type"]))
    parent: dict[str, Any] = _get(body, path[:-1])
    keys = list(parent)
    if change == "drop":
        keys.remove(path[-1])
        new_parent = {k: parent[k] for k in keys}
    elif change == "add":
        extra = data.draw(st.text(min_size=1, max_size=6).filter(lambda k: k not in parent))
        new_parent = {**parent, extra: 0}
    elif change == "swap":
        assume(len(keys) > 1)
        i = keys.index(path[-1])
        j = (i + 1) % len(keys)
        keys[i], keys[j] = keys[j], keys[i]
        new_parent = {k: parent[k] for k in keys}
    else:
        wrong = data.draw(st.sampled_from(_wrong_type(parent[path[-1]])))
        new_parent = {**parent, path[-1]: wrong}
    changed = _nested_set(body, path[:-1], new_parent) if len(path) > 1 else new_parent
    assert verdict_for(kind, pack(changed)) is Action.REJECT, (kind, path, change)


CONTROL = sorted({chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} - {"\n", "\t"})


def _text_paths(body: dict[str, Any]) -> list[tuple[str, ...]]:
    paths = [p for p in _paths(body) if type(_get(body, p)) is str]
    for key in ("attrs", "disclose"):
        if key in body:
            paths += [(key, k) for k, v in body[key].items() if type(v) is str]
    if "item" in body:
        paths += [("item", "attrs", k) for k, v in body["item"]["attrs"].items() if type(v) is str]
    return paths


def _get(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for key in path:
        value = value[key]
    return value


@examples(100)
@given(st.data())
def test_a_control_character_in_any_text_is_refused(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(KINDS))
    body = body_of(kind)
    paths = _text_paths(body)
    assume(paths)
    path = data.draw(st.sampled_from(paths))
    text = _get(body, path)
    at = data.draw(st.integers(0, len(text)))
    char = data.draw(st.sampled_from(CONTROL))
    changed = _nested_set(body, path, text[:at] + char + text[at:])
    assert verdict_for(kind, pack(changed)) is Action.REJECT, (kind, path, repr(char))


def _nested_set(body: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    if len(path) == 1:
        return {**body, path[0]: value}
    return {**body, path[0]: _nested_set(body[path[0]], path[1:], value)}


@examples(120)
@given(st.data())
def test_any_value_in_any_field_keeps_every_documented_rule(data: st.DataObject) -> None:
    """A field, nested or not, replaced by any msgpack value: if the body is
    accepted it keeps the document's rules, re-encodes to itself, reads back
    the same from storage, and matching and ranking take it."""
    kind = data.draw(st.sampled_from(KINDS))
    body = body_of(kind)
    path = data.draw(st.sampled_from(_paths(body) + _text_paths(body)))
    value = data.draw(any_msgpack(max_leaves=6))
    run_input(bodies, fuzz_input(kind, pack(_nested_set(body, path, value))))


def live(message: Any) -> Any:
    """``message`` moved in time (every time field by the same amount) so
    that it is live and not from the future at CHECK_TIME."""
    shift = CHECK_TIME - message.created
    moved = {
        name: getattr(message, name) + shift
        for name in ("created", "expires", "valid_until")
        if hasattr(message, name)
    }
    if hasattr(message, "terms") and message.terms.deliver_by is not None:
        moved["terms"] = replace(message.terms, deliver_by=message.terms.deliver_by + shift)
    return replace(message, **moved)


@examples(30)
@given(intents(reply_key=market().keys.reply_public).map(live))
def test_any_valid_intent_is_accepted_matched_and_ranked(intent: Any) -> None:
    body = pack(intent.to_body())
    assert verdict_for(Kind.INTENT, body) is Action.ACCEPT
    run_input(bodies, fuzz_input(Kind.INTENT, body))


@examples(30)
@given(offers(vendor_key=market().vendor.vendor_key).map(live))
def test_any_valid_offer_is_accepted_and_ranked(offer: Any) -> None:
    body = pack(offer.to_body())
    assert verdict_for(Kind.OFFER, body) is Action.ACCEPT
    run_input(bodies, fuzz_input(Kind.OFFER, body))


@examples(60)
@given(small_messages(market().keys.intent_key).map(live))
def test_any_valid_message_of_the_other_kinds_round_trips(message: Any) -> None:
    kind = message.KIND
    if kind is Kind.VENDOR_PROFILE:  # signed by the vendor key, which it names
        message = replace(message, vendor_key=market().vendor.vendor_key)
    body = pack(message.to_body())
    assert verdict_for(kind, body) is Action.ACCEPT
    run_input(bodies, fuzz_input(kind, body))
