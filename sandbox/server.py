"""The sandbox's HTTP server: one base URL answers Stripe, HubSpot and SendGrid.

It records every provider call (`GET /_sandbox/calls`), honours Stripe idempotency keys
as Stripe does, and can be told to fail (`POST /_sandbox/faults`) to test retries.
"""

import json
import socket
import struct
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox import hubspot_api, sendgrid_api, stripe_api, stripe_money, stripe_objects
from sandbox.announce import Announcer
from sandbox.behaviour import Behaviours
from sandbox.forms import decode_form
from sandbox.state import Fault, SandboxState
from worlds.clock import WorldClock
from worlds.fees import network_fees
from worlds.model import World

Reply = tuple[int, Any, dict[str, str]]
REJECTED_TOKEN = "invalid"
"""A credential the sandbox refuses with 401, to exercise authentication errors."""


def provider_of(path: str) -> str | None:
    """Which provider a path belongs to."""
    if path.startswith("/v1/"):
        return "stripe"
    if path.startswith(("/crm/", "/crm/v3/")):
        return "hubspot"
    if path.startswith(("/v3/mail", "/v3/messages")):
        return "sendgrid"
    return None


class SandboxServer(ThreadingHTTPServer):
    """The HTTP server, holding the sandbox state."""

    daemon_threads = True

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        day_seconds: float | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = "",
    ) -> None:
        super().__init__((host, port), _Handler)
        self.state = SandboxState(world)
        self.state.webhook_url = webhook_url
        self.state.announce = self._announce
        self.day_seconds = day_seconds
        self.announcer = Announcer(webhook_url, webhook_secret)
        self.behaviours: Behaviours | None = None
        self.start_world()

    def _announce(
        self,
        kind: str,
        obj: dict[str, Any],
        created: datetime,
        previous: dict[str, Any] | None = None,
    ) -> None:
        """Announce an event, at the world's calendar time when the world runs on a clock."""
        clock = self.state.clock
        self.announcer(kind, obj, clock.calendar() if clock else created, previous)

    def start_world(self) -> None:
        """(Re)start the world clock and its behaviours, for a world on a clock."""
        if self.behaviours is not None:
            self.behaviours.stop()
            self.behaviours = None
        if self.day_seconds is None:
            return
        start = self.state.world.calendar_start or datetime.now(UTC)
        self.state.clock = WorldClock(self.day_seconds, start)
        self.behaviours = Behaviours(self.state, self.state.clock, self.announcer)
        self.state.mail_listeners = [self.behaviours.mail_accepted]
        self.state.debit_listeners = [self.behaviours.debit_made]
        self.behaviours.start()

    @property
    def base_url(self) -> str:
        """The URL that serves all three APIs."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_background(self) -> threading.Thread:
        """Serve on a daemon thread (tests); `shutdown()` stops it."""
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox", daemon=True
        )
        thread.start()
        return thread


class _Reset(Exception):
    """The request was processed; the connection is to be reset without an answer."""


_LINGER_NONE = struct.pack("ii", 1, 0)
"""SO_LINGER on with a zero timeout: closing sends a reset."""


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """The headers and the body go out in two writes: with Nagle's algorithm on, the body
    waits for the client's delayed ACK, 40 ms on every call of a kept-alive connection."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the call log is the record."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        try:
            status, body, headers = self._dispatch(method, url.path, url.query, raw)
        except _Reset:
            # Processed, then the connection is reset with no answer (RST, not FIN).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_NONE)
            self.close_connection = True
            self.connection.close()
            return
        except Exception as err:  # the sandbox must answer, even to what it cannot parse
            status, body, headers = 400, {"error": {"message": f"bad request: {err}"}}, {}
        payload = b"" if status == 202 and not body else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout under test): nothing to answer

    def _dispatch(self, method: str, path: str, query: str, raw: str) -> Reply:
        state = self.server.state
        if path.startswith("/_sandbox/"):
            return _control(self.server, method, path, query, raw)
        provider = provider_of(path)
        if provider is None:
            return 404, {"error": {"message": f"no provider serves {path}"}}, {}
        body = _parse(provider, method, raw, query)
        key = self.headers.get("Idempotency-Key")
        state.record(provider, method, path, key, body)
        if not _authorized(self.headers.get("Authorization")):
            return _unauthorized(provider)
        fault = state.take_fault(provider, path)
        if fault is not None:
            time.sleep(fault.delay_seconds)
            if fault.status:
                return fault.status, {"error": {"message": "injected fault"}}, fault.headers
        if provider == "stripe":
            reply = _stripe_idempotent(state, method, path, body, key)
        elif provider == "hubspot":
            reply = hubspot_api.handle(state, method, path, body)
        else:
            reply = sendgrid_api.handle(state, method, path, body)
        if fault is not None:
            time.sleep(fault.respond_after_seconds)
            if fault.reset:
                raise _Reset
        return reply


