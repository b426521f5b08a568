"""`python -m sandbox --world FILE.json --port PORT`: serve a world until interrupted."""

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
    options = args.parse_args()
    try:
        world = load_world(options.world)
    except WorldError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    server = SandboxServer(world, options.host, options.port)
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
