"""Drives the pure planner through a whole case with scripted providers, no Temporal.

It does what `DunningWorkflow` does (plan, carry out, record, sleep) so the policy's
properties can be checked over thousands of generated cases in seconds.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dunning import commands
from dunning.contract.case import DunningCase, FailureDetails
from dunning.providers.requests import ChargeResult
from dunning.contract.enums import EmailTemplate, Outcome
from dunning.providers.facts import AccountFacts, InvoiceFacts
from dunning.machine.planner import (
    ApplyContact,
    ApplyEndState,
    ApplyPo,
    Charge,
    CloseByOperator,
    Decision,
    Recheck,
    Route,
    SendEmail,
    Wait,
    next_retry_at,
    plan,
    stage_of,
)
from dunning.machine.state import CaseState

SUCCEEDED = "succeeded"


@dataclass
class Simulation:
    """One simulated case and what it did."""

    case: DunningCase
    account: AccountFacts
    outcomes: list[str] = field(default_factory=lambda: [SUCCEEDED])
    signals: list[tuple[float, commands.Message]] = field(default_factory=list)
    state: CaseState = field(init=False)
    decisions: list[tuple[datetime, Decision]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    retry_due_at_email: list[tuple[datetime, EmailTemplate, datetime | None]] = field(
        default_factory=list
    )
    """For each email: when it went out, and the retry the case had planned at that moment."""

    def run(self, max_days: float = 400) -> CaseState:
        now = self.case.failed_at
        self.state = CaseState.open(self.case, now)
        self.state.record_facts(self.account, self.invoice(), now)
        pending = sorted(self.signals, key=lambda s: s[0])
        horizon = self.state.clock.on_day(max_days)
        while not self.state.is_closed and now < horizon:
            decision = plan(self.state, now)
            self.state.stage = stage_of(self.state, decision)
            if isinstance(decision, Wait):
                self.state.next_action = decision.next_action
                next_signal = self.state.clock.on_day(pending[0][0]) if pending else None
                wake = [t for t in (decision.until, next_signal) if t is not None]
                if not wake:
                    break
                now = max(now, min(wake))
                while pending and self.state.clock.on_day(pending[0][0]) <= now:
                    self.deliver(pending.pop(0)[1], now)
                continue
            self.decisions.append((now, decision))
            self.carry_out(decision, now)
            now += timedelta(seconds=1)
        return self.state

    def invoice(self) -> InvoiceFacts:
        return InvoiceFacts(
            status="open",
            number="INV-1",
            amount_due=self.case.amount_due,
            customer_email="billing@example.com",
            po_number=self.case.po_number,
        )

    def deliver(self, message: commands.Message, now: datetime) -> None:
        why = commands.rejection(self.state, message)
        if why:
            self.ignored.append(why)
            self.state.note(now, "signal_ignored", why)
        else:
            commands.apply(self.state, message, now)

    def carry_out(self, decision: Decision, now: datetime) -> None:
        state = self.state
        match decision:
            case Charge(number=number, scheduled=scheduled):
                code = self.outcomes[min(number - 1, len(self.outcomes) - 1)]
                if code == SUCCEEDED:
                    result = ChargeResult(status="succeeded", invoice_status="paid")
                else:
                    decline = FailureDetails(code="card_declined", decline_code=code)
                    result = ChargeResult(status="declined", decline=decline, invoice_status="open")
                state.record_charge(result, scheduled, now)
            case SendEmail(step=step, template=template, to=to):
                self.retry_due_at_email.append((now, template, next_retry_at(state, now)))
                state.record_email(step, template, to, f"msg-{len(state.emails)}", now)
            case Route(key=key, team=team, reason=reason):
                state.record_route(key, team, reason, f"task-{len(state.routed)}", now)
            case ApplyPo(po_number=po):
                state.record_po_applied(po, now)
            case ApplyContact():
                assert state.pending_contact is not None
                state.record_contact_applied(state.pending_contact, now)
            case Recheck():
                state.recheck = False
                state.reclassify(now)
            case ApplyEndState():
                state.close(Outcome.END_STATE_APPLIED, now, end_action=state.end_action)
            case CloseByOperator(action=action):
                outcome = Outcome.WRITTEN_OFF if action == "write_off" else Outcome.RECOVERED
                resolution = None if action == "write_off" else "operator"
                state.close(outcome, now, resolution=resolution)  # type: ignore[arg-type]