def _parse(provider: str, method: str, raw: str, query: str) -> Any:
    if provider == "stripe":
        return decode_form(raw or query)
    if method == "GET":
        return dict(parse_qsl(query)) or None
    return json.loads(raw) if raw else None


def _authorized(header: str | None) -> bool:
    scheme, _, token = (header or "").partition(" ")
    return scheme.lower() in {"bearer", "basic"} and token.strip() not in {"", REJECTED_TOKEN}


def _unauthorized(provider: str) -> Reply:
    if provider == "stripe":
        return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}, {}
    if provider == "hubspot":
        return 401, {"status": "error", "message": "Authentication credentials not found"}, {}
    return 401, {"errors": [{"message": "The provided authorization grant is invalid"}]}, {}


def _stripe_idempotent(
    state: SandboxState, method: str, path: str, params: dict[str, Any], key: str | None
) -> Reply:
    """Stripe's idempotency: the same key replays the first answer; other params are refused."""
    if method != "POST" or not key:
        return stripe_api.handle(state, method, path, params)
    fingerprint = json.dumps([method, path, params], sort_keys=True)
    with state.lock:
        stored = state.idempotency.get(key)
        if stored is not None and time.monotonic() - stored[3] > state.key_life_seconds:
            stored = None  # Stripe forgot the key: the request is new
        if stored is not None:
            first_fingerprint, status, body, _ = stored
            if first_fingerprint != fingerprint:
                message = (
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with."
                )
                return 400, {"error": {"type": "idempotency_error", "message": message}}, {}
            return status, body, {"Idempotent-Replayed": "true"}
        status, body, headers = stripe_api.handle(state, method, path, params)
        if status < 500:
            state.idempotency[key] = (fingerprint, status, body, time.monotonic())
        return status, body, headers


def _control(server: SandboxServer, method: str, path: str, query: str, raw: str) -> Reply:
    """The sandbox's own endpoints, for tests, the demo and the lab."""
    state, behaviours = server.state, server.behaviours
    if (method, path) == ("POST", "/_sandbox/reset"):
        with state.lock:
            state.load()
        server.start_world()
        return 200, {"reset": True}, {}
    if (method, path) == ("POST", "/_sandbox/person_actions/take"):
        return 200, behaviours.take_person_actions() if behaviours else [], {}
    if (method, path) == ("GET", "/_sandbox/world"):
        return 200, _world(server, brief="brief=1" in query.split("&")), {}
    with state.lock:
        if (method, path) == ("GET", "/_sandbox/calls"):
            return 200, list(state.calls), {}
        if (method, path) == ("POST", "/_sandbox/faults"):
            state.faults.append(Fault(**json.loads(raw or "{}")))
            return 200, {"faults": len(state.faults)}, {}
        if (method, path) == ("POST", "/_sandbox/settings"):
            return _settings(state, json.loads(raw or "{}"))
        if (method, path) == ("GET", "/_sandbox/state"):
            return 200, _snapshot(state), {}
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 4 and parts[3] == "partial_payment":
            return _partial_payment(state, parts[2], json.loads(raw or "{}"))
        if method == "POST" and len(parts) == 4 and parts[3] == "dispute":
            return _dispute(state, parts[2], json.loads(raw or "{}"))
        if method == "POST" and len(parts) == 4 and parts[3] == "update_payment_method":
            record = state.invoices.get(parts[2])
            if record is None:
                return 404, {"error": {"message": f"no invoice {parts[2]}"}}, {}
            record.payment_method_updated = True
            return 200, {"invoice": parts[2], "payment_method_updated": True}, {}
    return 404, {"error": {"message": f"no sandbox endpoint {method} {path}"}}, {}


