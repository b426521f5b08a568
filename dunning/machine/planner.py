"""Plan the next decision of a case from its state, in the steps of dunning (DOMAIN.md):
detect and route → retry → remind → escalate → resolve.

`plan(state, now)` is pure: it returns the decision (one thing to do now, or how long to
wait and what will happen then) and the stage the case is in. The case carries the
decision out, records the result through `dunning.machine.transitions`, and asks again.
"""

from datetime import datetime
from typing import NamedTuple

from dunning.contract.enums import (
    EmailTemplate,
    FailureCategory,
    NextActionKind,
    Stage,
)
from dunning.contract.status import NextAction
from dunning.machine.candidates import Candidate, hand_off, route_to
from dunning.machine.decisions import (
    Action,
    ApplyContact,
    ApplyEndState,
    ApplyPo,
    Charge,
    CloseByOperator,
    Decision,
    Precedence,
    Recheck,
    Route,
    SendEmail,
    Wait,
)
from dunning.machine.retrying import next_retry, settlement_wait
from dunning.machine.state import CaseState
from dunning.rules.network import BANK_DEBITS
from dunning.rules.policy import EndStateRule, step_key

OWNER_ROUTE_KEY = "owner"
INTERNAL_ESCALATION_KEY = "internal-escalation"
REVIEW_KEY_PREFIX = "review:"


class Plan(NamedTuple):
    """The next decision, and the stage the case is in given it (a named tuple, as
    `Candidate` is: made on every plan)."""

    decision: Decision
    stage: Stage
    then: "Plan | None" = None
    """For a wait with an end: the plan when it ends, if nothing reaches the case before
    (the case then need not plan again). Nothing the planner weighs depends on the moment
    it plans at, except what falls due by then, so it is the same plan."""


def plan(state: CaseState, now: datetime) -> Plan:
    """The next decision of an open case, and its stage."""
    pending = _pending(state)
    if pending is not None:
        return Plan(pending, _stage(state, pending, next_retry(state, now) is not None))
    retry, candidates = _candidates(state, now)
    # Everything already due counts as due now, so precedence alone orders it: after a
    # customer acts, or when a case wakes late, the charge comes before any email.
    candidates.sort(key=lambda c: (max(c.at, now), c.precedence, c.at))
    if not candidates:
        on = NextAction(kind=NextActionKind.WAIT, at=None, detail=_waiting_on(state))
        waiting = Wait(None, on)
        return Plan(waiting, _stage(state, waiting, retry is not None))
    first = candidates[0]
    # Waiting for it or doing it, the case is in the same stage.
    then = Plan(first.action, _stage(state, first.action, retry is not None))
    if first.at <= now:
        return then
    return Plan(Wait(first.at, first.next_action), then.stage, then)


def _pending(state: CaseState) -> Action | None:
    """A message taken that the case still has to carry out comes first."""
    if state.pending_close is not None:
        return CloseByOperator(state.pending_close)
    if state.pending_po is not None:
        return ApplyPo(state.pending_po)
    if state.pending_contact is not None:
        return ApplyContact()
    if state.recheck or state.reread:
        return Recheck()
    return None


def _waiting_on(state: CaseState) -> str:
    if state.is_paused:
        return "paused"
    return f"waiting on {'an internal team' if state.waits_internally else 'the customer'}"


def _stage(state: CaseState, decision: Decision, retry_left: bool) -> Stage:
    """The stage an open case is in, given what it will do next and whether the schedule
    still holds a retry."""
    if state.is_closed:
        return Stage.CLOSED
    if state.is_paused:
        return Stage.PAUSED
    if state.classification is None:
        return Stage.CLASSIFYING
    if state.waits_internally:  # a hold outranks the notice: the case waits on a team
        return Stage.AWAITING_INTERNAL
    if state.settling is not None:  # an attempt is still in flight
        return Stage.RETRYING
    if state.sent_at(EmailTemplate.FINAL_NOTICE) is not None:
        return Stage.FINAL_NOTICE
    retry_pending = isinstance(decision, Charge) or (
        isinstance(decision, Wait) and decision.next_action.kind is NextActionKind.RETRY
    )
    if state.category is FailureCategory.SOFT_DECLINE and (retry_pending or retry_left):
        return Stage.RETRYING
    return Stage.AWAITING_CUSTOMER


def _candidates(state: CaseState, now: datetime) -> tuple[Candidate | None, list[Candidate]]:
    """The next retry, if any, and everything the case would do by itself, each at its
    moment."""
    if state.settling is not None:
        return None, [*settlement_wait(state), *(_reviews(state) if state.is_paused else [])]
    if state.is_paused:
        return None, _reviews(state)
    if state.held is not None:
        return None, [*_detect(state, now), *_reviews(state)]
    retry, to, rule = next_retry(state, now), state.recipient(), state.end_state
    emails = _remind(state, now, retry, to, rule)
    retries = [retry] if retry is not None else []
    found = [*_detect(state, now), *retries, *emails, *_escalate(state, emails, rule)]
    return retry, [*found, *_resolve(state, to, rule)]


# ---- 1. detect: what no retry can fix goes to the team that can ----------------------------


