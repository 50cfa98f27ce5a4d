"""Key files: damaged, edited or concatenated files raise only
KeyFileError and never yield a seed the file does not name once; a file
others can read or write is refused, whatever its mode."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import keyfile
from fuzz.harness import run_input
from intentcast.protocol import KeyFileError, decode_key_file, encode_key_file
from intentcast.store import InsecureKeyFile, read_key_file

from .budget import examples
from .mutations import mutated

SEED = bytes(range(32))
FILES = [encode_key_file("customer-seed", SEED), encode_key_file("vendor-seed", SEED[::-1])]


@st.composite
def edited(draw: st.DrawFn) -> bytes:
    """A key file with lines dropped, repeated, swapped in from the other
    file, re-spaced or re-cased."""
    lines = draw(st.sampled_from(FILES)).decode().splitlines()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "repeat", "other", "space", "case", "comment"]))
        if op == "drop":
            del lines[at]
        elif op == "repeat":
            lines.insert(at, lines[at])
        elif op == "other":
            lines.insert(at, draw(st.sampled_from(FILES[1].decode().splitlines())))
        elif op == "space":
            lines[at] = " " + lines[at].replace(
                " = ", draw(st.sampled_from(["=", " =  ", "\t=\t"]))
            )
        elif op == "case":
            lines[at] = lines[at].upper()
        else:
            lines.insert(at, "# " + draw(st.text(max_size=20)).replace("\n", " "))
        if not lines:
            break
    return "\n".join(lines).encode(errors="surrogateescape")


@examples(120)
@given(st.one_of(edited(), st.sampled_from(FILES).flatmap(mutated), st.binary(max_size=200)))
def test_a_damaged_key_file_raises_key_file_error_or_reads_the_one_seed_it_names(
    data: bytes,
) -> None:
    run_input(keyfile, data)


def test_two_key_files_run_together_are_refused() -> None:
    with pytest.raises(KeyFileError, match="repeats a field"):
        decode_key_file(FILES[0] + FILES[1])


def test_a_key_file_others_can_reach_is_refused_whatever_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "customer.key"
    path.write_bytes(FILES[0])
    for mode in range(0o400, 0o1000):  # every mode the owner can read
        os.chmod(path, mode)
        if mode & 0o077:
            with pytest.raises(InsecureKeyFile):
                read_key_file(path)
        else:
            assert read_key_file(path) == SEED, oct(mode)
