"""Every msgpack encoding of a value, not only the shortest: the same
content in a wider integer, length or container header. A canonical
decoder must accept exactly one of them (docs/protocol.md, "Canonical
encoding")."""

from __future__ import annotations

import struct

from hypothesis import strategies as st


def _int_forms(n: int) -> list[bytes]:
    forms = []
    if 0 <= n < 128:
        forms.append(bytes([n]))
    if -32 <= n < 0:
        forms.append(struct.pack(">b", n))
    for tag, fmt, lo, hi in (
        (0xCC, ">B", 0, 2**8 - 1),
        (0xCD, ">H", 0, 2**16 - 1),
        (0xCE, ">I", 0, 2**32 - 1),
        (0xCF, ">Q", 0, 2**64 - 1),
        (0xD0, ">b", -(2**7), 2**7 - 1),
        (0xD1, ">h", -(2**15), 2**15 - 1),
        (0xD2, ">i", -(2**31), 2**31 - 1),
        (0xD3, ">q", -(2**63), 2**63 - 1),
    ):
        if lo <= n <= hi:
            forms.append(bytes([tag]) + struct.pack(fmt, n))
    return forms


def _length_forms(
    n: int, fix: int | None, fix_max: int, tagged: tuple[tuple[int, int], ...]
) -> list[bytes]:
    """Headers for a length ``n``: the fix form (``fix | n``) if it fits,
    and each ``(tag, size)`` form with a ``size``-byte length."""
    forms = [bytes([fix | n])] if fix is not None and n <= fix_max else []
    for tag, size in tagged:
        if n < 256**size:
            forms.append(bytes([tag]) + n.to_bytes(size, "big"))
    return forms


STR = (0xA0, 31, ((0xD9, 1), (0xDA, 2), (0xDB, 4)))
BIN = (None, 0, ((0xC4, 1), (0xC5, 2), (0xC6, 4)))
ARRAY = (0x90, 15, ((0xDC, 2), (0xDD, 4)))
MAP = (0x80, 15, ((0xDE, 2), (0xDF, 4)))


@st.composite
def encodings(draw: st.DrawFn, value: object) -> bytes:
    """One msgpack encoding of ``value`` (None, bool, int, str, bytes,
    tuples or lists, dicts with their key order kept)."""
    if value is None:
        return b"\xc0"
    if value is True or value is False:
        return b"\xc3" if value else b"\xc2"
    if type(value) is int:
        return draw(st.sampled_from(_int_forms(value)))
    if type(value) is str:
        raw = value.encode()
        return draw(st.sampled_from(_length_forms(len(raw), *STR))) + raw
    if type(value) is bytes:
        return draw(st.sampled_from(_length_forms(len(value), *BIN))) + value
    if isinstance(value, tuple | list):
        header = draw(st.sampled_from(_length_forms(len(value), *ARRAY)))
        return header + b"".join(draw(encodings(v)) for v in value)
    if isinstance(value, dict):
        header = draw(st.sampled_from(_length_forms(len(value), *MAP)))
        return header + b"".join(draw(encodings(k)) + draw(encodings(v)) for k, v in value.items())
    raise TypeError(f"no msgpack form for {type(value).__name__}")
