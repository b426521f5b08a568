"""Plan the next decision of a case from its state (DOMAIN.md: retry, remind, escalate, end).

`plan(state, now)` is pure: it returns either one thing to do now, or how long to wait
and what will happen then. The workflow carries the decision out, records the result
in the state, and asks again.
"""

from dataclasses import dataclass
from datetime import datetime

from dunning.enums import (
    EmailTemplate,
    FailureCategory,
    NextActionKind,
    OperatorAction,
    Stage,
    Team,
    WorkflowReason,
)
from dunning.network_rules import retry_verdict
from dunning.policy import EmailStep, EndStateRule
from dunning.state import CaseState
from dunning.status import NextAction


@dataclass(frozen=True)
class Charge:
    """Charge the invoice (attempt `number`)."""

    number: int
    scheduled: bool


@dataclass(frozen=True)
class SendEmail:
    """Send one email step to the customer."""

    step: str
    template: EmailTemplate
    to: str


@dataclass(frozen=True)
class Route:
    """Hand the case to a team through a CRM task for the account owner."""

    key: str
    team: Team
    reason: str


@dataclass(frozen=True)
class ApplyPo:
    """Put the received PO on the invoice (and re-send a sent invoice)."""

    po_number: str


@dataclass(frozen=True)
class ApplyContact:
    """Write the received billing contact to Stripe and the CRM."""


@dataclass(frozen=True)
class Recheck:
    """Re-read the facts and classify again, after an internal fix."""


@dataclass(frozen=True)
class ApplyEndState:
    """Apply the tier's end action and close the case."""

    rule: EndStateRule


@dataclass(frozen=True)
class CloseByOperator:
    """Carry out an operator's closing decision (write off, paid offline)."""

    action: OperatorAction


@dataclass(frozen=True)
class Wait:
    """Nothing is due: sleep until `until` (None: until a person acts)."""

    until: datetime | None
    next_action: NextAction


Decision = (
    Charge
    | SendEmail
    | Route
    | ApplyPo
    | ApplyContact
    | Recheck
    | ApplyEndState
    | CloseByOperator
    | Wait
)

OWNER_ROUTE_KEY = "owner"
INTERNAL_ESCALATION_KEY = "internal-escalation"


@dataclass(frozen=True)
class _Candidate:
    at: datetime
    priority: int
    decision: Decision
    next_action: NextAction


def plan(state: CaseState, now: datetime) -> Decision:
    """The next decision of an open case."""
    if state.pending_close is not None:
        return CloseByOperator(OperatorAction(state.pending_close))
    if state.pending_po is not None:
        return ApplyPo(state.pending_po)
    if state.pending_contact is not None:
        return ApplyContact()
    if state.recheck:
        return Recheck()
    if state.paused_since is not None:
        return Wait(None, NextAction(kind=NextActionKind.WAIT, at=None, detail="paused"))
    candidates = sorted(_candidates(state, now), key=lambda c: (c.at, c.priority))
    if not candidates:
        waiting_on = "an internal team" if state.waits_internally else "the customer"
        detail = f"waiting on {waiting_on}"
        return Wait(None, NextAction(kind=NextActionKind.WAIT, at=None, detail=detail))
    first = candidates[0]
    return first.decision if first.at <= now else Wait(first.at, first.next_action)


def stage_of(state: CaseState, decision: Decision) -> Stage:
    """The stage an open case is in, given what it will do next."""
    if state.is_closed:
        return Stage.CLOSED
    if state.paused_since is not None:
        return Stage.PAUSED
    if state.classification is None:
        return Stage.CLASSIFYING
    if state.sent_at(EmailTemplate.FINAL_NOTICE) is not None:
        return Stage.FINAL_NOTICE
    if state.waits_internally:
        return Stage.AWAITING_INTERNAL
    retry_pending = isinstance(decision, Charge) or (
        isinstance(decision, Wait) and decision.next_action.kind is NextActionKind.RETRY
    )
    if retry_pending or next_retry_at(state, state.day0) is not None:
        return (
            Stage.RETRYING
            if state.category is FailureCategory.SOFT_DECLINE
            else (Stage.AWAITING_CUSTOMER)
        )
    return Stage.AWAITING_CUSTOMER


def next_retry_at(state: CaseState, now: datetime) -> datetime | None:
    """When the case will next charge by itself, if it will."""
    retry = _next_retry(state, now)
    return retry.at if retry else None


def _candidates(state: CaseState, now: datetime) -> list[_Candidate]:
    if state.held is not None:
        return _held_candidates(state, now)
    found: list[_Candidate] = []
    category = state.category
    if category is FailureCategory.WORKFLOW_FAILURE and state.reason:
        reason = WorkflowReason(state.reason)
        key = f"workflow:{reason}"
        if key not in state.route_keys:
            team = state.policy.routes[reason]
            found.append(_route(now, key, team, f"{reason}: no retry can fix it"))
    retry = _next_retry(state, now)
    if retry is not None:
        found.append(retry)
    emails = _email_candidates(state, now, retry)
    found.extend(emails)
    if state.is_enterprise and OWNER_ROUTE_KEY not in state.route_keys:
        by_day = state.clock.on_day(state.policy.enterprise_owner_task_day)
        first_email = min([by_day, *(e.at for e in emails)])
        why = "enterprise account: relationship at risk"
        found.append(_route(first_email, OWNER_ROUTE_KEY, Team.CUSTOMER_SUCCESS, why))
    found.extend(_end_candidates(state, now))
    return found


