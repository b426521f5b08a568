"""How a chance differs between groups that are otherwise alike: retries (`lab.attempts`)
and emails (`lab.emails`), each a Mantel-Haenszel ratio against the others of its stratum,
with the Cochran-Mantel-Haenszel z over the same strata, so what the strata hold (the days
since the failure, the paydays passed, the email) is not taken for the difference.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol, TypeVar

MIN_LEVEL_COUNT = 30
"""A level with fewer tries than this (a decline code, a weekday, an hour) is not compared."""
FALSE_ALARM = 0.05
"""The chance that a trait reports a level that does not differ: each of its levels is
tested at this share of it (Bonferroni), so a weekday is not found among seven by luck."""

MIN_LIFT = 1.2
"""A difference is acted on (a calendar moment waited for, an email sent sooner) only
when the chosen tries succeed at least this much more often than the others alike."""

Stratum = tuple[object, ...]
"""What tries compared with each other share."""


class Tried(Protocol):
    """Something tried that succeeded or not: a retry, an email."""

    @property
    def succeeded(self) -> bool: ...


T = TypeVar("T", bound=Tried)


def lift(
    tries: Sequence[T], chosen: Callable[[T], bool], stratum: Callable[[T], Stratum]
) -> tuple[float, float]:
    """How much likelier a chosen try succeeds than another of its stratum (the
    Mantel-Haenszel ratio), and the Cochran-Mantel-Haenszel z of the difference."""
    strata: dict[Stratum, list[T]] = defaultdict(list)
    for one in tries:
        strata[stratum(one)].append(one)
    top = bottom = excess = variance = 0.0
    for alike in strata.values():
        n, on = len(alike), [a for a in alike if chosen(a)]
        if not on or len(on) == n:
            continue
        won_on, won = sum(a.succeeded for a in on), sum(a.succeeded for a in alike)
        off = n - len(on)
        top += won_on * off / n
        bottom += (won - won_on) * len(on) / n
        excess += won_on - len(on) * won / n
        variance += len(on) * off * won * (n - won) / (n * n * (n - 1))
    ratio = top / bottom if bottom else (math.inf if top else 1.0)
    return ratio, excess / math.sqrt(variance) if variance else 0.0


@dataclass(frozen=True)
class Difference:
    """A level of a trait whose tries succeed more or less often than the others alike."""

    level: str
    ratio: float
    """The Mantel-Haenszel ratio against the others of its strata (`alike`)."""
    z: float
    """Its Cochran-Mantel-Haenszel z."""

    def __str__(self) -> str:
        return f"{self.level} {self.ratio:.2f}x (z {self.z:.1f})"


def level_differences(
    tries: Sequence[T], level_of: Callable[[T], str], stratum: Callable[[T], Stratum]
) -> list[Difference] | None:
    """The levels that differ from the others of their strata, most tries first; None
    when every try had the same level, so nothing could be compared."""
    levels = Counter(level_of(tried) for tried in tries)
    if len(levels) < 2:
        return None
    compared = [level for level, count in levels.most_common() if count >= MIN_LEVEL_COUNT]
    significant = significant_z(len(compared))
    found = []
    for level in compared:
        ratio, z = lift(tries, _being(level_of, level), stratum)
        if abs(z) >= significant:
            found.append(Difference(level, ratio, z))
    return found


def significant_z(levels: int) -> float:
    """How large a z, either way, reports one of `levels` compared levels."""
    return NormalDist().inv_cdf(1 - FALSE_ALARM / (2 * max(1, levels)))


def _being(level_of: Callable[[T], str], level: str) -> Callable[[T], bool]:
    return lambda tried: level_of(tried) == level
