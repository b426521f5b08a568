"""What operators measure (DOMAIN.md §5), computed from cases' statuses."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from dunning.contract.enums import SUBSCRIPTION_END_ACTIONS, EndAction, Outcome, Resolution
from dunning.contract.status import DunningStatus

AUTOMATED = frozenset(
    {Resolution.RETRY, Resolution.PAYMENT_METHOD_UPDATE, Resolution.EXTERNAL_PAYMENT}
)
"""Recoveries no internal team had to act on."""


@dataclass(frozen=True)
class Rate:
    """Recovered out of closed, for one group of cases."""

    recovered: int
    closed: int

    @property
    def ratio(self) -> float | None:
        """Recovered / closed, or None when nothing closed."""
        return self.recovered / self.closed if self.closed else None


@dataclass(frozen=True)
class RecoveryReport:
    """The recovery figures of a set of cases."""

    cases: int
    open: int
    overall: Rate
    by_category: dict[str, Rate]
    by_method: dict[str, Rate]
    median_days_to_recovery: float | None
    automated_resolution_rate: float | None
    emails_sent: int
    tasks_routed: int
    end_states: dict[EndAction, int]
    outcomes: dict[Outcome, int]
    recovered_by_currency: dict[str, int] = field(default_factory=dict)
    at_risk_by_currency: dict[str, int] = field(default_factory=dict)
    involuntary_churn: int = 0
    """Subscriptions cancelled or paused by dunning."""
    partially_recovered: int = 0
    """Closed cases not recovered in full whose customer still paid part of the invoice."""
    credited_by_currency: dict[str, int] = field(default_factory=dict)
    """Money resolved by credit notes: off the books, not recovered."""


def recovery_report(statuses: Iterable[DunningStatus]) -> RecoveryReport:
    """The report over every case given."""
    cases = list(statuses)
    closed = [s for s in cases if s.outcome is not None]
    recovered = [s for s in closed if s.outcome and s.outcome.outcome is Outcome.RECOVERED]
    resolutions = [s.outcome.resolution for s in recovered if s.outcome]
    end_states: dict[EndAction, int] = defaultdict(int)
    outcomes: dict[Outcome, int] = defaultdict(int)
    recovered_money: dict[str, int] = defaultdict(int)
    credited: dict[str, int] = defaultdict(int)
    at_risk: dict[str, int] = defaultdict(int)
    for status in cases:
        at_risk[status.currency] += status.amount_due
        if status.outcome is None:
            continue
        outcomes[status.outcome.outcome] += 1
        recovered_money[status.currency] += status.outcome.amount_recovered
        credited[status.currency] += status.outcome.amount_credited
        if status.outcome.end_action is not None:
            end_states[status.outcome.end_action] += 1
    churn = sum(end_states.get(action, 0) for action in SUBSCRIPTION_END_ACTIONS)
    return RecoveryReport(
        cases=len(cases),
        open=len(cases) - len(closed),
        overall=_rate(closed),
        by_category=_grouped(closed, lambda s: s.opened_as or s.failure_category or "unclassified"),
        by_method=_grouped(closed, lambda s: s.payment_method_type or "unknown"),
        median_days_to_recovery=median(s.outcome.days_open for s in recovered if s.outcome)
        if recovered
        else None,
        automated_resolution_rate=sum(r in AUTOMATED for r in resolutions) / len(resolutions)
        if resolutions
        else None,
        emails_sent=sum(len(s.emails) for s in cases),
        tasks_routed=sum(len(s.routed) for s in cases),
        end_states=dict(end_states),
        outcomes=dict(outcomes),
        recovered_by_currency=dict(recovered_money),
        at_risk_by_currency=dict(at_risk),
        involuntary_churn=churn,
        partially_recovered=sum(
            1
            for s in closed
            if s.outcome
            and s.outcome.outcome is not Outcome.RECOVERED
            and s.outcome.amount_recovered
        ),
        credited_by_currency={c: v for c, v in credited.items() if v},
    )


def _rate(closed: list[DunningStatus]) -> Rate:
    won = sum(1 for s in closed if s.outcome and s.outcome.outcome is Outcome.RECOVERED)
    return Rate(recovered=won, closed=len(closed))


def _grouped(closed: list[DunningStatus], key: Callable[[DunningStatus], str]) -> dict[str, Rate]:
    groups: dict[str, list[DunningStatus]] = defaultdict(list)
    for status in closed:
        groups[str(key(status))].append(status)
    return {name: _rate(members) for name, members in sorted(groups.items())}


AGING_BUCKETS = ((0, "0-30"), (31, "31-60"), (61, "61-90"), (91, "90+"))
"""Days since a case opened, as collections teams bucket open receivables."""


@dataclass
class AgingBucket:
    """Open cases of one age band."""

    cases: int = 0
    due_by_currency: dict[str, int] = field(default_factory=dict)


def aging(statuses: Iterable[DunningStatus], now: datetime) -> dict[str, AgingBucket]:
    """Open cases per aging bucket, with the amounts due per currency."""
    buckets = {label: AgingBucket() for _, label in AGING_BUCKETS}
    for status in statuses:
        if status.outcome is not None or not status.timeline:
            continue
        age = (now - status.timeline[0].at).days
        bucket = buckets[next(label for start, label in reversed(AGING_BUCKETS) if age >= start)]
        bucket.cases += 1
        due = bucket.due_by_currency
        due[status.currency] = due.get(status.currency, 0) + status.amount_due
    return buckets
