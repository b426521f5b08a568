"""Chaos: workers SIGKILLed again and again, the dev server killed and restarted on its
file, and providers failing (500s, 429s with Retry-After, 503s, a charge taken but answered
late, a lagging search) while a world of 21 cases runs on a one-second policy day.

Every case must end as the calm backtest of the same world ends it, with one charge per
idempotency key, the emails SendGrid accepted equal to the case's, every recovery paid in
Stripe, and the customer protections kept. The seed is printed and can be set with
`DUNNING_CHAOS_SEED`; one worker and two workers on one task queue run the same test.
"""

import asyncio
import itertools
import json
import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest

from devstack.lab import drive
from devstack.processes import free_port
from devstack.temporal_server import DevServer, connect, ensure_dev_server
from devstack.workers import Workers
from dunning.contract.enums import EmailTemplate, Outcome
from dunning.contract.status import DunningStatus
from dunning.rules.clock import JITTER
from dunning.rules.policy import DunningPolicy
from lab.backtest import backtest
from ledger.store import Ledger
from tests.reliability.chaos import DAY_SECONDS, chaos_world, post, schedule, written

SEED = int(os.environ.get("DUNNING_CHAOS_SEED", "11"))
WORKER_ENV = {
    "DUNNING_HTTP_TIMEOUT_SECONDS": "2",
    "DUNNING_SEARCH_SETTLE_SECONDS": "1.5",
}
"""A charge answered after 3 s is a timeout; search settles within the sandbox's lag."""
SEARCH_LAG_SECONDS = 1.0
CHARGES = ("charge_failed", "charge_succeeded")


@pytest.mark.parametrize("workers", [1, 2])
async def test_under_chaos_every_case_ends_as_a_calm_run_does(tmp_path: Path, workers: int) -> None:
    world = chaos_world()
    calm = {r.invoice_id: r for r in backtest(world, DunningPolicy()).per_invoice}
    port, ui_port = free_port(), free_port()
    servers: list[DevServer] = [await ensure_dev_server(port, ui_port, state_dir=tmp_path)]
    happened: list[str] = []

    async def restart_server() -> None:
        process = servers[-1].process
        assert process is not None
        os.killpg(process.pid, signal.SIGKILL)
        process.popen.wait()
        await asyncio.sleep(1)
        servers.append(await ensure_dev_server(port, ui_port, state_dir=tmp_path))

    havoc = schedule(SEED, restart_server, happened.append)

    async def chaos(pool: Workers, sandbox_url: str) -> None:
        lag = {"search_lag_seconds": SEARCH_LAG_SECONDS}
        await asyncio.to_thread(post, f"{sandbox_url}/_sandbox/settings", lag)
        await havoc(pool, sandbox_url)

    print(f"chaos seed {SEED}, {workers} worker(s)")
    try:
        client = await connect(servers[0].address)
        report, statuses = await drive(
            client,
            servers[0].address,
            world,
            written(tmp_path / "world.json", world),
            tmp_path / "out",
            policy=None,
            day_seconds=DAY_SECONDS,
            timeout_seconds=420,
            workers=workers,
            chaos=chaos,
            worker_env=WORKER_ENV,
        )
    finally:
        for server in servers:
            if server.process is not None:
                server.process.stop()
    print("\n".join(happened))
    assert "dev server restarted on its file" in happened, "the chaos ran its course"

    sandbox = json.loads((tmp_path / "out" / "sandbox_state.json").read_text())
    calls = json.loads((tmp_path / "out" / "sandbox_calls.json").read_text())
    by_invoice = {s.invoice_id: s for s in statuses}
    assert set(by_invoice) == set(calm), "no case lost"
    for result in report.per_invoice:
        expected = calm[result.invoice_id]
        status = by_invoice[result.invoice_id]
        held = sandbox["invoices"][result.invoice_id]
        name = result.invoice_id
        assert (result.outcome, result.resolution, result.end_action) == (
            expected.outcome,
            expected.resolution,
            expected.end_action,
        ), f"{name}: {status.timeline[-4:]}"
        keys = {
            c["idempotency_key"]
            for c in calls
            if c["path"] == f"/v1/invoices/{name}/pay"
            and not (c["body"] or {}).get("paid_out_of_band")
        }
        assert len(keys) == len(status.attempts), f"{name}: one key per attempt"
        assert held["emails"] == len(status.emails), f"{name}: SendGrid has the case's emails"
        assert held["auto_advance"] is False, f"{name}: Stripe's own collection is off"
        if result.outcome is Outcome.RECOVERED:
            assert held["status"] == "paid", f"{name}: recovered and paid in Stripe"
        assert_protections(status)
    # The ledger survived the killed workers and the server's restart: one row per case,
    # closed as the case closed.
    ledger = Ledger.at(f"sqlite:///{tmp_path / 'out' / 'ledger.db'}").entries(kind="dunning")
    assert sorted(e.invoice_id or "" for e in ledger) == sorted(calm), "one row per case"
    for entry in ledger:
        outcome = by_invoice[entry.invoice_id or ""].outcome
        assert outcome is not None
        assert (entry.outcome, entry.amount_recovered) == (
            outcome.outcome,
            outcome.amount_recovered,
        ), entry.invoice_id


def assert_protections(status: DunningStatus) -> None:
    """The customer protections, on one closed case."""
    day = timedelta(seconds=DAY_SECONDS)
    policy = DunningPolicy()
    gap = day * policy.min_hours_between_emails / 24
    for earlier, later in itertools.pairwise(status.emails):
        assert later.at - earlier.at >= gap, f"{status.invoice_id}: emails too close"
    outcome = status.outcome
    assert outcome is not None
    notices = [e.at for e in status.emails if e.template is EmailTemplate.FINAL_NOTICE]
    if outcome.outcome is Outcome.END_STATE_APPLIED and notices and status.customer_tier:
        rule = policy.end_states[status.customer_tier]
        period = day * (rule.end_day - rule.final_notice_day)
        assert outcome.closed_at >= notices[-1] + period - JITTER, status.invoice_id
    events = [e.event for e in status.timeline]
    for index, event in enumerate(events):
        if event == "payment_method_updated":
            acts = [e for e in events[index + 1 :] if e in ("email_sent", *CHARGES)]
            assert not acts or acts[0] != "email_sent", f"{status.invoice_id}: email first"
