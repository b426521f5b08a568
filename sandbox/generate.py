"""`python -m sandbox.generate --invoices N --seed S [--days D]`: print a behavioural world
drawn from published figures (see worlds/FIGURES.md)."""

import argparse
import json
import sys

from worlds.generate import generate


def main() -> int:
    """Print the world as JSON."""
    args = argparse.ArgumentParser(prog="python -m sandbox.generate", description=__doc__)
    args.add_argument("--invoices", type=int, required=True, help="how many failed invoices")
    args.add_argument("--seed", type=int, required=True, help="the same seed, the same world")
    args.add_argument("--days", type=float, default=60, help="world days the failures span")
    options = args.parse_args()
    if options.invoices < 1 or options.days <= 0:
        print("error: --invoices must be at least 1 and --days above 0", file=sys.stderr)
        return 2
    json.dump(generate(options.invoices, options.seed, options.days), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
