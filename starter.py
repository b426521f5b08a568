"""The command line: `python starter.py start|signal|update|status …` (see `--help`)."""

from cli.main import main
from client.connection import exit_process

if __name__ == "__main__":
    exit_process(main())
