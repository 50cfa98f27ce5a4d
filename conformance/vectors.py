"""``python -m conformance vectors [--adapter CMD]``: every stored vector
through an implementation, over the JSON-lines adapter protocol
(:mod:`conformance.adapter`, docs/conformance.md)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors"
OUR_ADAPTER = f"{shlex.quote(sys.executable)} -m conformance.adapter"


def requests(directory: Path = VECTORS) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(request, expected answer) for every vector in ``directory``."""
    valid = json.loads((directory / "vectors.json").read_text())
    params = valid["params"]
    for m in valid["messages"]:
        layer = "gossip" if "work_bits_required" in m or m["kind"].startswith("sealed") else None
        layer = layer or ("gossip" if m["kind"] in ("withdraw", "vendor-profile") else "sealed")
        yield (
            {"name": f"message/{m['name']}", "op": "validate", "envelope_hex": m["envelope_hex"],
             "layer": layer, "now": valid["now"], **params},
            {"action": "accept", "reason": None, "id_hex": m["id_hex"]},
        )  # fmt: skip
    for i, k in enumerate(valid["kdf"]):
        yield (
            {"name": f"kdf/{i}", "op": "kdf", "seed_hex": k["seed_hex"], "label": k["label"],
             "counter": str(k["counter"])},
            {"output_hex": k["output_hex"]},
        )  # fmt: skip
    cases = json.loads((directory / "cases.json").read_text())
    extra = {"now": cases["now"], **cases["params"]}
    for case in cases["cases"]:
        yield {**case, **extra}, case["expect"]
    for case in json.loads((directory / "frames.json").read_text())["cases"]:
        yield case, case["expect"]


def run(adapter: str, *, only: str = "", verbose: bool = False) -> int:
    """Run every vector whose name starts with ``only`` through ``adapter``
    (a shell command); print one line per failure (and per pass with
    ``verbose``) and a summary; 0 if all passed."""
    todo = [(r, e) for r, e in requests() if r["name"].startswith(only)]
    proc = subprocess.Popen(
        shlex.split(adapter), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    failed = 0
    try:
        for n, (req, expect) in enumerate(todo):
            proc.stdin.write(json.dumps({**req, "id": n}) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                print(f"FAIL {req['name']}: the adapter exited", file=sys.stderr)
                return 1
            got = json.loads(line)
            wrong = {k: got.get(k) for k, v in expect.items() if got.get(k) != v}
            if wrong or got.get("id") != n:
                failed += 1
                print(f"FAIL {req['name']}: expected {expect}, got {wrong} ({req.get('note', '')})")
            elif verbose:
                print(f"PASS {req['name']}")
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    print(f"{len(todo) - failed} passed, {failed} failed, of {len(todo)} vectors")
    return 1 if failed else 0
