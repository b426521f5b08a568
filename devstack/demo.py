"""`make demo`: a lab run of the demo world, with the Temporal Web UI.

Starts (or reuses) the Temporal dev server with its Web UI, then runs the world as the lab
does: the behavioural sandbox on a world clock announces each failure by a signed
webhook, the webhook service opens the case, the worker runs it, and the world answers.
Shows a live table, and ends with the recovery report. Ctrl-C stops every process it
started. `--keep` leaves the dev server and UI running.
"""

import argparse
import asyncio
import secrets
import signal
import sys
from pathlib import Path

from client.connection import exit_process
from devstack.lab import drive
from devstack.processes import ManagedProcess, start_codec_server
from devstack.progress import live_table, renewals_text, report_text
from devstack.temporal_server import STATE_DIR, connect, ensure_dev_server
from dunning.settings import Settings
from dunning.views.kpis import recovery_report
from worlds.model import WorldError, load_world

CODEC_PORT = 8789


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The demo's options."""
    parser = argparse.ArgumentParser(prog="python -m devstack.demo", description=__doc__)
    parser.add_argument("--world", type=Path, default=Path("examples/world.json"))
    parser.add_argument("--day-seconds", type=int, default=2, help="seconds per policy day")
    parser.add_argument("--port", type=int, default=7233, help="Temporal frontend port")
    parser.add_argument("--ui-port", type=int, default=8233, help="Temporal Web UI port")
    parser.add_argument("--task-queue", default="dunning")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this long")
    parser.add_argument("--keep", action="store_true", help="leave the dev server running")
    return parser.parse_args(argv)


async def demo(args: argparse.Namespace) -> int:
    """Run the demo; every process it starts is stopped when it ends, however it ends."""
    world = load_world(args.world)
    main_task = asyncio.current_task()
    assert main_task is not None
    # SIGTERM (a CI timeout, `kill`) ends the demo like Ctrl-C: through the cleanup below.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    started: list[ManagedProcess] = []
    server = None
    try:
        codec_endpoint = None
        settings = Settings.from_env()
        if settings.encryption_keys.get_secret_value():
            token = settings.codec_token.get_secret_value() or secrets.token_urlsafe(18)
            started.append(start_codec_server(CODEC_PORT, token, STATE_DIR / "codec.log"))
            codec_endpoint = f"http://localhost:{CODEC_PORT}/t/{token}"
            print(f"Payloads are encrypted; the Web UI decodes them through {codec_endpoint}")
        print("Starting the Temporal dev server with its Web UI …", flush=True)
        server = await ensure_dev_server(args.port, args.ui_port, codec_endpoint=codec_endpoint)
        if server.process is not None:
            started.append(server.process)
        else:
            print(f"  reusing the server already on {server.address}")
        print(f"Temporal Web UI: {server.ui_url}/namespaces/{server.namespace}/workflows")
        print("Open any case in the Temporal Web UI:")
        for invoice in world.invoices:
            print(f"  {server.case_url(f'dunning-{invoice.id}')}")
        if world.subscriptions:
            print("Renewals are watched before they are charged (CaseKind = 'predunning'):")
            watches = f"{server.ui_url}/namespaces/{server.namespace}/workflows"
            print(f"  {watches}?query=CaseKind%3D%27predunning%27")
        client = await connect(server.address, server.namespace)
        report, statuses = await drive(
            client,
            server.address,
            world,
            args.world,
            STATE_DIR / "demo",
            policy=None,
            day_seconds=args.day_seconds,
            timeout_seconds=args.timeout,
            show=live_table(args.day_seconds),
        )
        print()
        print(report_text(recovery_report(statuses)))
        if report.renewals is not None:
            print(renewals_text(report, {s.currency for s in world.subscriptions}))
        print(f"\nThe run's report, cases and provider records: {STATE_DIR / 'demo'}")
        print(f"The report to look at, with its charts: {STATE_DIR / 'demo' / 'report.html'}")
        return 0
    finally:
        keep = server.process if (args.keep and server is not None) else None
        for process in reversed(started):
            if process is not keep:
                process.stop()
        if keep is not None and server is not None:
            print(f"\nThe dev server keeps running (pid {keep.pid}): {server.ui_url}")
            print(f"Stop it with: kill {keep.pid}")


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = arguments(argv)
    try:
        return asyncio.run(demo(args))
    except WorldError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\nstopped: every process the demo started has been stopped", file=sys.stderr)
        return 130
    except (TimeoutError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    exit_process(main())
