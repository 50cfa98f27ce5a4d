"""Coverage-guided fuzzing of intentcast's parsers and validators (atheris).

Usage::

    python -m fuzz --list                    the targets (atheris not needed)
    python -m fuzz seed [TARGET ...]         rewrite fuzz/corpus/<target>/ from the seeds
    python -m fuzz check [TARGET ...]        run every corpus file once (atheris not needed)
    python -m fuzz repro TARGET FILE ...     run inputs once, with the full traceback
    python -m fuzz TARGET [--strict] [--work DIR] [libFuzzer flags]
        e.g. python -m fuzz envelope -max_total_time=300

A run reads the seed corpus ``fuzz/corpus/TARGET`` and keeps the inputs it
finds in ``--work`` (default ``$TMPDIR/intentcast-fuzz/TARGET``), where crash
files land too. ``--strict`` makes findings already reported (the targets'
``KNOWN``) crash the run again. Running needs ``pip install -e '.[fuzz]'``.
See docs/security.md, "Fuzzing".
"""

from __future__ import annotations

import collections
import hashlib
import sys
import tempfile
import traceback
from pathlib import Path

from .harness import BY_NAME, TARGETS, Target, run_input


def _targets(names: list[str]) -> list[Target] | None:
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        print(f"error: unknown target {unknown[0]!r}; see python -m fuzz --list", file=sys.stderr)
        return None
    return [BY_NAME[n] for n in names] if names else list(TARGETS)


def list_targets() -> int:
    width = max(len(t.name) for t in TARGETS)
    for t in TARGETS:
        print(f"{t.name:<{width}}  {t.summary}")
        print(f"{'':<{width}}  expected errors: {t.expected}")
    return 0


def seed(names: list[str]) -> int:
    targets = _targets(names)
    if targets is None:
        return 2
    for target in targets:
        inputs = target.load().seeds()
        target.corpus.mkdir(parents=True, exist_ok=True)
        for old in target.corpus.iterdir():
            old.unlink()
        for data in inputs:
            name = hashlib.blake2b(data, digest_size=8).hexdigest()
            (target.corpus / name).write_bytes(data)
        print(f"{target.name}: {len(inputs)} seeds in {target.corpus}")
    return 0


def check(names: list[str]) -> int:
    targets = _targets(names)
    if targets is None:
        return 2
    failed = 0
    for target in targets:
        module = target.load()
        known: collections.Counter[int] = collections.Counter()
        files = sorted(target.corpus.iterdir())
        for path in files:
            try:
                hit = run_input(module, path.read_bytes())
            except Exception:
                failed += 1
                print(f"{target.name}: {path.name}: FINDING", file=sys.stderr)
                traceback.print_exc()
                continue
            if hit is not None:
                known[hit] += 1
        note = f" (reported findings hit: {dict(known)})" if known else ""
        print(f"{target.name}: {len(files)} corpus files{note}")
    return 1 if failed else 0


def repro(name: str, files: list[str]) -> int:
    targets = _targets([name])
    if targets is None or not files:
        return 2
    module = targets[0].load()
    for file in files:
        run_input(module, Path(file).read_bytes(), strict=True)  # raises with the traceback
        print(f"{file}: no finding")
    return 0


def fuzz(name: str, args: list[str]) -> int:
    targets = _targets([name])
    if targets is None:
        return 2
    target = targets[0]
    strict = "--strict" in args
    args = [a for a in args if a != "--strict"]
    work = Path(tempfile.gettempdir()) / "intentcast-fuzz" / target.name
    if "--work" in args:
        at = args.index("--work")
        work = Path(args[at + 1])
        del args[at : at + 2]
    try:
        import atheris
    except ImportError:
        print("error: running a target needs atheris: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    work.mkdir(parents=True, exist_ok=True)
    if not any(a.startswith("-artifact_prefix=") for a in args):
        args.append(f"-artifact_prefix={work}/")
    with atheris.instrument_imports(include=["intentcast", "tomllib", "fuzz"]):
        module = target.load()
    seen: set[int] = set()

    def one_input(data: bytes) -> None:
        hit = run_input(module, data, strict=strict)
        if hit is not None and hit not in seen:
            seen.add(hit)  # libFuzzer exits without running atexit: say it now
            print(f"INFO: reported finding {hit} hit; going on (--strict stops)", flush=True)

    atheris.Setup([sys.argv[0], *args, str(work), str(target.corpus)], one_input)
    atheris.Fuzz()
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "--list":
        return list_targets()
    if command == "seed":
        return seed(rest)
    if command == "check":
        return check(rest)
    if command == "repro":
        return repro(rest[0], rest[1:]) if rest else 2
    return fuzz(command, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
