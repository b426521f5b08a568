"""The sandbox as the contract describes it, spoken to over HTTP."""

import http.client
import json
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.sandbox_world import WORLD
from sandbox.forms import decode_form
from sandbox.server import SandboxServer


def call(
    sandbox: SandboxServer,
    method: str,
    path: str,
    form: str = "",
    key: str | None = None,
    token: str = "sk_test_x",
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    data = form.encode() if method != "GET" else None
    request = urllib.request.Request(
        sandbox.base_url + path, data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            body = answer.read()
            return answer.status, json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_charges_follow_attempt_outcomes_and_the_last_repeats(sandbox: SandboxServer) -> None:
    first = call(sandbox, "POST", "/v1/invoices/in_solo/pay", key="k1")
    second = call(sandbox, "POST", "/v1/invoices/in_solo/pay", key="k2")
    assert first[0] == second[0] == 402
    error = first[1]["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "stolen_card",
    )
    assert error["advice_code"] == "do_not_try_again" and error["network_decline_code"] == "43"


def test_what_a_call_does_to_an_invoice_is_announced_as_stripe_announces_it(
    sandbox: SandboxServer,
) -> None:
    # Whoever asked for it: the product hears of its own changes too, sometimes first.
    call(sandbox, "POST", "/v1/invoices/in_solo/pay", key="declined")
    call(sandbox, "POST", "/v1/invoices/in_solo/mark_uncollectible", key="written-off")
    told = [(e["type"], e["object"]) for e in sandbox.announcer.sent]
    assert told[-2:] == [
        ("invoice.payment_failed", "in_solo"),
        ("invoice.marked_uncollectible", "in_solo"),
    ]


def test_same_key_replays_and_other_params_are_an_idempotency_error(sandbox: SandboxServer) -> None:
    first = call(sandbox, "POST", "/v1/invoices/in_acme/pay", key="same")
    replay = call(sandbox, "POST", "/v1/invoices/in_acme/pay", key="same")
    assert first == replay
    assert sandbox.state.invoices["in_acme"].charges == 1
    other = call(sandbox, "POST", "/v1/invoices/in_acme/pay", "payment_method=pm_x", key="same")
    assert other[0] == 400 and other[1]["error"]["type"] == "idempotency_error"


def test_calls_are_recorded_and_reset_reloads_the_world(sandbox: SandboxServer) -> None:
    call(sandbox, "POST", "/v1/invoices/in_acme/pay", "payment_method=pm_1", key="k")
    status, calls = call(sandbox, "GET", "/_sandbox/calls")
    assert status == 200
    assert calls[0]["provider"] == "stripe"
    assert {k: calls[0][k] for k in ("method", "path", "idempotency_key", "body")} == {
        "method": "POST",
        "path": "/v1/invoices/in_acme/pay",
        "idempotency_key": "k",
        "body": {"payment_method": "pm_1"},
    }
    assert "at" in calls[0]
    assert sandbox.state.invoices["in_acme"].status == "paid"
    call(sandbox, "POST", "/_sandbox/reset")
    assert sandbox.state.invoices["in_acme"].status == "open"
    assert call(sandbox, "GET", "/_sandbox/calls")[1] == []


def test_a_rejected_credential_is_401(sandbox: SandboxServer) -> None:
    status, body = call(sandbox, "GET", "/v1/invoices/in_acme", token="invalid")
    assert status == 401 and "Invalid API Key" in body["error"]["message"]


def test_stripe_forms_decode_to_nested_values() -> None:
    decoded = decode_form("custom_fields[0][name]=PO&custom_fields[0][value]=1&metadata[a]=b")
    assert decoded == {"custom_fields": [{"name": "PO", "value": "1"}], "metadata": {"a": "b"}}


def test_a_malformed_world_is_refused_at_start_naming_the_entry(tmp_path: Path) -> None:
    bad = {**WORLD, "invoices": [{**WORLD["invoices"][0], "attempt_outcomes": ["maybe"]}]}
    path = tmp_path / "world.json"
    path.write_text(json.dumps(bad))
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--world", str(path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "invoices.0 (in_acme).attempt_outcomes.0" in result.stderr


def test_a_kept_alive_connection_is_answered_without_nagle_s_delay(sandbox: SandboxServer) -> None:
    # The provider clients keep their connections alive. An answer written in two parts
    # (headers, body) with Nagle's algorithm on waits for the client's delayed ACK: at
    # least 40 ms on every call, which on a one-second policy day is a twentieth of a day
    # per provider call. The median of many calls stays far below that either way.
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {"Authorization": "Bearer sk_test_x"}
    took = []
    try:
        for _ in range(15):
            started = time.perf_counter()
            connection.request("GET", "/v1/invoices/in_acme", headers=headers)
            answer = connection.getresponse()
            assert answer.status == 200 and json.loads(answer.read())["id"] == "in_acme"
            took.append(time.perf_counter() - started)
    finally:
        connection.close()
    assert statistics.median(took) < 0.03, f"median {statistics.median(took) * 1000:.0f} ms"
