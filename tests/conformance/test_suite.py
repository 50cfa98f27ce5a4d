"""The conformance suite against our own implementation: every vector
through the reference adapter (as another implementation would plug in),
and a real node on 127.0.0.1 checked over libp2p."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance import node_check
from conformance.vectors import OUR_ADAPTER
from intentcast.node import NodeConfig, open_node
from intentcast.peer import topics
from intentcast.peer.limits import PeerLimitConfig
from intentcast.store import Store
from tests.node.harness import LOW_WORK, run

ROOT = Path(__file__).resolve().parents[2]


def _suite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "vectors", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_reference_adapter_passes_every_vector() -> None:
    done = _suite("--adapter", OUR_ADAPTER)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " 0 failed" in done.stdout


def test_an_adapter_that_accepts_everything_fails_the_invalid_vectors(tmp_path: Path) -> None:
    lax = tmp_path / "lax.py"
    lax.write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    r = json.loads(line)\n"
        "    print(json.dumps({'id': r['id'], 'action': 'accept', 'reason': None, 'ok': True}),"
        " flush=True)\n"
    )
    done = _suite("--adapter", f"{sys.executable} {lax}", "--only", "signature/")
    assert done.returncode == 1
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert any("s-plus-l" in line for line in failed)
    assert any("small-order" in line for line in failed)


def test_our_node_passes_the_node_checks(tmp_path: Path) -> None:
    """A relay on 127.0.0.1 with the test network's proof of work, checked
    by the suite in the same process, as `python -m conformance node` does.
    Its message rate is set low (the suite is told), so the flood that must
    get a probe banned stays small on a busy test machine."""
    limits = PeerLimitConfig(messages_per_second=20.0, message_burst=40.0, max_over_rate=20)

    async def main() -> None:
        with Store.open(tmp_path / "relay.db") as store:
            config = NodeConfig(relay=True, params=LOW_WORK, limits=limits)
            async with open_node(store, config=config) as node:
                addr = node.addrs()[0]
                lines: list[str] = []
                results = await node_check.check_node(
                    addr, params=LOW_WORK, limits=limits, log=lines.append
                )
                failed = [r for r in results if not r.ok]
                assert not failed, "\n".join(lines)
                names = {r.name for r in results}
                assert {
                    "sync/second-session-busy",
                    "sync/node-requests-by-the-rules",
                    "sync/handed-over-message-taken",
                    "sync/unwanted-message-dropped",
                    "stem/valid-message-taken",
                    "stem/fourth-stream-refused",
                    "strikes/banned-peer-refused",
                    "limits/within-burst-kept",
                    "limits/over-rate-banned",
                    "limits/over-rate-peer-refused",
                } <= names
                assert sum(r.name.startswith("strikes/") for r in results) >= 8
                # ... and it still serves an honest newcomer afterwards.
                async with node_check.probe(addr) as honest:
                    offered, _ = await node_check.sync_session(
                        honest, node.peer_id, [topics.PROFILES], lambda ids: []
                    )
                    assert offered, "the vendor profile the checks published"

    run(main)


def test_the_adapter_answers_bad_requests_with_a_named_error_and_keeps_going() -> None:
    lines = [
        "not json",
        json.dumps({"id": 1, "op": "fly"}),
        json.dumps({"id": 2, "op": "validate", "envelope_hex": "zz", "now": 0}),
        json.dumps({"id": 3, "op": "key_file", "text": "kind = customer-seed\n"}),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "conformance.adapter"],
        cwd=ROOT,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == 4
    assert "JSONDecodeError" in answers[0]["error"]
    assert answers[1] == {"id": 1, "error": "unknown op 'fly'"}
    assert answers[2]["id"] == 2 and "ValueError" in answers[2]["error"]
    assert answers[3] == {"id": 3, "ok": False}
