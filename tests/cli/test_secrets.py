"""Secrets stay secret: the API token and the key seeds appear in no log line
(debug level included) and no error a user sees, while a daemon runs a
real exchange and answers bad requests."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import httpx
import pytest

from intentcast.protocol import decode_key_file

from .test_commands import KIEZ, cli, eventually, init, ok_json, running


def forms(secret: bytes) -> list[str]:
    """The ways a secret could be written out."""
    return [secret.hex(), base64.b64encode(secret).decode(), repr(secret)[2:-1]]


def test_no_secret_reaches_a_log_or_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vendor, customer = tmp_path / "vendor", tmp_path / "customer"
    init(vendor, "--role", "vendor", "--catalog", KIEZ)
    outputs: list[str] = []
    with running(vendor) as vendor_info:
        init(customer, "--bootstrap", vendor_info.addrs[0])
        with running(customer) as info:
            eventually(
                lambda: ok_json("status", "--home", customer)["connected_peers"] >= 1,
                "the customer connects",
            )
            posted = cli(
                "intent", "post", "--home", customer, "--category", "electronics/phones",
                "--title", "Pixel 8", "--max-price", "600", "--currency", "EUR",
                "--region", "DE", "--wait", "2",
            )  # fmt: skip
            outputs += [posted.stdout, posted.stderr]
            for args in (
                ("offers", "--home", customer, "ffff"),
                ("accept", "--home", customer, "0000"),
                ("intent", "post", "--home", customer, "--title", "no category"),
            ):
                result = cli(*args)
                assert result.exit_code != 0
                outputs += [result.stdout, result.stderr]
            for headers in ({"Authorization": "Bearer wrong"}, {}):
                outputs.append(httpx.get(info.url + "/v1/status", headers=headers).text)
            bad = httpx.post(
                info.url + "/v1/intents",
                content=b"{not json",
                headers={"Authorization": f"Bearer {info.token}"},
            )
            assert bad.status_code == 400
            outputs.append(bad.text)
            tokens = [info.token, vendor_info.token]
    seeds = [
        decode_key_file((home / name).read_bytes())
        for home in (vendor, customer)
        for name in ("customer.key", "vendor.key")
    ]
    said = "\n".join([caplog.text, *outputs])
    assert "intent-posted" in caplog.text  # the logs did record the run
    for token in tokens:
        assert token not in said
    for seed in seeds:
        for form in forms(seed):
            assert form not in said
