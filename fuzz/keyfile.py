"""Key files: ``decode_key_file`` on fuzzed text, and ``read_key_file`` on
the same bytes written to a private (0600) file.

Oracles: only :class:`KeyFileError` is raised, and its message never
repeats hex digits of the file (a damaged seed line must not reach a log);
a file is read only if each
of ``kind``, ``seed`` and ``check`` appears exactly once (a damaged or
concatenated file must not silently yield one of two seeds); the seed
read is the one the file's ``seed`` line names; reading from disk and
from bytes agree.
"""

from __future__ import annotations

import os
import re
from typing import Final

from intentcast.protocol import KeyFileError, decode_key_file, encode_key_file
from intentcast.store import read_key_file

from .harness import Finding, Known, scratch

KNOWN: Final[tuple[Known, ...]] = ()


def _fields(data: bytes) -> list[tuple[str, str]]:
    """The ``name = value`` lines of a key file (docs/protocol.md section 6)."""
    out = []
    for line in data.decode("ascii").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


_HEX_RUN: Final = re.compile(rb"[0-9a-fA-F]{8,}")


def _check_secret_kept(error: KeyFileError, data: bytes) -> None:
    """An error never repeats 8 or more hex digits of the file: they may be
    part of the seed (and error messages end up in logs)."""
    said = str(error).encode().lower()
    for run in _HEX_RUN.findall(data):
        for at in range(len(run) - 7):
            if run[at : at + 8].lower() in said:
                raise Finding(f"a key file error repeats hex digits of the file: {error}")


def one_input(data: bytes) -> None:
    try:
        seed = decode_key_file(data)
    except KeyFileError as exc:
        _check_secret_kept(exc, data)
        seed = None
    if seed is not None:
        fields = _fields(data)
        names = [name for name, _ in fields]
        if sorted(names) != ["check", "kind", "seed"]:
            raise Finding(f"a key file with the fields {names} was read")
        if bytes.fromhex(dict(fields)["seed"]) != seed:
            raise Finding("the seed read is not the one the file names")
    for expect in ("customer-seed", "vendor-seed"):
        try:
            typed = decode_key_file(data, expect_kind=expect)
        except KeyFileError:
            continue
        if typed != seed:
            raise Finding("expect_kind changed the seed read")
    path = scratch("keyfile") / "seed.key"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    try:
        from_disk = read_key_file(path)
    except KeyFileError:
        from_disk = None
    if from_disk != seed:
        raise Finding("read_key_file and decode_key_file disagree")


def seeds() -> list[bytes]:
    customer = encode_key_file("customer-seed", bytes(range(32)))
    vendor = encode_key_file("vendor-seed", bytes(range(100, 132)))
    return [
        customer,
        vendor,
        customer + vendor,  # two files run together
        customer.replace(b"seed = 00", b"seed = 01"),  # damaged: checksum fails
        b"kind = customer-seed\n",
        customer.replace(b"seed = ", b"seed: "),  # a damaged seed line
    ]
