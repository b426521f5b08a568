"""The command line: `python starter.py start|signal|update|status …` (see `--help`)."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