def _partial_payment(state: SandboxState, invoice_id: str, body: dict[str, Any]) -> Reply:
    """`POST /_sandbox/invoices/{id}/partial_payment {"amount"}`: the customer pays part."""
    record = state.invoices.get(invoice_id)
    if record is None:
        return 404, {"error": {"message": f"no invoice {invoice_id}"}}, {}
    amount = body.get("amount")
    refused = stripe_money.pay_in_part(state, record, amount if isinstance(amount, int) else 0)
    if refused is not None:
        return 400, {"error": {"message": refused}}, {}
    return 200, stripe_objects.invoice_json(state, record), {}


def _dispute(state: SandboxState, invoice_id: str, body: dict[str, Any]) -> Reply:
    """`POST /_sandbox/invoices/{id}/dispute {"reason"?}`: the customer disputes the charge
    that paid the invoice."""
    record = state.invoices.get(invoice_id)
    if record is None:
        return 404, {"error": {"message": f"no invoice {invoice_id}"}}, {}
    disputed = stripe_money.dispute(state, record, str(body.get("reason") or "fraudulent"))
    if disputed is None:
        return 400, {"error": {"message": f"no charge paid invoice {invoice_id}"}}, {}
    return 200, disputed, {}


SETTINGS = ("key_life_seconds", "search_lag_seconds")
"""How the sandbox's providers behave, settable while it runs."""


def _settings(state: SandboxState, settings: dict[str, Any]) -> Reply:
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        return 400, {"error": {"message": f"unknown settings {unknown}; known: {SETTINGS}"}}, {}
    for name, value in settings.items():
        if not isinstance(value, int | float) or value < 0:
            return 400, {"error": {"message": f"{name} must be a number of seconds >= 0"}}, {}
        setattr(state, name, float(value))
    return 200, {name: getattr(state, name) for name in SETTINGS}, {}


def _world(server: SandboxServer, brief: bool) -> dict[str, Any]:
    """Where the world clock stands, what it announced, and how much it will still do by
    itself (`pending`: 0 once nothing more happens unless the product acts). `brief` leaves
    out the lists that grow with the run (for a caller that polls)."""
    clock, behaviours, announcer = server.state.clock, server.behaviours, server.announcer
    world = {
        "day": clock.day() if clock else None,
        "calendar": clock.calendar().isoformat() if clock else None,
        "announced": behaviours.announced if behaviours else [],
        "pending": (behaviours.pending if behaviours else 0) + announcer.in_flight,
    }
    if brief:
        return world
    return world | {
        "renewals": dict(server.state.renewals),
        "watch_mail": dict(behaviours.watch_mail) if behaviours else {},
        "events": list(announcer.sent),
    }


def _snapshot(state: SandboxState) -> dict[str, Any]:
    keys: dict[str, set[str]] = {}
    for call in state.calls:
        parts = call["path"].split("/")
        paid_elsewhere = (call["body"] or {}).get("paid_out_of_band")
        if len(parts) == 5 and parts[4] == "pay" and call["idempotency_key"] and not paid_elsewhere:
            keys.setdefault(parts[3], set()).add(call["idempotency_key"])
    mails: dict[str, int] = {}
    for mail in state.mails:
        args = dict(mail.get("custom_args") or {})
        for personalization in mail.get("personalizations") or []:
            args.update(personalization.get("custom_args") or {})
        invoice_id = str(args.get("dedupe_key", "")).split("/")[0].removeprefix("dunning-")
        mails[invoice_id] = mails.get(invoice_id, 0) + 1
    return {
        "invoices": {
            invoice_id: stripe_objects.invoice_json(state, record)
            | {
                "sent": record.sent,
                "charges": len(keys.get(invoice_id, ())),
                "network_fees": sum(network_fees(c) for c in record.card_charges.values()),
                "paid_by": record.paid_by,
                "emails": mails.get(invoice_id, 0),
            }
            for invoice_id, record in state.invoices.items()
        },
        "customers": state.customers,
        "subscriptions": state.subscriptions,
        "companies": state.companies,
        "tasks": state.tasks,
        "mails": state.mails,
    }
