"""Step 2 of dunning: retry silently, on the method's schedule, within the network rules,
and wait for a bank debit in flight."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from dunning.contract.enums import FailureCategory, NextActionKind, PaymentMethodType
from dunning.machine.candidates import Candidate, route_to
from dunning.machine.decisions import Charge, Precedence, ReadSettlement
from dunning.machine.state import CaseState
from dunning.providers.cards import CardRoom
from dunning.rules.calendar import at_hour, next_payday, next_weekday
from dunning.rules.clock import CaseClock
from dunning.rules.network import retry_verdict, room_for_others

SETTLEMENT_KEY_PREFIX = "settlement:"


def next_retry(state: CaseState, now: datetime) -> Candidate | None:
    """The next charge of the case, when it will come, and why not sooner."""
    category = state.category
    requested = state.retry_requested is not None
    if category is None or category is FailureCategory.WORKFLOW_FAILURE:
        return None
    if requested:
        proposed = now
    elif category is FailureCategory.SOFT_DECLINE and not state.is_net_terms:
        scheduled = _scheduled_retry(state)
        if scheduled is None:
            return None
        proposed = scheduled
        if state.attempts:
            gap = state.clock.hours(state.policy.min_hours_between_retries)
            last = state.attempts[-1].at
            if state.debit_answered_at is not None:  # a debit counts from the bank's answer
                last = max(last, state.debit_answered_at)
            proposed = max(proposed, last + gap)
    else:
        return None
    decline, decline_at = state.last_decline
    elsewhere = state.card_uses_now
    verdict = retry_verdict(
        method=state.case.payment_method_type,
        last_decline=decline,
        last_decline_at=decline_at,
        attempts_on_method=state.attempts_on_card,
        clock=state.clock,
        now=now,
        charged_elsewhere=[use.at for use in elsewhere],
        declined_elsewhere=[use.at for use in elsewhere if not use.succeeded],
    )
    if verdict.earliest is None:
        return None
    at = max(proposed, verdict.earliest)
    if verdict.latest is not None and at > verdict.latest:
        return None
    number = len(state.attempts) + 1
    detail = f"retry {number}" + (f" ({verdict.reason})" if verdict.reason else "")
    charge = Charge(number, scheduled=not requested)
    return Candidate(at, Precedence.RETRY, charge, NextActionKind.RETRY, detail)


def card_room(state: CaseState, now: datetime) -> CardRoom | None:
    """For a known card: the room its caps leave for other charges if it is charged now;
    the charge asks Stripe for them and waits if they fill it."""
    fingerprint = state.card_fingerprint
    if state.case.payment_method_type is not PaymentMethodType.CARD or fingerprint is None:
        return None
    decline, decline_at = state.last_decline
    room = room_for_others(
        last_decline=decline,
        last_decline_at=decline_at,
        attempts_on_method=state.attempts_on_card,
        clock=state.clock,
        now=now,
    )
    return CardRoom(
        customer_id=state.case.customer_id,
        card_fingerprint=fingerprint,
        window_start=room.window_start,
        other_charges=room.other_charges,
        day_start=room.day_start,
        other_declines=room.other_declines,
    )


def _scheduled_retry(state: CaseState) -> datetime | None:
    """When the next retry of the schedule falls."""
    depends_on = (state.clock, state.policy, state.case, state.tier, state.opened_as)
    moments = state.kept("schedule", depends_on, lambda: _schedule_of(state))
    done = state.scheduled_attempts
    return moments[done] if done < len(moments) else None


def _schedule_of(state: CaseState) -> tuple[datetime, ...]:
    """The moments of the case's retry schedule: the learned plan's for the case's method,
    tier and opening decline, else the policy's schedule."""
    policy, method = state.policy, state.case.payment_method_type
    decline = state.opened_as.reason if state.opened_as else None
    plan = policy.learned.plan_for(method, state.tier, decline) if policy.learned else None
    if plan is None:
        days, calendar = policy.retries[method].days_for(state.tier), CalendarRetries()
    else:
        calendar = CalendarRetries(plan.paydays, plan.weekly, plan.weekday, plan.hour)
        days = plan.days
    return schedule(state.clock, days, calendar, state.case.failed_at)


@dataclass(frozen=True)
class CalendarRetries:
    """What of a plan goes by the case's calendar, not by policy days."""

    paydays: int = 0
    """Retries on this many paydays after the failure."""
    weekly: int = 0
    """Retries on this many of `weekday` after the failure."""
    weekday: int | None = None
    """The weekday of the weekly retries (0 is Monday)."""
    hour: int | None = None
    """The hour the retries between the first and the last day go out at."""


def schedule(
    clock: CaseClock, days: tuple[float, ...], calendar: CalendarRetries, failed_at: datetime
) -> tuple[datetime, ...]:
    """The moments of a retry schedule, in time order: its days (those between the first,
    the silent retry, and the last at the plan's hour), and its calendar retries after
    `failed_at` by the case's calendar."""
    moments = sorted(clock.on_day(day) for day in days)
    if calendar.hour is not None and len(moments) > 2:
        first, *middle, last = moments
        hour = calendar.hour
        later = (clock.from_calendar(at_hour(clock.calendar(m), hour)) for m in middle)
        moments = [first, *(at if at < last else m for m, at in zip(middle, later, strict=True))]
        moments.append(last)
    payday = failed_at
    for _ in range(calendar.paydays):
        payday = next_payday(payday + timedelta(minutes=1))
        moments.append(clock.from_calendar(payday))
    if calendar.weekday is not None:
        payroll = failed_at
        for _ in range(calendar.weekly):
            payroll = next_weekday(payroll + timedelta(minutes=1), calendar.weekday)
            moments.append(clock.from_calendar(payroll))
    return tuple(sorted(moments))


def settlement_wait(state: CaseState) -> list[Candidate]:
    """A bank debit in flight: nothing else is charged or mailed until the bank answers.
    The case reads it when Stripe announces the answer, or after the policy's wait; one
    still processing then goes to a team, once."""
    debit = state.settling
    assert debit is not None
    detail = f"bank debit of attempt {debit.attempt} settling"
    read = Candidate(
        debit.check_at, Precedence.RETRY, ReadSettlement(), NextActionKind.WAIT, detail
    )
    key = f"{SETTLEMENT_KEY_PREFIX}{debit.attempt}"
    if debit.checks == 0 or key in state.route_keys:
        return [read]
    days = state.policy.settlement_check_days
    why = f"bank debit of attempt {debit.attempt} unsettled after {days:g} days"
    overdue = debit.charged_at + state.clock.days(days)
    return [read, route_to(overdue, key, state.policy.settlement_team, why)]
