"""Retry timing learned from the attempts of closed cases (`starter.py learn`).

Each scheduled retry on the card that failed says whether the money was back at that
many days after the failure, on that calendar day. The fit:

- the chance a retry succeeds, by days since the failure, as a hazard per attempt day,
  each day's rate shrunk toward the pooled rate (empirical Bayes) so a sparse day does
  not swing the curve; past the last day tried, the hazard goes on as over the later half
  of the days tried;
- the calendar moment that brings money back (`lab.anchors`): retries just after the 1st
  or the 15th, or on one weekday (a weekly payroll), against the others alike (a
  Mantel-Haenszel ratio, with its Cochran-Mantel-Haenszel z), and the hour of the day
  money has landed by (the hour that best splits later retries from earlier ones of
  invoices that failed at the same hour);
- the same curve and calendar moment for each decline code with enough retries, each
  day's rate shrunk toward the method's that day: a code whose money comes back on a
  timing of its own gets a plan of its own;
- the same comparison by the decline, advice and network codes, the weekday and the hour
  (`lab.attempts`), reported for the person who reviews the plan.

The plan, per payment method and tier (and decline code, where it has its own): at most
as many retries as the default plan, the first a silent one within a day (the customer
hears of the failure once it fails), then, when a calendar moment brings money back, one
on each of its moments inside the window (at 00:01), the last just before the tier's end
action (money back by then is recovered), and the others where the fitted curve gains
equal shares of what the window can recover; those between the silent one and the last
go out at the hour money has landed by, when the cases show one.
"""

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dunning.contract.enums import CustomerTier, FailureCategory, PaymentMethodType
from dunning.rules.learned import LearnedPlan, RetryPlan, plan_key
from dunning.rules.network import ACH_MAX_REPRESENTMENTS, BANK_DEBITS
from dunning.rules.policy import DunningPolicy, EmailStep
from lab.anchors import Anchor, anchor_of, landing_hour, payday_lift
from lab.attempts import RETRIED, Attempt, attempts_of, trait_notes
from lab.case_line import CaseLine
from lab.emails import CadenceStep, emails_of, fit_emails

MIN_ATTEMPTS = 100
"""Fewer scheduled retries than this say too little: the defaults stay."""
MIN_DECLINE_ATTEMPTS = 100
"""A decline code with fewer retries on a method than this takes the method's plan."""
MIN_PLAN_SHIFT_DAYS = 1.0
"""A decline's plan whose retries all fall within this of its method's is not kept: the
difference is the noise of a smaller sample."""
PRIOR_WEIGHT = 10.0
"""Pseudo-attempts at the parent's rate that day (the method's for a decline code, else the
pooled rate) added to every day's count: the shrinkage."""

DayRates = dict[float, float]
"""A retry's chance of success by half day since the failure."""


@dataclass(frozen=True)
class Curve:
    """Cumulative hazard of the money coming back, by days since the failure."""

    days: tuple[float, ...]
    cumulative: tuple[float, ...]
    tail_rate: float
    """Hazard per day past the last day tried."""

    def at(self, day: float) -> float:
        points = list(zip((0.0, *self.days), (0.0, *self.cumulative), strict=True))
        for (d0, h0), (d1, h1) in itertools.pairwise(points):
            if day <= d1:
                return h0 + (h1 - h0) * (day - d0) / (d1 - d0) if d1 > d0 else h1
        return points[-1][1] + self.tail_rate * (day - points[-1][0])

    def day_for(self, hazard: float, upto: float) -> float:
        """The first day the cumulative hazard reaches `hazard` (bisection)."""
        low, high = 0.0, upto
        for _ in range(50):
            middle = (low + high) / 2
            low, high = (middle, high) if self.at(middle) < hazard else (low, middle)
        return high


