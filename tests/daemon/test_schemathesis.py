"""schemathesis against a real daemon on 127.0.0.1 (issue 19): cases
generated from the API's own OpenAPI document, every check enabled, zero
failures. Bounded: a fixed number of cases per operation and a fixed seed
(deterministic), under two minutes on a 2-core machine.

Left out: ``POST /v1/stop`` (it stops the daemon under test) and ``POST
/v1/peers`` (it dials the generated address: a fuzz run must not dial
random hosts; its answers are tested in ``tests/cli/test_frictions.py``).

One setting widens what two checks accept, for the API's documented
semantics: ``410 Gone`` answers a bot session that lapsed (the vendor
endpoints on a node whose bot is not attached), a state of the resource
like 404 and 409, which the checks accept by default.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ..cli.test_commands import ROOT, init, running

#: Cases per operation (positive and negative), and the seed.
EXAMPLES = 150
INTENT_EXAMPLES = 25  # each valid intent costs a proof of work
SEED = 19

CONFIG = f"""
seed = {SEED}
continue-on-failure = true
request-timeout = 20

[cache]
enabled = false

[generation]
max-examples = {EXAMPLES}
deterministic = true

[phases.coverage]
enabled = false

[phases.stateful]
enabled = false

[checks]
positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx",
]
negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "410", "415", "422", "428", "429", "5xx",
]

[[operations]]
include-operation-id = "post_v1_intents"
generation.max-examples = {INTENT_EXAMPLES}

[[operations]]
include-operation-id = "post_v1_intents_key_amend"
generation.max-examples = {INTENT_EXAMPLES}
"""


@pytest.mark.slow
def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    command = shutil.which("schemathesis") or shutil.which("st")
    assert command is not None, "schemathesis is not installed: pip install -e '.[dev]'"
    home = tmp_path / "home"
    init(home, "--role", "customer", "--role", "vendor")  # a vendor waiting for a bot
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    with running(home) as info:
        result = subprocess.run(
            [
                command,
                "--config-file",
                str(config),
                "run",
                f"{info.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {info.token}",
                "--checks",
                "all",
                "--exclude-operation-id",
                "post_v1_stop",
                "--exclude-operation-id",
                "post_v1_peers",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.daemon.schemathesis_hooks",
                "PYTHONPATH": str(ROOT),
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-20_000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", out)
    assert counts is not None and counts[1] == counts[2] and int(counts[1]) > 1000, out[-3000:]
    print(f"schemathesis: {counts[0]}")  # in the log of a run with -s
