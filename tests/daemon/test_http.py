"""The local API as an integrator finds it (issue 19), against a real daemon
on 127.0.0.1: every answer in the one JSON error shape with the right
status (parser errors, 404, 405 with Allow, 408, 413, 415, 431), text
checked as well-formed Unicode at the edge, and a description that needs
no token and is complete enough to generate a client from."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from intentcast.daemon.api.app import BODY_SECONDS, MAX_BODY
from intentcast.daemon.api.endpoints import ENDPOINTS
from intentcast.daemon.api.handlers import MAX_LIST
from intentcast.daemon.process import DaemonInfo
from intentcast.daemon.web.handlers import MAX_VENDOR_OFFERS

from ..cli.test_commands import init, ok_json, running

DRAFT: dict[str, Any] = {
    "category": "electronics/phones",
    "title": "Pixel 8",
    "terms": {"max_price": "599.90", "currency": "EUR", "region": "DE"},
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DaemonInfo]]:
    home = tmp_path_factory.mktemp("http") / "home"
    init(home, "--role", "vendor", "--role", "customer")  # a vendor waiting for a bot
    with running(home) as info:
        yield home, info


def api(info: DaemonInfo) -> httpx.Client:
    return httpx.Client(base_url=info.url, headers={"Authorization": f"Bearer {info.token}"})


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["content-type"] == "application/json", response.text
    e = response.json()["error"]
    return response.status_code, e["code"], e["message"]


def raw(info: DaemonInfo, data: bytes, *, wait: float = 10.0) -> tuple[int, dict[str, str], Any]:
    """Send ``data`` over a plain socket; the status, headers and JSON body."""
    url = httpx.URL(info.url)
    with socket.create_connection((url.host, url.port), timeout=wait) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "Pixel \ud800"}, "title"),
        ({"description": "x\udfff"}, "description"),
        ({"attributes": {"colour": "\ud800"}}, "attributes.colour"),
        ({"terms": {**DRAFT["terms"], "region": "\ud800"}}, "terms.region"),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_the_field(
    node: tuple[Path, DaemonInfo], change: dict[str, Any], field: str
) -> None:
    body = json.dumps({**DRAFT, **change})  # ensure_ascii: \ud800 as an escape
    response = api(node[1]).post("/v1/intents", content=body)
    status, code, message = error_of(response)
    assert (status, code) == (400, "invalid")
    assert message.startswith(f"{field}: not well-formed Unicode")


def test_a_bot_named_with_a_lone_surrogate_is_refused_and_status_stays_json(
    node: tuple[Path, DaemonInfo],
) -> None:
    client = api(node[1])
    body = json.dumps({"name": "Shop \ud800", "categories": ["services"]})
    status, code, message = error_of(client.post("/v1/vendor/attach", content=body))
    assert (status, code) == (400, "invalid") and message.startswith("name:")
    status_answer = client.get("/v1/status")
    assert status_answer.status_code == 200
    assert status_answer.json()["vendor"]["bot"]["attached"] is False


def test_405_says_what_is_allowed_and_404_replaces_the_slash_redirect(
    node: tuple[Path, DaemonInfo],
) -> None:
    client = api(node[1])
    response = client.delete("/v1/status")
    assert error_of(response)[:2] == (405, "method-not-allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET"}
    response = client.get("/v1/status/", follow_redirects=False)
    status, code, message = error_of(response)
    assert (status, code) == (404, "not-found") and "without the slash: /v1/status" in message


def test_non_json_bodies_are_415_and_huge_ones_413(node: tuple[Path, DaemonInfo]) -> None:
    client = api(node[1])
    response = client.post(
        "/v1/intents", content=json.dumps(DRAFT), headers={"Content-Type": "text/plain"}
    )
    assert error_of(response)[:2] == (415, "unsupported-media-type")
    response = client.post("/v1/intents", json={**DRAFT, "description": "x" * (MAX_BODY + 1)})
    assert error_of(response)[:2] == (413, "too-large")


def test_parser_errors_and_huge_headers_answer_json(node: tuple[Path, DaemonInfo]) -> None:
    info = node[1]
    status, headers, body = raw(info, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json"
    assert body["error"]["code"] == "bad-request"
    big = b"GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    status, headers, body = raw(info, big)
    assert status == 431 and body["error"]["code"] == "headers-too-large"


def read_answer(s: socket.socket) -> tuple[int, dict[str, str], Any]:
    """Read one answer off a kept-open socket: status, headers, JSON body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, "the connection closed before an answer"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    while len(body) < int(headers["content-length"]):
        body += s.recv(65536)
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_a_refusal_before_the_body_came_says_the_connection_closes(
    node: tuple[Path, DaemonInfo],
) -> None:
    """A request refused before its body arrived is answered with
    ``Connection: close``: the server closes that connection (the unread
    body would be taken for the next request), and a client not told so
    sends its next request into the closing socket and reads "server
    disconnected". A refusal of a request without a body keeps the
    connection for the next request."""
    url = httpx.URL(node[1].url)
    body = json.dumps(DRAFT).encode()
    with socket.create_connection((url.host, url.port), timeout=10) as s:
        s.sendall(b"GET /v1/intents HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, _ = read_answer(s)
        assert status == 401 and "connection" not in headers
        # The same connection, no token again; the body is never sent.
        s.sendall(
            b"POST /v1/intents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        status, headers, answer = read_answer(s)
        assert (status, answer["error"]["code"]) == (401, "unauthorized")
        assert headers["connection"] == "close"
        assert s.recv(1) == b""  # closed, as the answer said


def test_a_stalled_body_is_cut_off_with_408_and_logged_without_a_traceback(
    node: tuple[Path, DaemonInfo], caplog: pytest.LogCaptureFixture
) -> None:
    info = node[1]
    request = (
        f"POST /v1/intents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {info.token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{"
    ).encode()
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    status, _, body = raw(info, request, wait=BODY_SECONDS + 20)
    assert status == 408 and body["error"]["code"] == "timeout"
    assert time.monotonic() - started < BODY_SECONDS + 15
    # A client that leaves mid-body: one line, no traceback.
    url = httpx.URL(info.url)
    with socket.create_connection((url.host, url.port)) as s:
        s.sendall(request)
    time.sleep(0.5)
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("intentcast")]
    assert ok_json("status", "--home", node[0])["roles"]  # the node still answers


def test_the_description_needs_no_token_and_is_complete(node: tuple[Path, DaemonInfo]) -> None:
    info = node[1]
    doc = httpx.get(info.url + "/openapi.json").json()
    assert doc["servers"][0]["url"] == info.url
    schemas = doc["components"]["schemas"]
    assert set(schemas["IntentDraft"]["required"]) == {"category", "title", "terms"}
    assert schemas["IntentDraft"]["additionalProperties"] is False
    assert "pattern" in schemas["IntentDraft"]["properties"]["title"]
    assert schemas["Terms"]["properties"]["min_stars"]["maximum"] == 5
    assert "EUR" in schemas["Terms"]["properties"]["currency"]["enum"]
    assert schemas["Terms"]["properties"]["max_price"]["examples"]
    # Every reference names a schema the document holds.
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs and refs <= set(schemas), sorted(refs - set(schemas))
    for e in ENDPOINTS:
        op = doc["paths"][e.path][e.method.lower()]
        ok = op["responses"][str(e.status)]["content"]
        schema = next(iter(ok.values()))["schema"]
        assert schema != {"type": "object"} or e.path == "/openapi.json", e.path
        if e.body is not None:
            assert op["requestBody"]["required"] is True
    # The root is the web app's (docs/daemon.md); the reference is at /docs.
    root = httpx.get(info.url + "/")
    assert root.status_code == 303 and root.headers["location"] == "/app/"
    for path in ("/docs",):
        page = httpx.get(info.url + path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "/v1/intents/{key}/amend" in page.text and "IntentDraft" in page.text
        assert "http://" not in page.text.replace(info.url, "")
        assert "https://" not in page.text and "<script" not in page.text


def test_a_list_limit_out_of_range_is_one_named_error(node: tuple[Path, DaemonInfo]) -> None:
    with api(node[1]) as client:
        for path, most in (("/v1/intents", MAX_LIST), ("/v1/vendor/offers", MAX_VENDOR_OFFERS)):
            assert client.get(path, params={"limit": 1}).status_code == 200
            assert client.get(path, params={"limit": most}).status_code == 200
            for bad in ("0", str(most + 1), "-1", "1.5", "ten", "", "1" * 5000):
                status, code, message = error_of(client.get(path, params={"limit": bad}))
                assert (status, code) == (400, "invalid"), (path, bad)
                assert message == f"limit must be a whole number from 1 to {most}"
