"""`python -m sandbox --world FILE.json --port PORT [--day-seconds N --webhook-url URL
--webhook-secret SECRET]`: serve a world until interrupted; with a world clock, its
invoices fail on their days and its customers behave, announced by signed webhooks."""

import argparse
import sys
from pathlib import Path

from sandbox.server import SandboxServer
from worlds.model import WorldError, load_world


def main() -> int:
    """Load the world, print the base URL, serve."""
    args = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    args.add_argument("--world", type=Path, required=True, help="the world file (JSON)")
    args.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    args.add_argument("--host", default="127.0.0.1")
    args.add_argument("--day-seconds", type=float, help="run the world clock: seconds per day")
    args.add_argument("--webhook-url", help="where to announce Stripe events")
    args.add_argument("--webhook-secret", default="", help="the whsec_… secret to sign with")
    options = args.parse_args()
    try:
        world = load_world(options.world)
    except WorldError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if options.day_seconds is not None and options.day_seconds <= 0:
        print("error: --day-seconds must be above 0", file=sys.stderr)
        return 2
    server = SandboxServer(
        world,
        options.host,
        options.port,
        day_seconds=options.day_seconds,
        webhook_url=options.webhook_url,
        webhook_secret=options.webhook_secret,
    )
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
