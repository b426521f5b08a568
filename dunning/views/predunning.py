"""What a customer reads before a renewal that would fail."""

from dunning.contract.enums import EmailTemplate
from dunning.contract.money import format_amount
from dunning.contract.predunning import PreDunningCase
from dunning.providers.requests import EmailRequest
from dunning.views.notices import OPENINGS, SUBJECTS

UPDATE_LINK = "https://billing.stripe.com/p/login"
"""Where a customer updates a card (Stripe's customer portal)."""


def render_expiry_reminder(case: PreDunningCase, day: float) -> EmailRequest:
    """The expiry reminder due on policy day `day` of the watch."""
    template = EmailTemplate.EXPIRY_REMINDER
    card = f"{case.card_exp_month:02d}/{case.card_exp_year}" if case.card_exp_month else "-"
    lines = [
        OPENINGS[template],
        "",
        f"Renewal: {case.renews_on:%Y-%m-%d}, {format_amount(case.amount, case.currency)}",
        f"Card on file expires: {card}",
        f"Update your card: {UPDATE_LINK}",
    ]
    assert case.email is not None, "a watch without an email sends nothing"
    return EmailRequest(
        to=case.email,
        template=template,
        subject=SUBJECTS[template],
        body="\n".join(lines),
        case_ref=case.workflow_id,
        step=f"{template}@{day:g}",
    )