def _held_candidates(state: CaseState, now: datetime) -> list[_Candidate]:
    key = f"held:{state.held}"
    if key in state.route_keys:
        return []
    return [_route(now, key, state.policy.provider_error_team, state.held or "")]


def _route(at: datetime, key: str, team: Team, reason: str) -> _Candidate:
    next_action = NextAction(kind=NextActionKind.ESCALATE, at=at, detail=f"route to {team}")
    return _Candidate(at, 0, Route(key=key, team=team, reason=reason), next_action)


def _next_retry(state: CaseState, now: datetime) -> _Candidate | None:
    category = state.category
    requested = state.retry_requested is not None
    if category is None or category is FailureCategory.WORKFLOW_FAILURE:
        return None
    if requested:
        proposed = now
    elif category is FailureCategory.SOFT_DECLINE and not state.is_net_terms:
        method = state.case.payment_method_type
        schedule = state.policy.retries[method].days_for(state.tier)
        if state.scheduled_attempts >= len(schedule):
            return None
        proposed = state.clock.on_day(schedule[state.scheduled_attempts])
        if state.attempts:
            gap = state.clock.hours(state.policy.min_hours_between_retries)
            proposed = max(proposed, state.attempts[-1].at + gap)
    else:
        return None
    decline, decline_at = state.last_decline
    verdict = retry_verdict(
        method=state.case.payment_method_type,
        last_decline=decline,
        last_decline_at=decline_at,
        attempts_on_method=state.attempts_on_card,
        clock=state.clock,
        now=now,
    )
    if verdict.earliest is None:
        return None
    at = max(proposed, verdict.earliest)
    number = len(state.attempts) + 1
    detail = f"retry {number}" + (f" ({verdict.reason})" if verdict.reason else "")
    next_action = NextAction(kind=NextActionKind.RETRY, at=at, detail=detail)
    return _Candidate(at, 1, Charge(number=number, scheduled=not requested), next_action)


def _email_candidates(
    state: CaseState, now: datetime, retry: _Candidate | None
) -> list[_Candidate]:
    to = state.recipient()
    if to is None or state.waits_internally:
        return []
    found = []
    request = _request_template(state)
    if request is not None:
        for day in state.policy.request_days:
            step = EmailStep(template=request, day=day)
            if not state.step_done(step.key):
                found.append(_email(state, step, state.clock.on_day(day), to, 2))
                break
    final_day = state.end_state.final_notice_day
    cadence = state.policy.email_cadence.get(state.category) if state.category else None
    for step in cadence or ():
        if step.day >= final_day or state.step_done(step.key):
            continue
        failed = state.failed_attempts
        if len(failed) < step.after_failed_retries:
            break
        at = state.clock.on_day(step.day)
        if step.after_failed_retries:
            at = max(at, failed[step.after_failed_retries - 1].at)
        window = state.clock.hours(state.policy.silent_retry_window_hours)
        silent_retry_due = retry is not None and retry.at <= max(at, now) + window
        if step.template is EmailTemplate.PAYMENT_FAILED and silent_retry_due:
            break
        found.append(_email(state, step, at, to, 3))
        break
    return found


def _request_template(state: CaseState) -> EmailTemplate | None:
    """The email that asks for the one missing thing, for a workflow failure."""
    if state.category is not FailureCategory.WORKFLOW_FAILURE or state.reason is None:
        return None
    return state.policy.requests.get(WorkflowReason(state.reason))


def _email(state: CaseState, step: EmailStep, at: datetime, to: str, priority: int) -> _Candidate:
    next_action = NextAction(kind=NextActionKind.EMAIL, at=at, detail=f"email {step.template}")
    return _Candidate(at, priority, SendEmail(step.key, step.template, to), next_action)


def _end_candidates(state: CaseState, now: datetime) -> list[_Candidate]:
    rule = state.end_state
    if state.waits_internally:
        if INTERNAL_ESCALATION_KEY in state.route_keys:
            return []
        at = state.clock.on_day(rule.final_notice_day)
        reason = "internal issue unresolved as the dunning window closes"
        return [_route(at, INTERNAL_ESCALATION_KEY, Team.CUSTOMER_SUCCESS, reason)]
    notice = EmailStep(template=EmailTemplate.FINAL_NOTICE, day=rule.final_notice_day)
    to = state.recipient()
    if to is not None and not state.step_done(notice.key):
        return [_email(state, notice, state.clock.on_day(rule.final_notice_day), to, 4)]
    at = state.clock.on_day(rule.end_day)
    next_action = NextAction(kind=NextActionKind.END_STATE, at=at, detail=f"{rule.action}")
    return [_Candidate(at, 5, ApplyEndState(rule), next_action)]