def day_rates(attempts: list[Attempt], parent: Mapping[float, float] | None = None) -> DayRates:
    """The chance a retry succeeds, by half day since the failure, each day's rate shrunk
    toward the parent's that day (without a parent, toward the pooled rate)."""
    pooled = sum(a.succeeded for a in attempts) / len(attempts)
    by_day: dict[float, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_day[round(attempt.day * 2) / 2].append(attempt)
    rates = {}
    for day in sorted(by_day):
        tried, prior = by_day[day], (parent or {}).get(day, pooled)
        rates[day] = (sum(a.succeeded for a in tried) + PRIOR_WEIGHT * prior) / (
            len(tried) + PRIOR_WEIGHT
        )
    return rates


def fit_curve(rates: DayRates) -> Curve:
    """The cumulative hazard of a retry's chances by day."""
    days, cumulative, total, previous = [], [], 0.0, 0.0
    for day, rate in rates.items():
        total += -math.log(max(1e-6, 1 - min(rate, 0.999)))
        days.append(max(day, previous + 1e-3))
        cumulative.append(total)
        previous = days[-1]
    curve = Curve(tuple(days), tuple(cumulative), 0.0)
    # Past the last day tried, the hazard goes on as it went over the later half of the
    # days tried: money that comes back early says little about how much comes back late.
    last = days[-1] if days else 0.0
    tail = (total - curve.at(last / 2)) / (last / 2) if last > 0 else next(iter(rates.values()))
    return Curve(curve.days, curve.cumulative, tail)


@dataclass(frozen=True)
class Timing:
    """What a plan is drawn from."""

    curve: Curve
    anchor: Anchor | None
    """The calendar moment the first retries after the silent one wait for, if any."""
    hour: int | None
    """The hour the retries on policy days after the silent one go out at, if one pays."""


def learn(lines: Iterable[CaseLine], base: DunningPolicy) -> DunningPolicy:
    """`base` with a retry plan fitted from the cases, or `base` as it is (and a note in
    the plan saying why) when the cases say too little."""
    lines = list(lines)  # read twice: for the retries, then for the emails
    attempts = attempts_of(lines)
    if len(attempts) < MIN_ATTEMPTS:
        note = f"too little data: {len(attempts)} scheduled retries (at least {MIN_ATTEMPTS})"
        return base.model_copy(
            update={"learned": LearnedPlan(fitted_from=len(attempts), notes=(note,))}
        )
    ratio, z = payday_lift(attempts)
    anchor = anchor_of(attempts)
    notes = [f"{len(attempts)} scheduled retries; payday lift {ratio:.2f} (z {z:.1f})"]
    notes.append(
        f"after a silent first retry, the next go out on {anchor.name}"
        if anchor
        else "no calendar alignment"
    )
    notes += trait_notes(attempts)
    landing = landing_hour(attempts)
    hour = landing[0] if landing else None
    notes.append(
        f"retries from {landing[0]:02d}:00 on succeed {landing[1]:.2f}x (z {landing[2]:.1f}): "
        f"those between the silent one and the last go out at {landing[0]:02d}:00"
        if landing
        else "retries on policy days keep the hour of the failure"
    )
    plans: dict[str, RetryPlan] = {}
    for method in RETRIED:
        mine = [a for a in attempts if a.method is method]
        if len(mine) < MIN_ATTEMPTS // 4:
            notes.append(f"{method}: {len(mine)} retries, too few: its default schedule stays")
            continue
        rates = day_rates(mine)
        timing = Timing(fit_curve(rates), anchor, hour)
        own = _decline_timings(mine, rates, anchor, hour)
        for tier in CustomerTier:
            plan = plans[plan_key(method, tier)] = _plan(base, method, tier, timing)
            for decline, its_timing in own.items():
                its_plan = _plan(base, method, tier, its_timing)
                if _differs(its_plan, plan):
                    plans[plan_key(method, tier, decline)] = its_plan
        notes += [_decline_note(method, decline, plans) for decline in own]
    emails = fit_emails(emails_of(lines))
    cadence = _cadence_inside_windows(base, send_sooner(base.email_cadence, emails.sooner))
    if cadence != base.email_cadence:
        notes.append("every email of a cadence goes out before its shortest window's final notice")
    notes += emails.notes
    learned = LearnedPlan(fitted_from=len(attempts), plans=plans, notes=tuple(notes))
    return base.model_copy(update={"learned": learned, "email_cadence": cadence})


Cadences = dict[FailureCategory, tuple[EmailStep, ...]]


def send_sooner(cadences: Cadences, sooner: dict[CadenceStep, float]) -> Cadences:
    """Each cadence with the emails that work better sooner sent by their day, in order."""
    moved = {}
    for category, steps in cadences.items():
        kept: list[EmailStep] = []
        for step in steps:
            day = min(step.day, sooner.get((category, step.template), step.day))
            day = max(day, kept[-1].day if kept else 0.0)
            kept.append(step.model_copy(update={"day": day}) if day != step.day else step)
        moved[category] = tuple(kept)
    return moved


def _cadence_inside_windows(base: DunningPolicy, cadences: Cadences) -> Cadences:
    """Each cadence with its steps moved before the earliest final notice of any tier, so a
    customer of every tier receives every email (a step at or after the final notice is
    never sent, and the customers it would have moved are lost)."""
    shortest = min(rule.final_notice_day for rule in base.end_states.values())
    moved_in = {}
    for category, steps in cadences.items():
        net_terms = category is FailureCategory.OVERDUE
        final = base.net_terms_end_state.final_notice_day if net_terms else shortest
        moved: list[EmailStep] = []
        latest = final - 1
        for step in reversed(steps):
            day = min(step.day, latest)
            moved.append(step.model_copy(update={"day": max(day, 0)}))
            latest = day - 1
        moved_in[category] = tuple(reversed(moved))
    return moved_in


def _decline_timings(
    attempts: list[Attempt], rates: DayRates, anchor: Anchor | None, hour: int | None
) -> dict[str, Timing]:
    """For each decline code with enough retries: its own curve, shrunk toward the
    method's day by day, and its own calendar moment: the paydays, the method's weekday
    if it has one, or none (a payroll's weekday is the calendar's, not a decline's, and a
    code's few retries would find one among seven by chance)."""
    weekdays = () if anchor is None or anchor.weekday is None else (anchor.weekday,)
    by_decline: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_decline[attempt.reason].append(attempt)
    return {
        decline: Timing(fit_curve(day_rates(tried, rates)), anchor_of(tried, weekdays), hour)
        for decline, tried in sorted(by_decline.items())
        if len(tried) >= MIN_DECLINE_ATTEMPTS
    }


def _differs(plan: RetryPlan, other: RetryPlan) -> bool:
    """Whether a decline's plan is worth keeping beside its method's: another calendar
    moment, another count, or a retry at least `MIN_PLAN_SHIFT_DAYS` away."""
    calendar = (plan.paydays, plan.weekly, plan.weekday, plan.hour, len(plan.days))
    if calendar != (other.paydays, other.weekly, other.weekday, other.hour, len(other.days)):
        return True
    return any(
        abs(a - b) >= MIN_PLAN_SHIFT_DAYS for a, b in zip(plan.days, other.days, strict=True)
    )


def _decline_note(method: PaymentMethodType, decline: str, plans: dict[str, RetryPlan]) -> str:
    tiers = [tier.value for tier in CustomerTier if plan_key(method, tier, decline) in plans]
    if not tiers:
        return f"{method}, {decline}: the method's plan suits it"
    return f"{method}, {decline}: a plan of its own for {', '.join(tiers)}"


def _plan(
    base: DunningPolicy, method: PaymentMethodType, tier: CustomerTier, timing: Timing
) -> RetryPlan:
    """At most as many retries as the default, none after the end action: a silent one
    first; with a calendar effect, the next on its moments inside the window; the last with
    the end action (and before it); the others where the curve gains equal shares of what
    the window can recover."""
    count = len(base.retries[method].days_for(tier))
    if method in BANK_DEBITS:
        count = min(count, ACH_MAX_REPRESENTMENTS)
    # The last retry goes with the end action: a retry due then goes first (`Precedence`).
    end = base.end_states[tier].end_day
    gap = base.min_hours_between_retries / 24
    # The first is the silent retry (DOMAIN.md: "retry, silent first"), inside the silent
    # window, so the customer hears of the failure as soon as it fails, not at payday.
    silent_day = base.silent_retry_window_hours / 24
    silent = [silent_day] if count > 1 and silent_day < end else []
    curve, anchor = timing.curve, timing.anchor
    waits = min(round(end / anchor.spacing_days), count - 1 - len(silent)) if anchor else 0
    by_days = count - waits - len(silent)
    # The curve's retries go after the calendar ones; when those fill the window (one
    # payday may come on any day of a 14-day window), in the whole window instead, so no
    # retry the default allows is left unused.
    start = min(waits * anchor.spacing_days, end) if anchor else 0.0
    if start >= end - gap:
        start = silent[-1] if silent else 0.0
    before, whole = curve.at(start), curve.at(end) - curve.at(start)
    days: list[float] = list(silent)
    for k in range(1, by_days):
        day = curve.day_for(before + whole * k / by_days, end)
        earliest = max(start, 0.5, days[-1] + gap if days else 0.0)
        day = round(max(day, earliest), 2)
        if day > end - gap:
            break  # no room before the last retry: a day after the end action never comes
        days.append(day)
    days.append(round(end, 2))
    hour = timing.hour if len(days) > 2 else None  # only retries between move
    if anchor is None or not waits:
        return RetryPlan(days=tuple(days), hour=hour)
    if anchor.weekday is None:
        return RetryPlan(paydays=waits, days=tuple(days), hour=hour)
    return RetryPlan(weekly=waits, weekday=anchor.weekday, days=tuple(days), hour=hour)
