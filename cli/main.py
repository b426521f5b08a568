"""`python starter.py …`: start cases, signal and update them, read their status."""

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stripe
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.clients import stripe_client
from cli import doctor, finance, lab
from cli.arguments import positive_int
from cli.cases import InputError, load_case
from cli.listing import FILTERS, list_cases, list_query, render_rows
from cli.render import render_status
from cli.report import gather_disputes, gather_statuses, gather_watches, render_report
from cli.schedules import apply_schedules
from client.connection import connect, start_case
from dunning.contract.case import REAL_DAY_SECONDS, DunningCase, workflow_id_for
from dunning.contract.status import DunningStatus
from dunning.errors import parse
from dunning.settings import Settings
from webhooks.stripe_invoices import case_from_invoice, read_invoice
from workflows.names import SIGNAL_PAYLOADS, STATUS_QUERY, UPDATE_PAYLOADS, WORKFLOW_TYPE
from worlds.cases import cases_from_world
from worlds.model import load_world

HISTORIES = Path("tests/histories")
MAX_PAYLOAD_BYTES = 64 * 1024
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    top = argparse.ArgumentParser(prog="starter.py", description="Durable dunning cases.")
    commands = top.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="start cases")
    source = start.add_mutually_exclusive_group(required=True)
    source.add_argument("--case", type=Path, help="a DunningCase JSON file")
    source.add_argument("--world", type=Path, help="a sandbox world: one case per invoice")
    source.add_argument("--invoice", help="a Stripe invoice id: the case is read from Stripe")
    start.add_argument("--day-seconds", type=positive_int, help="length of a policy day in seconds")

    signal = commands.add_parser("signal", help="send a signal (fire and forget)")
    signal.add_argument("case", help="invoice id or workflow id")
    signal.add_argument("name", choices=sorted(SIGNAL_PAYLOADS))
    signal.add_argument("--json", default="{}", help="the payload as JSON")

    update = commands.add_parser("update", help="send an update and print the new status")
    update.add_argument("case", help="invoice id or workflow id")
    update.add_argument("name", choices=sorted(UPDATE_PAYLOADS))
    update.add_argument("--json", default="{}", help="the payload as JSON")

    status = commands.add_parser("status", help="print a case's status and timeline")
    status.add_argument("case", help="invoice id or workflow id")
    status.add_argument("--json", action="store_true", help="print the raw status as JSON")

    listing = commands.add_parser("list", help="list cases by their search attributes")
    for name in FILTERS:
        listing.add_argument(f"--{name}", help=f"only cases with this {name}")
    listing.add_argument("--open", action="store_true", help="only open cases")
    listing.add_argument("--limit", type=positive_int, default=100)

    report = commands.add_parser("report", help="the recovery KPIs, live and from the ledger")
    report.add_argument("--since", help="only cases started since this ISO date")
    report.add_argument("--until", help="only cases started before this ISO date")
    report.add_argument("--html", type=Path, help="also write the report, with charts, here")

    export_cases = commands.add_parser("export-cases", help="closed cases, from the ledger")
    export_cases.add_argument("--since", help="only cases closed since this ISO date")
    export_cases.add_argument("--until", help="only cases closed before this ISO date")
    export_cases.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    export_cases.add_argument("--csv", type=Path, help="also write the cases as CSV here")

    export = commands.add_parser("export", help="write a case's history as JSON for replay tests")
    export.add_argument("case", help="invoice id or workflow id")
    export.add_argument("--out", type=Path, help="default: tests/histories/<invoice>.json")
    commands.add_parser("doctor", help="check the deployment and say what is wrong")
    schedules = commands.add_parser("schedules", help="the product's Temporal Schedules")
    schedules.add_argument("action", choices=["apply"], help="create or update them")
    lab.add_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code says how it went."""
    args = parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RPCError as err:
        print(f"error: Temporal: {err.message}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as err:  # a file that cannot be read or written, named by the error
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED


async def _run(args: argparse.Namespace) -> int:
    if args.command in lab.LAB_COMMANDS:
        return await lab.run(args)
    if args.command == "doctor":
        return await doctor.run()
    if args.command == "start":
        cases = _cases_to_start(args)  # validated before anything is started
        return await _start(await connect(), cases, from_world=args.world is not None)
    if args.command == "export-cases":
        until = _moment(args.until, "--until")
        print(finance.export(args, _moment(args.since), until))
        return 0
    client = await connect()
    if args.command == "schedules":
        settings = Settings.from_env()
        policy, day_seconds = settings.policy(), settings.day_seconds
        print(await apply_schedules(client, settings.task_queue, policy, day_seconds))
        return 0
    if args.command == "list":
        query = list_query({name: getattr(args, name) for name in FILTERS}, args.open)
        print(render_rows(await list_cases(client, query, args.limit)))
        return 0
    if args.command == "report":
        query = f"WorkflowType = '{WORKFLOW_TYPE}'"
        started_since = _iso_date(args.since) if args.since else None
        if started_since:
            query += f" AND StartTime >= '{started_since}'"
        statuses, unread = await gather_statuses(client, query)
        disputes = await gather_disputes(client, started_since)
        watches = await gather_watches(client, started_since)
        print(render_report(statuses, disputes, watches))
        since, until = _moment(args.since), _moment(args.until, "--until")
        print(finance.finance_text(finance.ledger_kpis(since, until)))
        if args.html is not None:
            print(finance.write_html(args.html, since, until))
        for problem in unread:
            print(f"not read: {problem}", file=sys.stderr)
        return 0
    workflow_id = _workflow_id(args.case)
    if args.command == "export":
        return await _export(client, workflow_id, args.out)
    if args.command == "status":
        status = await client.get_workflow_handle(workflow_id).query(
            STATUS_QUERY, result_type=DunningStatus
        )
        print(status.model_dump_json(indent=2) if args.json else render_status(status))
        return 0
    payloads = SIGNAL_PAYLOADS if args.command == "signal" else UPDATE_PAYLOADS
    payload = _payload(payloads[args.name], args.json)
    handle = client.get_workflow_handle(workflow_id)
    if args.command == "signal":
        await handle.signal(args.name, payload)
        print(f"sent {args.name} to {workflow_id}")
        return 0
    try:
        status = await handle.execute_update(args.name, payload, result_type=DunningStatus)
    except WorkflowUpdateFailedError as err:
        print(f"error: {args.name} rejected: {err.cause}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(render_status(status))
    return 0


def _cases_to_start(args: argparse.Namespace) -> list[DunningCase]:
    if args.invoice is not None:
        settings = Settings.from_env()
        try:
            invoice = read_invoice(stripe_client(settings), args.invoice)
        except stripe.StripeError as err:
            raise InputError(f"--invoice {args.invoice}: {err.user_message or err}") from err
        return [case_from_invoice(invoice, datetime.now(UTC))]
    if args.case is not None:
        case = load_case(args.case)
        if args.day_seconds:
            options = case.options.model_copy(update={"day_seconds": args.day_seconds})
            case = case.model_copy(update={"options": options})
        return [case]
    world = load_world(args.world)
    return cases_from_world(world, datetime.now(UTC), args.day_seconds or REAL_DAY_SECONDS)


async def _start(client: Client, cases: list[DunningCase], *, from_world: bool) -> int:
    settings = Settings.from_env()
    policy = settings.policy()
    for case in cases:
        try:
            handle = await start_case(
                client, case, settings.task_queue, policy, restart_closed=not from_world
            )
        except WorkflowAlreadyStartedError:
            print(f"{case.workflow_id}: already handled, not started again")
            continue
        print(f"{case.workflow_id}: open (run {handle.result_run_id})")
    return 0


async def _export(client: Client, workflow_id: str, out: Path | None) -> int:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    path = out or HISTORIES / f"{workflow_id.removeprefix('dunning-')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
    print(f"{workflow_id}: {len(history.events)} events written to {path}")
    return 0


def _moment(raw: str | None, flag: str = "--since") -> datetime | None:
    return datetime.fromisoformat(_iso_date(raw, flag)) if raw else None


def _iso_date(raw: str, flag: str = "--since") -> str:
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC).isoformat()
    except ValueError as err:
        raise InputError(f"{flag}: {raw!r} is not an ISO date") from err


def _workflow_id(case: str) -> str:
    return case if case.startswith("dunning-") else workflow_id_for(case)


def _payload(model: type[Any], raw: str) -> Any:
    if len(raw.encode()) > MAX_PAYLOAD_BYTES:
        raise InputError(f"--json: {len(raw.encode())} bytes; at most {MAX_PAYLOAD_BYTES}")
    try:
        decoded = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputError(f"--json: {err}") from err
    return parse(model, decoded, "--json")
