"""``intentcast demo`` and the CLI surface."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from intentcast.cli import main


def test_demo_json_shows_ranked_rejected_and_a_confirmed_deal() -> None:
    result = CliRunner().invoke(main, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert len(summary["nodes"]) == 5
    ranked = summary["ranked"]
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert {r["vendor"] for r in ranked} == {"Kiez Phones", "Second Life Phones"}
    assert all(r["explanation"].startswith(f"#{r['rank']} ") for r in ranked)
    # The bot that ignores the customer's terms is rejected, and told why.
    [flash] = summary["rejected"]
    assert flash["vendor"] == "Flash Deals"
    assert any("cc:no-tracking" in reason for reason in flash["reasons"])
    # The bicycle shop stays silent: it has nothing relevant.
    assert "Velo Werk" not in {r["vendor"] for r in ranked + summary["rejected"]}
    accepted = summary["accepted"]
    assert accepted["vendor"] == ranked[0]["vendor"]
    assert accepted["state"] == accepted["vendor_state"] == "confirmed"
    assert accepted["disclosed"] == ["contact", "shipping"]


def test_demo_tells_the_story() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    for line in (
        "posts an intentcast",
        "sealed offer from",
        "Ranked offers",
        "#1 ",
        "Rejected Flash Deals",
        "disclosing only contact, shipping",
        "what",
        "learned about you: contact=alice@example.org",
    ):
        assert line in out, line


def test_every_command_has_help_text() -> None:
    def walk(cmd: click.Command, path: list[str]) -> None:
        assert cmd.help and cmd.help.strip(), f"{' '.join(path)} has no help"
        result = CliRunner().invoke(main, [*path[1:], "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])

    walk(main, ["intentcast"])


def test_unknown_command_and_bad_option_fail_with_clear_messages() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output
    result = CliRunner().invoke(main, ["demo", "--offer-wait", "0"])
    assert result.exit_code == 2
    assert "--offer-wait" in result.output
