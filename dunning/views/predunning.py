"""What people read of a renewal watch: the customer's emails before a renewal that would
fail, and the team's tasks."""

from datetime import timedelta

from dunning.contract.enums import EmailTemplate, Team, WatchCheck
from dunning.contract.money import format_amount
from dunning.contract.predunning import PreDunningCase, PreDunningStatus
from dunning.providers.facts import AccountFacts
from dunning.providers.requests import EmailRequest, TaskRequest

UPDATE_LINK = "https://billing.stripe.com/p/login"
"""Where a customer updates a card (Stripe's customer portal)."""
RENEWAL_SUBJECTS = {
    EmailTemplate.EXPIRY_REMINDER: "Your card expires before your next renewal",
    EmailTemplate.PO_REQUEST: "A PO number is needed for your coming renewal",
    EmailTemplate.CONTACT_CONFIRM: "Please confirm who should receive your renewal invoice",
    EmailTemplate.DUE_REMINDER: "Your renewal invoice falls due soon",
}
RENEWAL_OPENINGS = {
    EmailTemplate.EXPIRY_REMINDER: (
        "The card we have on file expires before your subscription renews. Update it with "
        "the link below and the renewal goes through without a hitch."
    ),
    EmailTemplate.PO_REQUEST: (
        "Your team's process requires a purchase order number on each invoice, and the "
        "coming renewal has none yet. Please reply with the PO number before it is issued."
    ),
    EmailTemplate.CONTACT_CONFIRM: (
        "We want the coming renewal invoice to reach the right accounts-payable contact. "
        "Please reply with the name and email address that should receive it."
    ),
    EmailTemplate.DUE_REMINDER: (
        "A friendly reminder that your renewal invoice falls due soon. If it is already on "
        "its way, thank you; if anything is in the way, reply and we'll help."
    ),
}
TASK_REASONS = {
    WatchCheck.CONTACT_UNCONFIRMED: "the billing contact is missing or bounces",
    WatchCheck.AMOUNT_MISMATCH: "the renewal's amount differs from the contract",
}


def render_watch_email(
    case: PreDunningCase, template: EmailTemplate, to: str, day: float
) -> EmailRequest:
    """An email of the watch, due on policy day `day` of it."""
    lines = [
        RENEWAL_OPENINGS[template],
        "",
        f"Renewal: {case.renews_on:%Y-%m-%d}, {format_amount(case.amount, case.currency)}",
    ]
    if template is EmailTemplate.EXPIRY_REMINDER:
        card = f"{case.card_exp_month:02d}/{case.card_exp_year}" if case.card_exp_month else "-"
        lines += [f"Card on file expires: {card}", f"Update your card: {UPDATE_LINK}"]
    if template is EmailTemplate.DUE_REMINDER:
        due = case.renews_on + timedelta(days=case.days_until_due or 0)
        lines.append(f"Due: {due:%Y-%m-%d}")
    return EmailRequest(
        to=to,
        template=template,
        subject=RENEWAL_SUBJECTS[template],
        body="\n".join(lines),
        case_ref=case.workflow_id,
        step=f"{template}@{day:g}",
    )


def render_watch_task(
    case: PreDunningCase, account: AccountFacts, check: WatchCheck, team: Team
) -> TaskRequest:
    """A task for the team, before the renewal is invoiced, assigned to the team's owner in
    the policy (else the account owner)."""
    reason = TASK_REASONS[check]
    owner = case.effective_policy.team_owners.get(team) or account.owner_id
    lines = [
        f"Team: {team}",
        f"Why: {reason}, before the renewal is invoiced",
        f"Account owner: {account.owner_id or 'none'}",
        f"Subscription: {case.subscription_id}, customer {case.customer_id}",
        f"Renewal: {case.renews_on:%Y-%m-%d}, {format_amount(case.amount, case.currency)}",
    ]
    if check is WatchCheck.AMOUNT_MISMATCH and account.contract_amount is not None:
        lines.append(f"Contracted amount: {format_amount(account.contract_amount, case.currency)}")
    if check is WatchCheck.CONTACT_UNCONFIRMED:
        ap = account.ap_contact
        lines.append(f"AP contact: {ap.email if ap else 'none'}")
    return TaskRequest(
        owner_id=owner,
        company_id=account.company_id,
        team=team,
        subject=f"[{team}] Renewal of {case.subscription_id}: {reason}"[:250],
        body="\n".join(lines),
        case_ref=case.workflow_id,
        route_key=f"watch:{check}",
    )


def watch_summary(case: PreDunningCase) -> str:
    """The watch's one line in the Web UI's list."""
    amount = format_amount(case.amount, case.currency)
    return f"Pre-dunning {case.subscription_id}: renews {case.renews_on:%Y-%m-%d}, {amount}"


def watch_details(case: PreDunningCase, status: PreDunningStatus) -> str:
    """The watch's current details in the Web UI (Markdown)."""
    checks = ", ".join(status.checks) or "none: the renewal should go through"
    lines = [
        f"**Renewal** {case.renews_on:%Y-%m-%d} of {case.subscription_id}, "
        f"{format_amount(case.amount, case.currency)}",
        f"**Checks** {checks}",
        f"**Asked** {', '.join(status.asked) or 'nothing yet'}",
    ]
    if status.tasks:
        lines.append(f"**Tasks** {', '.join(status.tasks)}")
    heard = [
        *(["new card"] if status.card_replaced else []),
        *([f"PO {status.po_number}"] if status.po_number else []),
        *([f"contact {status.contact_email}"] if status.contact_email else []),
    ]
    lines.append(f"**Heard** {', '.join(heard) or 'nothing yet'}")
    if status.outcome is not None:
        lines.append(f"**Result** {status.outcome.result}")
    return "\n\n".join(lines)
