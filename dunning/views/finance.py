"""The KPIs finance asks for, from the ledger's rows over a window [since, until).

Money is kept per currency: amounts in different currencies are never added.

- **DSO** (days sales outstanding) = receivables still open at `until` / the amount that
  fell due in the window * the window's days.
- **CEI** (collections effectiveness index) = (B + D - E) / (B + D - C) * 100, where B is
  what was open at `since`, D what fell due in the window, E what is open at `until`, and C
  what is open at `until` but not yet due (current).
- **Aging**: what is open at `until`, by days past its due date (0-30, 31-60, 61-90, 90+).

Days are the cases' policy days: calendar days in production, compressed ones in a lab.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from statistics import median

from pydantic import BaseModel, ConfigDict

from dunning.contract.case import REAL_DAY_SECONDS
from dunning.contract.enums import SUBSCRIPTION_END_ACTIONS, Outcome
from dunning.providers.ledger import LedgerEntry
from dunning.views.kpis import AUTOMATED

DAYS_PAST_DUE = ((0, "0-30"), (31, "31-60"), (61, "61-90"), (91, "90+"))
"""Days past due, as collections teams bucket open receivables."""


class FinanceModel(BaseModel):
    """Base of the finance figures: immutable."""

    model_config = ConfigDict(frozen=True)


class GroupRate(FinanceModel):
    """Recovery of one group of closed cases, by count and, per currency, by money."""

    closed: int
    """Cases closed."""
    recovered: int
    """Of those, recovered."""
    due_by_currency: dict[str, int]
    """Minor units the closed cases had at risk."""
    recovered_by_currency: dict[str, int]
    """Minor units they recovered."""

    @property
    def rate(self) -> float | None:
        """Recovered / closed."""
        return self.recovered / self.closed if self.closed else None

    def money_rate(self, currency: str) -> float | None:
        """Recovered / at risk, in one currency."""
        due = self.due_by_currency.get(currency, 0)
        return self.recovered_by_currency.get(currency, 0) / due if due else None


class FinanceKpis(FinanceModel):
    """Every KPI of the window."""

    since: datetime
    """The window's start."""
    until: datetime
    """The window's end."""
    opened: int
    """Cases opened in the window."""
    overall: GroupRate
    """Recovery of the cases opened in the window that closed."""
    by_category: dict[str, GroupRate]
    """The same, by the failure category the case opened as."""
    by_method: dict[str, GroupRate]
    """By payment method."""
    by_tier: dict[str, GroupRate]
    """By the account's tier."""
    median_days_to_recovery: float | None
    """Median days from opening to recovery."""
    automated_resolution_rate: float | None
    """Recoveries no team had to act on / recoveries."""
    involuntary_churn_rate: float | None
    """Cases ending in a cancelled or paused subscription / cases closed."""
    dso_days: dict[str, float | None]
    """Days sales outstanding, per currency."""
    cei: dict[str, float | None]
    """Collections effectiveness index (percent), per currency."""
    aging: dict[str, dict[str, int]]
    """Open at `until`, per currency, by days past due: minor units."""
    charges_per_recovery: float | None
    """Charges made / recoveries."""
    emails_per_recovery: float | None
    """Customer emails / recoveries."""
    history_events_per_case: float | None
    """Temporal history events per closed case: what each case cost Temporal, roughly."""


def finance_kpis(entries: Iterable[LedgerEntry], since: datetime, until: datetime) -> FinanceKpis:
    """The KPIs of the dunning cases among `entries` (every case, whenever opened: the
    receivables open at `since` count towards CEI)."""
    cases = [e for e in entries if e.kind == "dunning" and e.opened_at < until]
    window = [e for e in cases if e.opened_at >= since]
    closed = [e for e in window if e.closed_at is not None and e.closed_at < until]
    recovered = [e for e in closed if e.outcome == Outcome.RECOVERED]
    resolutions = [e.resolution for e in recovered]
    churned = [e for e in closed if e.end_action in SUBSCRIPTION_END_ACTIONS]
    ended = [e for e in closed if e.history_events]
    return FinanceKpis(
        since=since,
        until=until,
        opened=len(window),
        overall=_group(closed),
        by_category=_grouped(closed, lambda e: e.category or "unclassified"),
        by_method=_grouped(closed, lambda e: e.payment_method_type or "unknown"),
        by_tier=_grouped(closed, lambda e: e.customer_tier or "unknown"),
        median_days_to_recovery=round(median(days_open(e) for e in recovered), 3)
        if recovered
        else None,
        automated_resolution_rate=_share(sum(r in AUTOMATED for r in resolutions), len(recovered)),
        involuntary_churn_rate=_share(len(churned), len(closed)),
        dso_days=_per_currency(cases, lambda members: _dso(members, since, until)),
        cei=_per_currency(cases, lambda members: _cei(members, since, until)),
        aging={
            currency: _aging(members, until) for currency, members in _by_currency(cases).items()
        },
        charges_per_recovery=_share(sum(e.attempts for e in window), len(recovered)),
        emails_per_recovery=_share(sum(e.emails for e in window), len(recovered)),
        history_events_per_case=_share(sum(e.history_events or 0 for e in ended), len(ended)),
    )


