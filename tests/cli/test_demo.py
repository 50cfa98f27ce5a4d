"""``intentcast demo`` and the CLI surface."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from intentcast.cli import main


def test_demo_walks_an_intent_to_a_confirmed_deal() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "posts intent" in result.output
    assert "refuses cc:delete-after-deal, cc:no-tracking" in result.output
    assert "accepts 'Pixel Palace', disclosing only: contact" in result.output
    assert "deal made" in result.output


def test_demo_json_is_machine_readable() -> None:
    result = CliRunner().invoke(main, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["confirmed"] is True
    assert summary["accepted"] == {
        "vendor": "Pixel Palace",
        "price": 27_500,
        "disclosed": ["contact"],
    }
    assert [o["meets_terms"] for o in summary["offers"]] == [True, False]


def test_every_command_has_help_text() -> None:
    def walk(cmd: click.Command, path: list[str]) -> None:
        assert cmd.help and cmd.help.strip(), f"{' '.join(path)} has no help"
        result = CliRunner().invoke(main, [*path[1:], "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])

    walk(main, ["intentcast"])


def test_unknown_command_fails_with_a_clear_message() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output
