"""What a fuzz target is, which errors it may raise, and how one input runs.

A target module (``fuzz/<name>.py``) defines:

- ``one_input(data: bytes) -> None``: feed ``data`` to the code under test.
  It catches the errors the code documents for bad input (its *named
  errors*), checks the oracles (invalid input is never accepted, what is
  accepted round-trips) and raises :class:`Finding` when one breaks.
  Anything else it lets through: an unexpected exception is a finding.
- ``seeds() -> list[bytes]``: a handful of inputs the seed corpus starts
  from (``python -m fuzz seed`` writes them to ``fuzz/corpus/<name>/``).
- ``KNOWN``: findings already reported but not yet fixed (their part of
  the code belongs to someone else). :func:`run_input` recognises them so
  a long campaign explores past them; ``--strict`` makes them crash again.
  Each one has a strict ``xfail`` test in ``tests/fuzz`` that flips when
  the fault is fixed: delete the entry then.

Nothing here imports atheris: the harnesses run on plain bytes, in the
test suite as well as under the fuzzer.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Final

FUZZ_DIR: Final = Path(__file__).resolve().parent
CORPUS_DIR: Final = FUZZ_DIR / "corpus"


class Finding(AssertionError):
    """An oracle broke: input was accepted when invalid, or an accepted
    value did not survive a round trip."""


@dataclass(frozen=True, slots=True)
class Known:
    """A reported finding: ``error`` escaping from the function ``where``
    (``module.function``, the innermost frame in intentcast's code; None
    for a :class:`Finding` the harness raised), its message containing
    ``match``."""

    finding: int
    error: type[BaseException]
    where: str | None
    match: str = ""

    def matches(self, exc: BaseException) -> bool:
        return (
            isinstance(exc, self.error)
            and escaped_from(exc) == self.where
            and self.match in str(exc)
        )


def escaped_from(exc: BaseException) -> str | None:
    """``module.qualified.name`` of the function in the innermost traceback frame in the
    ``intentcast`` package: where an error left our code (it may have been
    raised deeper, in the standard library)."""
    where = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module == "intentcast" or module.startswith("intentcast."):
            where = f"{module}.{tb.tb_frame.f_code.co_qualname}"
        tb = tb.tb_next
    return where


_SCRATCH: dict[str, tempfile.TemporaryDirectory[str]] = {}


def scratch(name: str) -> Path:
    """A private temporary directory for the harnesses that need files,
    one per name and process, removed when the process ends normally."""
    if name not in _SCRATCH:
        _SCRATCH[name] = tempfile.TemporaryDirectory(prefix=f"intentcast-fuzz-{name}-")
    return Path(_SCRATCH[name].name)


@dataclass(frozen=True, slots=True)
class Target:
    """One fuzz target: a family of parsers or validators of untrusted input."""

    name: str
    summary: str
    #: The errors the code under test documents for bad input.
    expected: str

    @property
    def module_name(self) -> str:
        return f"fuzz.{self.name.replace('-', '_')}"

    def load(self) -> ModuleType:
        """Import the target's module (and with it the code under test)."""
        return importlib.import_module(self.module_name)

    @property
    def corpus(self) -> Path:
        return CORPUS_DIR / self.name


#: Every target, listed without importing the code under test.
TARGETS: Final = (
    Target(
        "envelope",
        "raw gossip bytes: validate() at both layers, decode_envelope, decode_stored",
        "validate: none (a verdict); decode_*: DecodeError, InvalidMessage",
    ),
    Target(
        "bodies",
        "a signed envelope around fuzzed body bytes, every kind: validate(), the body "
        "readers, decode_stored; accepted intents and offers through match/rank",
        "validate: none (a verdict); decode_stored: DecodeError, InvalidMessage",
    ),
    Target(
        "sealed",
        "fuzzed inner envelopes sealed to the right key: open_offer, open_deal, "
        "check_accept, check_vendor_reply",
        "none (a verdict)",
    ),
    Target(
        "keyfile",
        "key file text: decode_key_file, and read_key_file on a 0600 file",
        "KeyFileError",
    ),
    Target(
        "catalog",
        "catalog TOML: parse_catalog; an accepted catalog's offers must sign and validate",
        "CatalogError",
    ),
    Target(
        "draft",
        "intent draft files (TOML/JSON) as `intent post --file` reads them, then the "
        "API's intent_fields and disclosure_for",
        "ClickException (file); BadDraft, InvalidMessage (draft)",
    ),
    Target(
        "api-json",
        "local API request bodies and query strings: the JSON body reader, intent "
        "drafts, accept disclosures, the events query, a vendor bot's attach and answers",
        "BadDraft, InvalidMessage; ApiError, RemoteVendorError (vendor bot calls)",
    ),
    Target(
        "sync",
        "a peer's bytes on the sync stream: read_frame, and whole respond/request "
        "sessions against a scripted stream",
        "SyncError, StreamGone, SyncBusy",
    ),
    Target(
        "config",
        "the daemon's config.toml: load_settings",
        "ConfigError",
    ),
    Target(
        "bot-spec",
        "vendor-bot settings and OfferSpec values (msgpack-encoded): VendorBot, "
        "OfferSpec, to_offer, check_offer",
        "BotError, InvalidMessage",
    ),
)
BY_NAME: Final = {t.name: t for t in TARGETS}


#: Set to 1 to make every run strict: reported findings fail again
#: (which ones does a test reach on its own? is a fix complete?).
STRICT_ENV: Final = "INTENTCAST_FUZZ_STRICT"


def run_input(module: ModuleType, data: bytes, *, strict: bool = False) -> int | None:
    """Run one input through a target module. Returns the number of the
    known finding it hit (None if none); raises on any other failure, and
    on known ones too when ``strict`` (or ``$INTENTCAST_FUZZ_STRICT`` is 1)."""
    one_input: Callable[[bytes], None] = module.one_input
    known: Sequence[Known] = module.KNOWN
    try:
        one_input(data)
    except Exception as exc:
        if not (strict or os.environ.get(STRICT_ENV) == "1"):
            for k in known:
                if k.matches(exc):
                    return k.finding
        raise
    return None