def open_at(entry: LedgerEntry, moment: datetime) -> int:
    """What the case still had to collect at `moment` (0 before it opened or once closed)."""
    if entry.opened_at > moment or (entry.closed_at is not None and entry.closed_at <= moment):
        return 0
    return entry.amount_due


def days_between(earlier: datetime, later: datetime, entries: list[LedgerEntry]) -> float:
    """Policy days from `earlier` to `later`, on the day length the entries ran on."""
    return (later - earlier) / timedelta(seconds=day_length(entries))


def day_length(entries: list[LedgerEntry]) -> int:
    """The seconds of a policy day most of the entries ran on (a real day when unknown)."""
    lengths = Counter(e.day_seconds or REAL_DAY_SECONDS for e in entries)
    return lengths.most_common(1)[0][0] if lengths else REAL_DAY_SECONDS


def _dso(cases: list[LedgerEntry], since: datetime, until: datetime) -> float | None:
    fell_due = sum(e.amount_due for e in cases if since <= _due(e) < until)
    receivable = sum(open_at(e, until) for e in cases)
    days = days_between(since, until, cases)
    return round(receivable / fell_due * days, 2) if fell_due else None


def _cei(cases: list[LedgerEntry], since: datetime, until: datetime) -> float | None:
    begin = sum(open_at(e, since) for e in cases)
    fell_due = sum(e.amount_due for e in cases if since <= _due(e) < until)
    end = sum(open_at(e, until) for e in cases)
    current = sum(open_at(e, until) for e in cases if _due(e) > until)
    collectible = begin + fell_due - current
    return round((begin + fell_due - end) / collectible * 100, 2) if collectible else None


def _aging(cases: list[LedgerEntry], until: datetime) -> dict[str, int]:
    buckets = dict.fromkeys((label for _, label in DAYS_PAST_DUE), 0)
    for entry in cases:
        amount = open_at(entry, until)
        if not amount:
            continue
        past_due = max(days_between(_due(entry), until, [entry]), 0)
        label = next(label for low, label in reversed(DAYS_PAST_DUE) if past_due >= low)
        buckets[label] += amount
    return buckets


def _due(entry: LedgerEntry) -> datetime:
    return entry.due_at or entry.opened_at


def days_open(entry: LedgerEntry) -> float:
    """Policy days from a closed case's opening to its close."""
    assert entry.closed_at is not None
    return days_between(entry.opened_at, entry.closed_at, [entry])


def _group(members: list[LedgerEntry]) -> GroupRate:
    due: dict[str, int] = defaultdict(int)
    won: dict[str, int] = defaultdict(int)
    for entry in members:
        due[entry.currency] += entry.amount_due
        won[entry.currency] += entry.amount_recovered
    return GroupRate(
        closed=len(members),
        recovered=sum(1 for e in members if e.outcome == Outcome.RECOVERED),
        due_by_currency=dict(due),
        recovered_by_currency=dict(won),
    )


def _grouped(members: list[LedgerEntry], key: Callable[[LedgerEntry], str]) -> dict[str, GroupRate]:
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in members:
        groups[key(entry)].append(entry)
    return {name: _group(group) for name, group in sorted(groups.items())}


def _by_currency(cases: list[LedgerEntry]) -> dict[str, list[LedgerEntry]]:
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in cases:
        groups[entry.currency].append(entry)
    return dict(sorted(groups.items()))


def _per_currency(
    cases: list[LedgerEntry], figure: Callable[[list[LedgerEntry]], float | None]
) -> dict[str, float | None]:
    return {currency: figure(members) for currency, members in _by_currency(cases).items()}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
