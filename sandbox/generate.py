"""`python -m sandbox.generate --invoices N --seed S [--days D] [--renewals R]`: print a
behavioural world
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
    args.add_argument("--renewals", type=int, default=0, help="subscriptions renewing meanwhile")
    options = args.parse_args()
    if options.invoices < 1 or options.days <= 0 or options.renewals < 0:
        print(
            "error: --invoices must be at least 1, --days above 0, --renewals at least 0",
            file=sys.stderr,
        )
        return 2
    world = generate(options.invoices, options.seed, options.days, options.renewals)
    json.dump(world, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
