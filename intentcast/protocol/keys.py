"""Keys: the customer seed and its per-intent keys, vendor identities, and
the key-file format.

KDF (docs/protocol.md, "Keys")::

    derive(seed, label, counter) =
        BLAKE2b-256(key=seed, data="intentcast/1/kdf/" + label + "/" + u64be(counter))

``intent-sign``/``intent-reply`` with the intent counter give an intent's
Ed25519 signing key and X25519 reply key; ``vendor-sign``/``vendor-reply``
with counter 0 give a vendor's identity. Keys derived for different counters
are unlinkable without the seed; all of them are recoverable from it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from .errors import KeyFileError

SEED_SIZE: Final = 32
KDF_DOMAIN: Final = b"intentcast/1/kdf/"
MAX_COUNTER: Final = 2**64 - 1


def derive(seed: bytes, label: str, counter: int) -> bytes:
    """32 bytes of key material for ``label`` and ``counter`` from ``seed``."""
    if len(seed) != SEED_SIZE:
        raise ValueError(f"seed must be {SEED_SIZE} bytes")
    if not 0 <= counter <= MAX_COUNTER:
        raise ValueError("counter must fit in 64 bits")
    data = KDF_DOMAIN + label.encode() + b"/" + counter.to_bytes(8, "big")
    return hashlib.blake2b(data, key=seed, digest_size=32).digest()


@dataclass(frozen=True, slots=True)
class _SignAndReply:
    """A signing key and the X25519 key replies are sealed to."""

    signing: SigningKey
    reply: PrivateKey

    @property
    def reply_public(self) -> bytes:
        return bytes(self.reply.public_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentKeys(_SignAndReply):
    """The keys of one intent: it signs with ``signing``, offers are sealed
    to ``reply``. ``counter`` is the seed counter they were derived from."""

    counter: int

    @property
    def intent_key(self) -> bytes:
        """Public Ed25519 key: the intent's stable identity across revisions."""
        return bytes(self.signing.verify_key)


def derive_intent_keys(seed: bytes, counter: int) -> IntentKeys:
    """The keys of intent number ``counter``. Never reuse a counter: persist
    the next counter before using the keys (the store does)."""
    return IntentKeys(
        counter=counter,
        signing=_intent_signing_key(seed, counter),
        reply=PrivateKey(derive(seed, "intent-reply", counter)),
    )


def derive_intent_key(seed: bytes, counter: int) -> bytes:
    """The public intent key of intent number ``counter`` alone (what
    :attr:`IntentKeys.intent_key` is), at half the cost of
    :func:`derive_intent_keys`: for a search over counters."""
    return bytes(_intent_signing_key(seed, counter).verify_key)


#: Counters :func:`draw_intent_keys` tries at most for keys that fit (a
#: customer following 2 of 16 offer buckets needs 8 on average; missing in
#: 1,000 has odds below 10^-57).
MAX_KEY_DRAWS: Final = 1_000


def draw_intent_keys(seed: bytes, start: int, fits: Callable[[bytes], bool] | None) -> IntentKeys:
    """The keys of the first counter from ``start`` on whose intent key
    ``fits`` takes (``None``: ``start``'s). Each counter is tested by its
    intent key alone; the reply key is derived for the one taken. Raises
    ``ValueError`` if none of :data:`MAX_KEY_DRAWS` counters fits."""
    for counter in range(start, start + MAX_KEY_DRAWS):
        signing = _intent_signing_key(seed, counter)
        if fits is None or fits(bytes(signing.verify_key)):
            reply = PrivateKey(derive(seed, "intent-reply", counter))
            return IntentKeys(counter=counter, signing=signing, reply=reply)
    raise ValueError(f"no intent keys fit in {MAX_KEY_DRAWS} counters from {start}")


def _intent_signing_key(seed: bytes, counter: int) -> SigningKey:
    return SigningKey(derive(seed, "intent-sign", counter))


@dataclass(frozen=True, slots=True)
class VendorKeys(_SignAndReply):
    """A vendor's long-lived identity: it signs offers, profiles, confirms
    with ``signing``; accepts are sealed to ``reply``."""

    @property
    def vendor_key(self) -> bytes:
        return bytes(self.signing.verify_key)


def derive_vendor_keys(seed: bytes) -> VendorKeys:
    return VendorKeys(
        signing=SigningKey(derive(seed, "vendor-sign", 0)),
        reply=PrivateKey(derive(seed, "vendor-reply", 0)),
    )


# --- key files --------------------------------------------------------------

KEY_FILE_KINDS: Final = frozenset({"customer-seed", "vendor-seed"})
KEY_FILE_HEADER: Final = "# intentcast key file v1: keep secret (mode 0600); it is all your keys"


def _check(kind: str, seed: bytes) -> str:
    return hashlib.blake2b(
        b"intentcast/1/keyfile/" + kind.encode() + b"/" + seed, digest_size=4
    ).hexdigest()


def encode_key_file(kind: str, seed: bytes) -> bytes:
    """The text of a key file holding ``seed``. Writing it (mode 0600,
    atomically) is the store's job: this module does no I/O."""
    if kind not in KEY_FILE_KINDS:
        raise ValueError(f"key file kind must be one of {sorted(KEY_FILE_KINDS)}")
    if len(seed) != SEED_SIZE:
        raise ValueError(f"seed must be {SEED_SIZE} bytes")
    lines = [
        KEY_FILE_HEADER,
        f"kind = {kind}",
        f"seed = {seed.hex()}",
        f"check = {_check(kind, seed)}",
    ]
    return ("\n".join(lines) + "\n").encode()


def decode_key_file(data: bytes, *, expect_kind: str | None = None) -> bytes:
    """The seed in a key file. Raises :class:`KeyFileError` naming the problem
    (never echoing the secret)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError("key file is not ASCII text") from None
    fields: dict[str, str] = {}
    # Problems are named by line number and field, never by the line's text:
    # a damaged seed line would put the secret in the error (and a log).
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, value = line.strip().partition("=")
        name = name.strip()
        if not sep:
            raise KeyFileError(f"key file line {number} is not 'name = value'")
        if name in fields:
            # Two key files run together would otherwise yield the last seed, silently.
            raise KeyFileError(f"key file line {number} repeats a field named before")
        fields[name] = value.strip()
    if set(fields) != {"kind", "seed", "check"}:
        raise KeyFileError("key file must have exactly the fields kind, seed, check")
    kind = fields["kind"]
    if kind not in KEY_FILE_KINDS:
        raise KeyFileError(f"key file kind must be one of {', '.join(sorted(KEY_FILE_KINDS))}")
    if expect_kind is not None and kind != expect_kind:
        raise KeyFileError(f"expected a {expect_kind} key file, found {kind}")
    try:
        seed = bytes.fromhex(fields["seed"])
    except ValueError:
        raise KeyFileError("seed is not hexadecimal") from None
    if len(seed) != SEED_SIZE:
        raise KeyFileError(f"seed must be {SEED_SIZE} bytes, found {len(seed)}")
    if not hmac.compare_digest(fields["check"], _check(kind, seed)):
        raise KeyFileError("key file checksum does not match: the file is damaged")
    return seed
