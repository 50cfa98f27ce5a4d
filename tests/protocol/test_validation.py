"""The validation pipeline: every verdict a peer's bytes can get."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from intentcast.protocol import (
    Action,
    Kind,
    Layer,
    NetworkParams,
    Reason,
    sign,
    validate,
)
from intentcast.protocol.encoding import pack
from intentcast.protocol.kinds import MAX_ENVELOPE_SIZE

from .builders import (
    DAY,
    NO_WORK,
    NOW,
    customer_keys,
    forge,
    intent_message,
    sealed_deal,
    sealed_offer,
    signed_accept,
    signed_intent,
    signed_offer,
    signed_profile,
    signed_withdraw,
    vendor_keys,
)

LOW_WORK = NetworkParams(
    pow_bits={
        k: 6
        for k in (
            Kind.INTENT,
            Kind.WITHDRAW,
            Kind.SEALED_OFFER,
            Kind.SEALED_DEAL,
            Kind.VENDOR_PROFILE,
        )
    }
)


def any_msgpack(*, max_leaves: int) -> st.SearchStrategy[object]:
    """Any value msgpack can carry (floats included), nested."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**64 - 1)
        | st.floats()
        | st.text(max_size=20)
        | st.binary(max_size=40),
        lambda kids: (
            st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=8), kids, max_size=5)
        ),
        max_leaves=max_leaves,
    )


