"""What the case says to people: customer emails and owner tasks.

Rendered here, from the state, so activities only deliver what they are given.
"""

from datetime import datetime

from dunning.contract.enums import EmailTemplate, Team
from dunning.contract.money import format_amount
from dunning.machine.state import CaseState
from dunning.providers.requests import EmailRequest, TaskRequest

TIMELINE_IN_TASK = 15

SUBJECTS = {
    EmailTemplate.PAYMENT_FAILED: "We couldn't process the payment for invoice {number}",
    EmailTemplate.REMINDER: "Reminder: invoice {number} is still open",
    EmailTemplate.SERVICE_IMPACT: "Action needed to keep your service: invoice {number}",
    EmailTemplate.FINAL_NOTICE: "Final notice for invoice {number}",
    EmailTemplate.PO_REQUEST: "A PO number is needed for invoice {number}",
    EmailTemplate.CONTACT_CONFIRM: "Please confirm who should receive invoice {number}",
}
OPENINGS = {
    EmailTemplate.PAYMENT_FAILED: (
        "Your latest payment didn't go through. This is usually a temporary glitch; "
        "you can update your payment method in a minute with the link below."
    ),
    EmailTemplate.REMINDER: (
        "A friendly reminder that this invoice is still open. To settle it, open the link "
        "below, check the payment details, and pay or update your payment method."
    ),
    EmailTemplate.SERVICE_IMPACT: (
        "This invoice is still unpaid, and your service may be affected soon. If anything "
        "is in the way, reply to this email and we'll help."
    ),
    EmailTemplate.FINAL_NOTICE: "This is the final notice for this invoice.",
    EmailTemplate.PO_REQUEST: (
        "Your team's process requires a purchase order number on this invoice, and it "
        "doesn't have one yet. Please reply with the PO number and we'll re-issue it."
    ),
    EmailTemplate.CONTACT_CONFIRM: (
        "We want to make sure this invoice reaches the right accounts-payable contact. "
        "Please reply with the name and email address that should receive it."
    ),
}


def invoice_label(state: CaseState) -> str:
    """The invoice number customers know, or the Stripe id."""
    return (state.invoice.number if state.invoice else None) or state.case.invoice_id


def render_email(
    state: CaseState, template: EmailTemplate, to: str, step: str, now: datetime
) -> EmailRequest:
    """One customer email, naming the invoice, amount, PO, contract and payment link; a
    final notice sent `now` names the calendar date its end action will be applied."""
    number = invoice_label(state)
    lines = [OPENINGS[template], ""]
    if template is EmailTemplate.FINAL_NOTICE:
        rule = state.end_state
        when = state.clock.calendar(state.end_action_at(now)).date().isoformat()
        action = rule.action.replace("_", " ")
        lines += [f"Unless it is paid, on {when} we will {action}.", ""]
    lines += _invoice_facts(state)
    link = state.invoice.hosted_invoice_url if state.invoice else None
    if link and template not in (EmailTemplate.PO_REQUEST, EmailTemplate.CONTACT_CONFIRM):
        lines += ["", f"Pay or update your payment method: {link}"]
    return EmailRequest(
        to=to,
        template=template,
        subject=SUBJECTS[template].format(number=number),
        body="\n".join(lines),
        case_ref=state.case.workflow_id,
        step=step,
    )


def _invoice_facts(state: CaseState) -> list[str]:
    case = state.case
    facts = [
        f"Invoice: {invoice_label(state)}",
        f"Amount due: {format_amount(state.amount_outstanding, case.currency)}",
    ]
    settled_in_part = case.amount_due - state.amount_outstanding
    if settled_in_part:
        total = format_amount(case.amount_due, case.currency)
        part = format_amount(settled_in_part, case.currency)
        facts.append(f"Invoice total: {total}, of which {part} already paid or credited")
    if state.po_number:
        facts.append(f"PO: {state.po_number}")
    contract = state.account.contract_amount if state.account else None
    if state.is_enterprise and contract is not None:
        facts.append(f"Contracted amount: {format_amount(contract, case.currency)}")
    return facts


def render_task(state: CaseState, route_key: str, team: Team, reason: str) -> TaskRequest:
    """A CRM task for the team's owner in the policy's routing table (else the account
    owner), with the case's context."""
    case, account = state.case, state.account
    account_owner = account.owner_id if account else None
    owner = state.policy.team_owners.get(team) or account_owner
    lines = [
        f"Team: {team}",
        f"Why: {reason}",
        f"Account owner: {account_owner or 'none'}",
        *_invoice_facts(state),
        f"Failure: {state.category or 'unclassified'} ({state.reason or 'unknown'})",
        f"Customer: {case.customer_id} ({state.tier})",
    ]
    if account and account.annual_contract_value is not None:
        value = format_amount(account.annual_contract_value, case.currency)
        lines.append(f"Annual contract value: {value}")
    lines += ["", "Timeline:"]
    lines += [
        f"- {entry.at:%Y-%m-%d %H:%M} {entry.event}: {entry.detail}"
        for entry in state.timeline[-TIMELINE_IN_TASK:]
    ]
    return TaskRequest(
        owner_id=owner,
        company_id=account.company_id if account else None,
        team=team,
        subject=f"[{team}] Invoice {invoice_label(state)}: {reason}"[:250],
        body="\n".join(lines),
        case_ref=case.workflow_id,
        route_key=route_key,
    )
