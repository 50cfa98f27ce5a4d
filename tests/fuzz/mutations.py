"""Byte-level mutations of a valid input, as a fuzzer makes them: flipped
bits, replaced, inserted and deleted bytes, truncation, extension, a
duplicated slice."""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def mutated(draw: st.DrawFn, original: bytes, *, most: int = 3) -> bytes:
    """``original`` after 1 to ``most`` random mutations."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, most))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "extend", "dup"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[at:]
        elif op == "extend":
            data += draw(st.binary(min_size=1, max_size=16))
        elif op == "dup" and data:
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
    return bytes(data)