def check(raw: bytes, now: int = NOW + 600, params: NetworkParams = NO_WORK, **kw: object):
    return validate(raw, now=now, params=params, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gossip_samples() -> dict[str, bytes]:
    """One valid envelope of every gossiped kind, minted with LOW_WORK."""
    keys = customer_keys()
    intent = signed_intent(keys, params=LOW_WORK)
    offer = signed_offer(intent)
    accept = signed_accept(intent, offer, keys)
    return {
        "intent": intent.raw,
        "withdraw": signed_withdraw(keys, params=LOW_WORK).raw,
        "sealed-offer": sealed_offer(offer, intent, params=LOW_WORK).raw,
        "sealed-deal": sealed_deal(
            accept, to=offer.id, recipient=offer.message.reply_key, params=LOW_WORK
        ).raw,
        "vendor-profile": signed_profile(params=LOW_WORK).raw,
    }


def test_every_gossiped_kind_validates(gossip_samples: dict[str, bytes]) -> None:
    for kind, raw in gossip_samples.items():
        verdict = check(raw, params=LOW_WORK)
        assert verdict.action is Action.ACCEPT, (kind, str(verdict))
        assert verdict.signed is not None and verdict.signed.kind.value == kind
        assert verdict.signed.raw == raw


def test_accepted_intent_round_trips_every_field() -> None:
    intent = signed_intent()
    verdict = check(intent.raw)
    assert verdict.signed is not None
    assert verdict.signed.message == intent.message
    assert verdict.signed.id == intent.id
    assert verdict.signed.signer == customer_keys().intent_key


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_flipped_bit_is_rejected(
    gossip_samples: dict[str, bytes], data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(sorted(gossip_samples)))
    raw = gossip_samples[kind]
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    flipped = bytearray(raw)
    flipped[bit // 8] ^= 1 << (bit % 8)
    verdict = check(bytes(flipped), params=LOW_WORK)
    assert verdict.action is Action.REJECT, (kind, bit, str(verdict))


@settings(max_examples=300)
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise_and_are_rejected(raw: bytes) -> None:
    verdict = check(raw)
    assert verdict.action is Action.REJECT
    assert verdict.reason is not None


@settings(max_examples=200)
@given(
    any_msgpack(max_leaves=20),
    st.sampled_from([k.value for k in Kind]),
)
def test_random_signed_bodies_are_rejected_not_raised(body: object, kind: str) -> None:
    """A peer can sign anything: arbitrary structures in a correctly signed
    envelope of every kind are rejected with a reason, never raise."""
    raw = forge(kind, {"x": body} if not isinstance(body, dict) else body, customer_keys().signing)
    for layer in Layer:
        verdict = check(raw, layer=layer)
        assert verdict.action in (Action.REJECT, Action.IGNORE)
        assert verdict.reason is not None


OVERSIZED_FIELDS = {
    "title": "t" * 121,
    "desc": "d" * 2001,
    "attrs": {f"a{i}": i for i in range(33)},
    "cat": ["electronics", "a", "b", "c", "d"],
    "qty": 1_000_001,
    "rev": 1_001,
}


@pytest.mark.parametrize("field", sorted(OVERSIZED_FIELDS))
def test_oversized_field_is_rejected_with_its_name(field: str) -> None:
    keys = customer_keys()
    body = intent_message(keys).to_body()
    body[field] = OVERSIZED_FIELDS[field]
    verdict = check(forge("intent", dict(sorted(body.items())), keys.signing))
    assert verdict.action is Action.REJECT
    assert verdict.reason is Reason.INVALID_FIELD
    names = {
        "desc": "description",
        "attrs": "attributes",
        "cat": "category",
        "qty": "quantity",
        "rev": "revision",
    }
    assert names.get(field, field) in verdict.detail


@pytest.mark.parametrize("kind", [k for k in Kind])
def test_envelope_over_its_kind_limit_is_rejected_as_oversize(kind: Kind) -> None:
    limit = MAX_ENVELOPE_SIZE[kind]
    raw = forge(kind.value, {"pad": b"x" * limit}, customer_keys().signing)
    for layer in Layer:
        verdict = check(raw, layer=layer)
        if verdict.reason in (Reason.WRONG_LAYER, Reason.RESERVED_KIND):
            continue  # refused before its size matters, for the right reason
        assert verdict.reason is Reason.OVERSIZE, (kind, layer, str(verdict))


def test_anything_over_the_global_limit_is_rejected_before_decoding() -> None:
    verdict = check(b"\x95" + b"\x00" * 20_000)
    assert verdict.reason is Reason.OVERSIZE


def test_withdraw_signed_by_another_key_is_rejected() -> None:
    victim = customer_keys(0)
    attacker = customer_keys(1)
    forged = signed_withdraw(attacker, intent_key=victim.intent_key)
    verdict = check(forged.raw)
    assert verdict.action is Action.REJECT
    assert verdict.reason is Reason.SIGNER_MISMATCH


@settings(max_examples=25)
@given(st.binary(min_size=32, max_size=32))
def test_withdraw_signed_by_any_key_but_the_intents_is_rejected(seed: bytes) -> None:
    victim = customer_keys(0)
    other = SigningKey(seed)
    if bytes(other.verify_key) == victim.intent_key:
        return
    from intentcast.protocol import Withdraw

    raw = sign(
        Withdraw(intent_key=victim.intent_key, created=NOW, expires=NOW + DAY),
        other,
        params=NO_WORK,
    ).raw
    assert check(raw).reason is Reason.SIGNER_MISMATCH


def test_offer_signed_by_a_key_it_does_not_name_is_rejected() -> None:
    intent = signed_intent()
    honest, impostor = vendor_keys(), vendor_keys(bytes(32))
    from intentcast.protocol.offer import Offer  # noqa: F401  (type of the forged body)

    from .builders import offer_message

    forged = sign(offer_message(intent, honest), impostor.signing)
    verdict = check(forged.raw, layer=Layer.SEALED)
    assert verdict.reason is Reason.SIGNER_MISMATCH


def test_expired_message_is_ignored_not_penalised() -> None:
    intent = signed_intent()
    verdict = check(intent.raw, now=intent.message.expires)
    assert verdict.action is Action.IGNORE
    assert verdict.reason is Reason.EXPIRED
    assert check(intent.raw, now=intent.message.expires - 1).accepted


def test_message_from_the_future_is_ignored_beyond_the_clock_skew() -> None:
    intent = signed_intent()
    skew = NO_WORK.max_clock_skew
    assert check(intent.raw, now=NOW - skew).accepted
    verdict = check(intent.raw, now=NOW - skew - 1)
    assert verdict.action is Action.IGNORE
    assert verdict.reason is Reason.FROM_FUTURE


def test_missing_proof_of_work_is_rejected() -> None:
    cheap = signed_intent(params=NO_WORK)
    verdict = check(cheap.raw, params=NetworkParams())
    assert verdict.action is Action.REJECT
    assert verdict.reason is Reason.INSUFFICIENT_WORK


def test_work_for_one_message_does_not_carry_to_another() -> None:
    minted = signed_intent(params=LOW_WORK)
    # Same nonce, other content, re-signed by the author: the work is void.
    changed = forge(
        "intent", {**minted.message.to_body(), "title": "Something else"}, customer_keys().signing
    )
    assert check(minted.raw, params=LOW_WORK).accepted
    verdicts = [check(changed, params=NetworkParams(pow_bits={Kind.INTENT: b})) for b in (12, 16)]
    assert any(v.reason is Reason.INSUFFICIENT_WORK for v in verdicts)


def test_sealed_kind_in_the_clear_is_rejected_as_a_leak() -> None:
    offer = signed_offer(signed_intent())
    verdict = check(offer.raw)
    assert verdict.reason is Reason.WRONG_LAYER
    assert check(offer.raw, layer=Layer.SEALED).accepted


def test_gossip_kind_inside_a_sealed_box_is_rejected() -> None:
    assert check(signed_intent().raw, layer=Layer.SEALED).reason is Reason.WRONG_LAYER


def test_reserved_kinds_are_ignored_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    """No kind is reserved in this specification; one a later one reserves
    is ignored before its body, signature or size is looked at."""
    from intentcast.protocol import validation

    monkeypatch.delitem(validation._RULES, Kind.PROFILE_UPDATE)  # as if reserved
    verdict = check(forge("profile-update", {"created": NOW}, customer_keys().signing))
    assert verdict.action is Action.IGNORE
    assert verdict.reason is Reason.RESERVED_KIND


def test_unknown_version_and_kind_are_rejected_by_name() -> None:
    key = customer_keys().signing
    assert check(forge("intent", {"a": 1}, key, version=2)).reason is Reason.UNKNOWN_VERSION
    assert check(forge("coupon", {"a": 1}, key)).reason is Reason.UNKNOWN_KIND


def test_non_canonical_envelope_is_rejected() -> None:
    """The same signed content in a longer encoding would get a new id and
    slip past every seen-cache: refused."""
    intent = signed_intent()
    version, kind, body, signer, signature = msgpack.unpackb(intent.raw)
    packer = msgpack.Packer(use_bin_type=True)
    longer = b"\x95" + packer.pack(version) + packer.pack(kind)
    longer += b"\xc6" + len(body).to_bytes(4, "big") + body  # bin32 where bin16 is canonical
    longer += packer.pack(signer) + packer.pack(signature)
    assert msgpack.unpackb(longer) == [version, kind, body, signer, signature]
    verdict = check(longer)
    assert verdict.reason is Reason.MALFORMED_ENVELOPE
    assert "canonical" in verdict.detail


def test_non_canonical_body_is_rejected() -> None:
    keys = customer_keys()
    body = intent_message(keys).to_body()
    unsorted = dict(reversed(list(body.items())))
    verdict = check(forge("intent", unsorted, keys.signing))
    assert verdict.reason is Reason.NON_CANONICAL
    assert check(forge("intent", body, keys.signing)).accepted


def test_unknown_and_missing_fields_are_named() -> None:
    keys = customer_keys()
    body = intent_message(keys).to_body()
    extra = check(forge("intent", {**body, "zz": 1}, keys.signing))
    assert extra.reason is Reason.INVALID_FIELD and "unknown zz" in extra.detail
    del body["title"]
    missing = check(forge("intent", body, keys.signing))
    assert missing.reason is Reason.INVALID_FIELD and "missing title" in missing.detail


def test_floats_and_bools_never_pass_for_integers() -> None:
    keys = customer_keys()
    for bad in (1.0, True):
        body = {**intent_message(keys).to_body(), "qty": bad}
        verdict = check(forge("intent", body, keys.signing))
        assert verdict.reason is Reason.INVALID_FIELD and "quantity" in verdict.detail


def test_signer_that_is_not_a_curve_point_is_rejected() -> None:
    intent = signed_intent()
    version, kind, body, _signer, signature = msgpack.unpackb(intent.raw)
    raw = pack((version, kind, body, b"\xff" * 32, signature))
    assert check(raw).reason is Reason.BAD_SIGNATURE


ANY_VALUE = any_msgpack(max_leaves=8)


def _valid_bodies() -> dict[str, tuple[str, dict[str, object]]]:
    keys = customer_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent)
    accept = signed_accept(intent, offer, keys)
    samples = {
        "intent": intent,
        "withdraw": signed_withdraw(keys),
        "offer": offer,
        "sealed-offer": sealed_offer(offer, intent),
        "accept": accept,
        "sealed-deal": sealed_deal(accept, to=offer.id, recipient=offer.message.reply_key),
        "vendor-profile": signed_profile(),
    }
    return {k: (k, dict(s.message.to_body())) for k, s in samples.items()}


BODIES = _valid_bodies()


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_any_value_in_any_field_is_rejected_or_accepted_never_raised(data: st.DataObject) -> None:
    """A signed body with one field (or one nested field) replaced by an
    arbitrary value: the validator answers with a verdict, never an exception."""
    kind, body = BODIES[data.draw(st.sampled_from(sorted(BODIES)))]
    body = dict(body)
    field = data.draw(st.sampled_from(sorted(body)))
    value = body[field]
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        inner = dict(value)
        inner[data.draw(st.sampled_from(sorted(inner)))] = data.draw(ANY_VALUE)
        body[field] = inner
    else:
        body[field] = data.draw(ANY_VALUE)
    raw = forge(kind, body, customer_keys().signing)
    for layer in Layer:
        verdict = check(raw, layer=layer)
        assert verdict.action in (Action.ACCEPT, Action.REJECT, Action.IGNORE)
        if verdict.action is Action.ACCEPT:
            assert verdict.signed is not None
            # Accepted means canonical: re-encoding the message gives the
            # very bytes that were signed.
            assert pack(verdict.signed.message.to_body()) == msgpack.unpackb(raw)[2]


def _reversed_map(value: Any) -> Any:
    return dict(reversed(list(value.items())))


NON_CANONICAL_VARIANTS: dict[str, tuple[str, tuple[str, ...], Callable[[Any], Any]]] = {
    "intent terms.cc unsorted": ("intent", ("terms", "cc"), lambda v: tuple(reversed(v))),
    "intent attrs out of order": ("intent", ("attrs",), _reversed_map),
    "intent terms keys out of order": ("intent", ("terms",), _reversed_map),
    "intent set with a duplicate": ("intent", ("terms", "pay"), lambda v: (*v, v[0])),
    "offer ships unsorted": ("offer", ("ships",), lambda v: tuple(reversed(v))),
    "offer item attrs out of order": ("offer", ("item", "attrs"), _reversed_map),
    "accept disclosure out of order": ("accept", ("disclose",), _reversed_map),
}


@pytest.mark.parametrize("case", sorted(NON_CANONICAL_VARIANTS))
def test_a_non_canonical_variant_of_a_valid_body_is_rejected(case: str) -> None:
    """Same content, other order: refused, so one message has one encoding."""
    kind, path, change = NON_CANONICAL_VARIANTS[case]
    _, body = BODIES[kind]
    body = {k: (dict(v) if isinstance(v, dict) else v) for k, v in body.items()}
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    original = target[path[-1]]
    target[path[-1]] = change(original)
    assert target[path[-1]] == original or set(target[path[-1]]) == set(original)
    raw = forge(kind, body, customer_keys().signing)
    layer = Layer.SEALED if kind in ("offer", "accept") else Layer.GOSSIP
    verdict = check(raw, layer=layer)
    assert verdict.action is Action.REJECT
    assert verdict.reason is Reason.NON_CANONICAL, str(verdict)
