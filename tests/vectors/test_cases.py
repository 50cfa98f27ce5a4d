"""The stored conformance cases (cases.json, frames.json) are what the
generator writes, and the reference implementation gives every case the
verdict the specification does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.adapter import answer

from .generate import CASES_PATH, FRAMES_PATH, JSON_SAFE, PATH, build_cases, build_frames, render

CASES = json.loads(CASES_PATH.read_text())
FRAMES = json.loads(FRAMES_PATH.read_text())


def test_regenerated_cases_equal_the_stored_files() -> None:
    assert render(build_cases) == CASES_PATH.read_text(), "cases changed: regenerate, review"
    assert render(build_frames) == FRAMES_PATH.read_text(), "frames changed: regenerate, review"


def request(case: dict[str, Any]) -> dict[str, Any]:
    return {**case, "now": CASES["now"], **CASES["params"]}


def _disagreements(cases: list[dict[str, Any]], extra: dict[str, Any]) -> list[str]:
    wrong = []
    for case in cases:
        got = answer({**case, **extra})
        if any(got.get(k) != v for k, v in case["expect"].items()):
            seen = {k: got.get(k) for k in case["expect"]}
            wrong.append(f"{case['name']}: expected {case['expect']}, got {seen}")
    return wrong


def test_the_reference_gives_every_case_its_expected_verdict() -> None:
    extra = {"now": CASES["now"], **CASES["params"]}
    assert _disagreements(CASES["cases"], extra) == []


def test_the_reference_reads_every_frame_as_expected() -> None:
    assert _disagreements(FRAMES["cases"], {}) == []


def test_cases_cover_every_kind_rule_and_reason() -> None:
    cases = CASES["cases"]
    invalid_kinds = {c["kind"] for c in cases if c["op"] == "validate" and c["step"] != "accept"}
    assert invalid_kinds >= {
        "intent",
        "withdraw",
        "offer",
        "sealed-offer",
        "accept",
        "confirm",
        "decline",
        "sealed-deal",
        "vendor-profile",
        "deal-message",
        "profile-update",
        "forget",
        "deal-ack",
    }
    reasons = {c["expect"].get("reason") for c in cases}
    from intentcast.protocol import Reason

    context_only = {
        "not-intent-author",
        "not-offer-vendor",
        "wrong-intent",
        "wrong-offer",
        "wrong-accept",
        "payment-mode",
        "price",
        "wrong-receipt",
        "not-deal-party",
        "wrong-deal",
        "wrong-subject",
    }
    from intentcast.protocol.kinds import RESERVED_KINDS

    if not RESERVED_KINDS:  # specification 1.3 reserves no kind: nothing to ignore as one
        context_only.add("reserved-kind")
    assert {r.value for r in Reason} - context_only <= reasons
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names are unique"


def test_no_json_number_loses_precision() -> None:
    """Integers JSON readers that use doubles would round are strings."""

    def walk(value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int):
            assert abs(value) <= JSON_SAFE, value
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for path in (PATH, CASES_PATH, FRAMES_PATH):
        walk(json.loads(Path(path).read_text()))
