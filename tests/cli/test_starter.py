"""`python starter.py` against the dev server and the real worker process."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from client.connection import start_case
from dunning.contract.case import DunningCase
from dunning.errors import InputError
from dunning.rules.policy import DunningPolicy, EmailStep
from harness.temporal import wait_for
from tests.stack import Stack
from workflows.dunning import DunningWorkflow
from workflows.runner import workflow_runner

ROOT = Path(__file__).parent.parent.parent
CASE = {
    "invoice_id": "in_e2e_cli",
    "customer_id": "cus_small",
    "amount_due": 1500,
    "currency": "usd",
    "collection_method": "charge_automatically",
    "payment_method_type": "card",
    "failure": {"code": "card_declined", "decline_code": "insufficient_funds"},
    "failed_at": "2026-11-01T10:00:00Z",
    "subscription_id": "sub_cli",
}


def starter(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "starter.py", *args],
        cwd=ROOT,
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )


def started_twice(stack: Stack, *args: str) -> str:
    """Run the same `start` twice; both succeed, and the output is that of the second."""
    first, again = starter(stack, "start", *args), starter(stack, "start", *args)
    assert first.returncode == 0 and again.returncode == 0, first.stderr or again.stderr
    assert first.stdout == again.stdout, "a second start starts nothing new"
    return again.stdout


async def test_nothing_is_started_for_bad_input(
    stack: Stack, tmp_path: Path, dev_env: WorkflowEnvironment
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**CASE, "invoice_id": "in_cli_bad", "currency": "US Dollars"}))
    result = starter(stack, "start", "--case", str(bad))
    assert result.returncode == 2
    assert "currency" in result.stderr
    with pytest.raises(RPCError):
        await dev_env.client.get_workflow_handle("dunning-in_cli_bad").describe()


async def test_start_signal_update_and_status(
    stack: Stack, tmp_path: Path, dev_env: WorkflowEnvironment
) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    started_twice(stack, "--case", str(path), "--day-seconds", "30")
    handle = dev_env.client.get_workflow_handle_for(DunningWorkflow.run, "dunning-in_e2e_cli")
    await wait_for(handle, lambda s: s.stage == "retrying", "classification")

    bad_signal = starter(
        stack,
        "signal",
        "in_e2e_cli",
        "operator_decision",
        "--json",
        '{"action": "extend", "actor": "op"}',
    )
    assert bad_signal.returncode == 2 and "days" in bad_signal.stderr

    pause = '{"action": "pause", "actor": "op"}'
    signal = starter(stack, "signal", "in_e2e_cli", "operator_decision", "--json", pause)
    assert signal.returncode == 0, signal.stderr
    await wait_for(handle, lambda s: s.stage == "paused", "the pause")

    rejected = starter(stack, "update", "in_e2e_cli", "decide", "--json", pause)
    assert rejected.returncode == 2 and "already paused" in rejected.stderr

    resumed = starter(
        stack,
        "update",
        "dunning-in_e2e_cli",
        "decide",
        "--json",
        '{"action": "resume", "actor": "op"}',
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Stage:    retrying" in resumed.stdout

    status = starter(stack, "status", "in_e2e_cli")
    assert status.returncode == 0
    assert "Failure:  soft_decline (insufficient_funds)" in status.stdout
    assert "operator_decision" in status.stdout and "pause by op" in status.stdout
    raw = json.loads(starter(stack, "status", "in_e2e_cli", "--json").stdout)
    assert raw["invoice_id"] == "in_e2e_cli"
    await handle.terminate("test over")


def test_world_start_is_idempotent(stack: Stack, tmp_path: Path, e2e_world: Path) -> None:
    world = json.loads(e2e_world.read_text())
    world["invoices"] = [
        {**invoice, "id": invoice["id"].replace("in_e2e", "in_cliw")}
        for invoice in world["invoices"][:2]
    ]
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    assert (
        started_twice(stack, "--world", str(path), "--day-seconds", "60").count("dunning-in_cliw")
        == 2
    )


def test_a_bad_world_names_the_entry(stack: Stack, tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    world.write_text(
        json.dumps({"customers": [], "invoices": [{"id": "in_x", "customer": "cus_x"}]})
    )
    result = starter(stack, "start", "--world", str(world))
    assert result.returncode == 2
    assert "invoices.0" in result.stderr


async def test_start_from_a_stripe_invoice_then_list_report_and_export(
    stack: Stack, tmp_path: Path, dev_env: WorkflowEnvironment
) -> None:
    started = starter(stack, "start", "--invoice", "in_cli_invoice")
    assert started.returncode == 0, started.stderr
    handle = dev_env.client.get_workflow_handle_for(DunningWorkflow.run, "dunning-in_cli_invoice")
    await wait_for(handle, lambda s: s.failure_category is not None, "classification")
    missing = starter(stack, "start", "--invoice", "in_nowhere")
    assert missing.returncode == 2 and "in_nowhere" in missing.stderr

    query = "WorkflowId = 'dunning-in_cli_invoice' AND FailureCategory = 'soft_decline'"
    for _ in range(100):
        if [w async for w in dev_env.client.list_workflows(query)]:
            break
    listed = starter(
        stack, "list", "--category", "soft_decline", "--customer", "cus_small", "--open"
    )
    assert listed.returncode == 0, listed.stderr
    assert "dunning-in_cli_invoice" in listed.stdout and "29.00 USD" in listed.stdout
    nothing = starter(stack, "list", "--tier", "enterprise", "--customer", "cus_small")
    assert "0 case(s)" in nothing.stdout
    injected = starter(stack, "list", "--stage", "x' OR 'a'='a")
    assert injected.returncode == 2 and "--stage" in injected.stderr

    report = starter(stack, "report")
    assert report.returncode == 0, report.stderr
    assert "Recovery report" in report.stdout and "aging of open cases" in report.stdout
    assert "reading cases:" in report.stderr, "a long operation shows progress"

    out = tmp_path / "exported.json"
    exported = starter(stack, "export", "in_cli_invoice", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    history = WorkflowHistory.from_json("dunning-in_cli_invoice", out.read_text())
    replayer = Replayer(
        workflows=[DunningWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(history)
    await handle.terminate("test over")


def test_oversized_payloads_are_refused_before_temporal(stack: Stack) -> None:
    huge = json.dumps({"action": "pause", "actor": "op", "note": "x" * 70_000})
    result = starter(stack, "signal", "in_e2e_cli", "operator_decision", "--json", huge)
    assert result.returncode == 2 and "at most 65536" in result.stderr


async def test_an_oversized_case_is_refused_by_start_case(dev_env: WorkflowEnvironment) -> None:
    steps = tuple(EmailStep(template="reminder", day=d / 10) for d in range(3000))
    bloated = DunningPolicy(email_cadence={"soft_decline": steps})
    case = DunningCase.model_validate({**CASE, "invoice_id": "in_cli_huge"})
    with pytest.raises(InputError, match="at most"):
        await start_case(dev_env.client, case, "nowhere", bloated)
    with pytest.raises(RPCError):
        await dev_env.client.get_workflow_handle("dunning-in_cli_huge").describe()


async def test_export_cases_feeds_the_learner(
    stack: Stack, tmp_path: Path, dev_env: WorkflowEnvironment
) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**CASE, "invoice_id": "in_cli_export", "subscription_id": None}))
    assert starter(stack, "start", "--case", str(case), "--day-seconds", "1").returncode == 0
    handle = dev_env.client.get_workflow_handle_for(DunningWorkflow.run, "dunning-in_cli_export")
    assert (await handle.result()).resolution == "retry"
    out, table = tmp_path / "cases.jsonl", tmp_path / "cases.csv"
    exported = starter(
        stack, "export-cases", "--since", "2026-01-01", "--out", str(out), "--csv", str(table)
    )
    assert exported.returncode == 0, exported.stderr
    with table.open() as file:
        rows = {row["invoice_id"]: row for row in csv.DictReader(file)}
    assert (rows["in_cli_export"]["outcome"], rows["in_cli_export"]["resolution"]) == (
        "recovered",
        "retry",
    )
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    mine = next(line for line in lines if line["invoice_id"] == "in_cli_export")
    assert mine["failed_at"].startswith("2026-11-01T10:00") and mine["day_seconds"] == 1
    assert [a["outcome"] for a in mine["attempts"]] == ["succeeded"]
    assert all(line["outcome"] is not None for line in lines), "closed cases only"
    learned = starter(stack, "learn", "--cases", str(out), "--out", str(tmp_path / "p.json"))
    assert learned.returncode == 0 and "too little data" in learned.stdout
    page = tmp_path / "report.html"
    reported = starter(stack, "report", "--since", "2026-01-01", "--html", str(page))
    assert reported.returncode == 0, reported.stderr
    assert "from the ledger, cases opened 2026-01-01" in reported.stdout
    assert "DSO" in reported.stdout and page.read_text().count("<svg class=chart") == 4
