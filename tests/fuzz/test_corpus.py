"""The coverage-guided harnesses in fuzz/: every target has a module and
a seed corpus, the corpus is what ``python -m fuzz seed`` writes, every
corpus file runs through its harness without an unexpected error, and the
command lists its targets without atheris installed."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from fuzz.harness import CORPUS_DIR, FUZZ_DIR, TARGETS, run_input

ROOT = FUZZ_DIR.parent
#: Modules of fuzz/ that are shared code, not targets.
SHARED = {"__init__", "__main__", "harness", "samples", "spec"}


def test_every_module_of_fuzz_is_a_listed_target_and_every_target_has_a_corpus() -> None:
    modules = {p.stem for p in FUZZ_DIR.glob("*.py")} - SHARED
    assert modules == {t.module_name.removeprefix("fuzz.") for t in TARGETS}
    assert {p.name for p in CORPUS_DIR.iterdir()} == {t.name for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_the_corpus_is_what_seed_writes_and_every_file_runs_clean(target) -> None:
    module = target.load()
    seeds = module.seeds()
    assert 3 <= len(seeds) <= 24, "a handful of seeds (about one per kind)"
    names = {hashlib.blake2b(s, digest_size=8).hexdigest() for s in seeds}
    assert {p.name for p in target.corpus.iterdir()} == names, "run: python -m fuzz seed"
    for path in sorted(target.corpus.iterdir()):
        assert run_input(module, path.read_bytes()) is None, f"{path} hits a reported finding"


def _run_without_atheris(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m fuzz ARGS`` with atheris unimportable; stderr ends with
    whether the code under test (intentcast) was imported."""
    code = (
        "import runpy, sys\n"
        "sys.modules['atheris'] = None\n"
        f"sys.argv = ['fuzz', *{list(args)!r}]\n"
        "try:\n"
        "    runpy.run_module('fuzz', run_name='__main__')\n"
        "finally:\n"
        "    print('imported:', 'intentcast' in sys.modules, file=sys.stderr)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_targets_list_without_atheris_nor_the_code_under_test() -> None:
    """The list works even when the code under test does not import."""
    done = _run_without_atheris("--list")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert listed == [t.name for t in TARGETS]
    assert "imported: False" in done.stderr


def test_running_a_target_without_atheris_says_how_to_install_it() -> None:
    done = _run_without_atheris("envelope", "-runs=1")
    assert done.returncode == 2
    assert "pip install -e '.[fuzz]'" in done.stderr


def test_corpus_files_are_small() -> None:
    for target in TARGETS:
        assert sum(p.stat().st_size for p in target.corpus.iterdir()) < 64_000, target.name


def test_a_reported_finding_is_recognised_by_where_it_left_our_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ``KNOWN`` mechanism that lets a long run go past a reported
    finding matches the error's type and the function it escaped from,
    and ``strict`` turns it back into a failure."""
    from types import SimpleNamespace

    from fuzz.harness import STRICT_ENV, Known, escaped_from
    from intentcast.protocol import KeyFileError, decode_key_file

    monkeypatch.delenv(STRICT_ENV, raising=False)

    def one_input(data: bytes) -> None:
        decode_key_file(data)

    try:
        one_input(b"\xff")
    except KeyFileError as exc:
        assert escaped_from(exc) == "intentcast.protocol.keys.decode_key_file"
    known = Known(99, KeyFileError, "intentcast.protocol.keys.decode_key_file", "ASCII")
    elsewhere = Known(99, KeyFileError, "intentcast.store.keyfile.read_key_file")
    module = SimpleNamespace(one_input=one_input, KNOWN=(elsewhere,))
    with pytest.raises(KeyFileError):
        run_input(module, b"\xff")  # type: ignore[arg-type]
    module.KNOWN = (known,)
    assert run_input(module, b"\xff") == 99  # type: ignore[arg-type]
    with pytest.raises(KeyFileError):
        run_input(module, b"\xff", strict=True)  # type: ignore[arg-type]
