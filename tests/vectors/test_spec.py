"""docs/protocol.md and the code cannot drift: the validation table has
the code's order, reasons and verdicts, every step has cases that the
reference gives the table's verdict, and every closed list written out in
the document is the code's list."""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

from intentcast.protocol import Reason, validation, vocab
from intentcast.protocol import encoding as encoding_module

from .generate import CASES_PATH

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
CASES = json.loads(CASES_PATH.read_text())["cases"]

Row = tuple[str, list[str], str]


def table(name: str) -> list[Row]:
    """Rows (step, reasons, verdict) of the table marked ``<!-- table: name -->``."""
    block = DOC.split(f"<!-- table: {name} -->", 1)[1].strip().split("\n\n", 1)[0]
    rows = []
    for line in block.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        reasons = re.findall(r"`([a-z-]+)`", cells[-2]) if len(cells) > 2 else []
        rows.append((cells[0], reasons, cells[-1]))
    return rows


def doc_list(name: str) -> list[str]:
    block = DOC.split(f"<!-- list: {name} -->", 1)[1]
    code = block.split("```", 2)[1]
    return code.split()


VALIDATION = table("validation")
OPENING = table("opening")


def test_the_table_names_every_reason_once_with_the_codes_names() -> None:
    steps = [r[0] for r in VALIDATION]
    assert steps == [str(i) for i in range(1, len(steps) + 1)]
    in_table = {reason for _, reasons, _ in VALIDATION + OPENING for reason in reasons}
    context_block = DOC.split("<!-- table: context -->", 1)[1].split("\n\n", 1)[0]
    in_context = set(re.findall(r"\| `([a-z-]+)` \|", context_block))
    assert in_table | in_context == {r.value for r in Reason}
    assert not in_table & in_context


def test_every_step_has_cases_and_the_table_gives_their_verdict() -> None:
    rows = {step: (reasons, verdict) for step, reasons, verdict in VALIDATION}
    covered = set()
    for case in CASES:
        if case["op"] != "validate" or case["step"] not in rows:
            continue
        expect = case["expect"]
        if expect["action"] == "accept":
            continue  # a boundary that passes the step
        reasons, verdict = rows[case["step"]]
        assert expect["reason"] in reasons, case["name"]
        assert expect["action"] == verdict, case["name"]
        covered.add(case["step"])
    from intentcast.protocol.kinds import RESERVED_KINDS

    if not RESERVED_KINDS:  # step 6 has nothing to catch while no kind is reserved
        covered.add("6")
    assert covered == set(rows), f"steps without a case: {set(rows) - covered}"


def test_two_fault_cases_stop_at_the_earlier_step() -> None:
    order = [r[0] for r in VALIDATION]
    two_faults = [c for c in CASES if c["name"].startswith("order/")]
    assert len(two_faults) >= 10
    for case in two_faults:
        assert order.index(case["step"]) < order.index(case["loses_to"]), case["name"]


# --- the code's order, read from its source --------------------------------------

#: Errors decode_envelope raises, as the reasons validate() turns them into.
_DECODE_REASONS = {
    "DecodeError": "malformed-envelope",
    "UnknownVersion": "unknown-version",
    "UnknownKind": "unknown-kind",
}
_SCHEMA = {"invalid-field", "non-canonical"}


def _collapse(reasons: list[str]) -> list[str]:
    """Consecutive repeats merged; the body's schema reasons as one group."""
    out: list[str] = []
    for reason in reasons:
        item = "schema" if reason in _SCHEMA else reason
        if not out or out[-1] != item:
            out.append(item)
    return out


def _calls(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Call)
        and (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)
        for n in ast.walk(node)
    )


def _decode_sequence() -> list[str]:
    tree = ast.parse(inspect.getsource(encoding_module.decode_envelope))
    raises = sorted(
        (n.lineno, _DECODE_REASONS[n.exc.func.id])
        for n in ast.walk(tree)
        if isinstance(n, ast.Raise)
        and isinstance(n.exc, ast.Call)
        and isinstance(n.exc.func, ast.Name)
    )
    return ["malformed-envelope", *(r for _, r in raises)]  # unpack() comes first


def code_order() -> list[str]:
    """The reasons of validate() in the order its source checks them."""
    tree = ast.parse(inspect.getsource(validation.validate))
    found: list[tuple[int, list[str]]] = []
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            inside = {id(n) for h in node.handlers for n in ast.walk(h)}
            if any(_calls(stmt, "decode_envelope") for stmt in node.body):
                found.append((node.lineno, _decode_sequence()))
                skip |= inside
            elif any(_calls(stmt, "from_body") for stmt in node.body):
                found.append((node.lineno, ["invalid-field"]))
                skip |= inside
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Reason"
            and id(node) not in skip
        ):
            found.append((node.lineno, [Reason[node.attr].value]))
    return _collapse([r for _, rs in sorted(found, key=lambda f: f[0]) for r in rs])


def test_the_table_order_is_the_codes_order() -> None:
    documented = _collapse([reasons[0] for _, reasons, _ in VALIDATION])
    assert documented == code_order()


# --- closed lists ------------------------------------------------------------------


def test_closed_lists_in_the_document_are_the_codes() -> None:
    assert doc_list("categories") == list(vocab.CATEGORIES)
    assert set(doc_list("payment-modes")) == vocab.PAYMENT_MODES
    assert set(doc_list("disclosure")) == vocab.DISCLOSURE_FIELDS
    assert set(doc_list("preferences")) == set(vocab.PREFERENCE_CRITERIA)
    currencies = doc_list("currencies")
    assert len(currencies) == len(set(currencies)) == 166
    assert set(currencies) == vocab.CURRENCIES
    assert set(doc_list("countries")) == vocab.COUNTRIES
    for code in ("XAU", "XAG", "XPT", "XPD", "XDR", "XTS", "XXX", "ZWL"):
        assert code not in vocab.CURRENCIES