def _detect(state: CaseState, now: datetime) -> list[Candidate]:
    if state.held is not None:
        key = f"held:{state.held}"
        team = state.policy.provider_error_team
        return [] if key in state.route_keys else [route_to(now, key, team, state.held)]
    reason = state.workflow_reason
    if reason is None or f"workflow:{reason}" in state.route_keys:
        return []
    route = Route(
        f"workflow:{reason}", state.policy.routes[reason], f"{reason}: no retry can fix it"
    )
    return [hand_off(now, route, precedence=Precedence.ROUTE)]


# ---- 2. retry: `dunning.machine.retrying` ------------------------------------------------------


# ---- 3. remind: ask for what is missing, and the email cadence on its own schedule -------------


def _remind(
    state: CaseState, now: datetime, retry: Candidate | None, to: str | None, rule: EndStateRule
) -> list[Candidate]:
    if to is None or state.waits_internally:
        return []
    found = []
    done = state.steps_done
    reason = state.workflow_reason
    request = state.policy.requests.get(reason) if reason else None
    if request is not None and not state.asked_before_renewal(request):
        for day in state.policy.request_days:
            key = step_key(request, day)
            if key not in done:
                moment = state.clock.on_day(day)
                found.append(_email(state, key, request, moment, to, Precedence.ASK))
                break
    final_day = rule.final_notice_day
    cadence = state.policy.email_cadence.get(state.category) if state.category else None
    for step in cadence or ():
        if step.day >= final_day or step.key in done:
            continue
        at = state.clock.on_day(step.day)
        failed = state.failed_attempts
        if len(failed) < step.after_failed_retries:
            # It waits for the retries to fail, but never for one due after the final
            # notice (a plan that waits for payday): the customer would hear nothing else.
            if retry is not None and retry.at < state.clock.on_day(final_day):
                break
        elif step.after_failed_retries:
            at = max(at, failed[step.after_failed_retries - 1].at)
        if step.template is EmailTemplate.PAYMENT_FAILED and _silent_retry_due(
            state, now, at, retry
        ):
            break
        found.append(_email(state, step.key, step.template, at, to, Precedence.REMIND))
        break
    return found


def _silent_retry_due(
    state: CaseState, now: datetime, at: datetime, retry: Candidate | None
) -> bool:
    """The first email waits for a retry due within the silent window of when it would go
    out, which may recover the invoice unseen; not for a bank debit's, whose answer comes
    days later (nothing is mailed while it is in flight), so the customer would hear of the
    failure only then."""
    if retry is None or state.case.payment_method_type in BANK_DEBITS:
        return False
    goes_out = max(state.email_allowed_at(at), now)
    return retry.at <= goes_out + state.clock.hours(state.policy.silent_retry_window_hours)


def _email(
    state: CaseState,
    key: str,
    template: EmailTemplate,
    at: datetime,
    to: str,
    precedence: Precedence,
) -> Candidate:
    """An email step, no sooner than the policy's gap after the last email."""
    email = SendEmail(key, template, to)
    at = state.email_allowed_at(at)
    return Candidate(at, precedence, email, NextActionKind.EMAIL, f"email {template}")


# ---- 4. escalate: people hear of what matters, and no hold is forgotten -------------------------


def _escalate(state: CaseState, emails: list[Candidate], rule: EndStateRule) -> list[Candidate]:
    policy = state.policy
    found = []
    if state.is_enterprise and OWNER_ROUTE_KEY not in state.route_keys:
        by_day = state.clock.on_day(policy.enterprise_owner_task_day)
        before_any_email = min([by_day, *(e.at for e in emails)])
        why = "enterprise account: relationship at risk"
        team = policy.enterprise_owner_team
        found.append(route_to(before_any_email, OWNER_ROUTE_KEY, team, why))
    if state.waits_internally:
        if INTERNAL_ESCALATION_KEY not in state.route_keys:
            at = state.clock.on_day(rule.final_notice_day)
            why = "internal issue unresolved as the dunning window closes"
            escalation = Route(INTERNAL_ESCALATION_KEY, policy.escalation_team, why, True)
            found.append(hand_off(at, escalation))
        else:
            found.extend(_reviews(state))
    return found


def _reviews(state: CaseState) -> list[Candidate]:
    """A case on hold is put to the escalation team on its review date, and again later."""
    if state.review_at is None:
        return []
    number = sum(1 for key in state.route_keys if key.startswith(REVIEW_KEY_PREFIX)) + 1
    if state.is_paused:
        why = f"paused since {state.paused_since:%Y-%m-%d}: due for review"
    else:
        why = f"on hold ({state.held or state.reason}): due for review"
    team = state.policy.escalation_team
    review = Route(f"{REVIEW_KEY_PREFIX}{number}", team, why, reviewed_again=True)
    return [hand_off(state.review_at, review, f"review by {team}")]


# ---- 5. resolve: the final notice, then the tier's end state ------------------------------------


def _resolve(state: CaseState, to: str | None, rule: EndStateRule) -> list[Candidate]:
    if state.waits_internally:
        return []
    notice = rule.notice_key
    if to is not None and not state.step_done(notice):
        at = state.clock.on_day(rule.final_notice_day)
        return [_email(state, notice, EmailTemplate.FINAL_NOTICE, at, to, Precedence.FINAL_NOTICE)]
    at = state.end_promised_at or state.end_action_at(state.sent_at(EmailTemplate.FINAL_NOTICE))
    end = ApplyEndState(rule)
    return [Candidate(at, Precedence.END_STATE, end, NextActionKind.END_STATE, f"{rule.action}")]
