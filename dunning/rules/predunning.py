"""Pre-dunning's rules: which renewals to watch, what would make one fail, and who hears."""

from datetime import timedelta

from dunning.contract.case import REAL_DAY_SECONDS, CaseOptions
from dunning.contract.enums import (
    CollectionMethod,
    EmailTemplate,
    Team,
    WatchCheck,
    WorkflowReason,
)
from dunning.contract.predunning import PreDunningCase
from dunning.providers.facts import AccountFacts
from dunning.providers.renewals import RenewalFacts
from dunning.rules.classify import within_contract
from dunning.rules.policy import DunningPolicy


def days_to_renewal(renewal: RenewalFacts) -> float:
    """Calendar days from when Stripe was read to the renewal (negative: already passed)."""
    return (renewal.renews_at - renewal.as_of) / timedelta(seconds=REAL_DAY_SECONDS)


def in_window(renewal: RenewalFacts, policy: DunningPolicy) -> bool:
    """The daily scan watches a renewal once it is no further off than the policy's window."""
    return policy.predunning and 0 <= days_to_renewal(renewal) <= policy.predunning_window_days


def watch_of(renewal: RenewalFacts, policy: DunningPolicy, day_seconds: int) -> PreDunningCase:
    """The watch of a renewal, on the policy in force and the clock of the deployment."""
    return PreDunningCase(
        subscription_id=renewal.subscription_id,
        customer_id=renewal.customer_id,
        amount=renewal.amount,
        currency=renewal.currency,
        renews_on=renewal.renews_at,
        days_to_renewal=max(days_to_renewal(renewal), 0.0),
        card_exp_month=renewal.card_exp_month,
        card_exp_year=renewal.card_exp_year,
        email=renewal.email,
        po_number=renewal.po_number,
        collection_method=renewal.collection_method,
        days_until_due=renewal.days_until_due,
        options=CaseOptions(day_seconds=day_seconds),
        policy=policy,
    )


def watch_checks(case: PreDunningCase, account: AccountFacts | None) -> tuple[WatchCheck, ...]:
    """What would make the renewal fail, as far as Stripe and the CRM can tell beforehand
    (without the account, only the card can be judged)."""
    checks = []
    charged = case.collection_method is not CollectionMethod.SEND_INVOICE
    if charged and case.card_expires_first and case.email is not None:
        checks.append(WatchCheck.CARD_EXPIRES)
    if case.due_reminder_day() is not None and case.email is not None:
        checks.append(WatchCheck.NET_TERMS_DUE)
    if account is None:
        return tuple(checks)
    if account.ap_contact_bounced or (account.ap_contact is None and case.email is None):
        checks.append(WatchCheck.CONTACT_UNCONFIRMED)
    if account.po_required and not case.po_number:
        checks.append(WatchCheck.PO_MISSING)
    tolerance = case.effective_policy.contract_tolerance_percent
    contract = account.contract_amount
    if contract is not None and not within_contract(case.amount, contract, tolerance):
        checks.append(WatchCheck.AMOUNT_MISMATCH)
    return tuple(checks)


WATCH_REQUESTS: tuple[tuple[WatchCheck, EmailTemplate], ...] = (
    (WatchCheck.PO_MISSING, EmailTemplate.PO_REQUEST),
    (WatchCheck.CONTACT_UNCONFIRMED, EmailTemplate.CONTACT_CONFIRM),
)
"""What a watch asks the customer for when it begins, in this order, per check found."""


def watch_tasks(
    checks: tuple[WatchCheck, ...], policy: DunningPolicy
) -> list[tuple[WatchCheck, Team]]:
    """The tasks a watch gives teams when it begins: the account owner's team for a contact
    to confirm, RevOps (the contract mismatch's route) for an amount off the contract."""
    teams = {
        WatchCheck.CONTACT_UNCONFIRMED: policy.predunning_contact_team,
        WatchCheck.AMOUNT_MISMATCH: policy.routes.get(
            WorkflowReason.CONTRACT_MISMATCH, Team.REVOPS
        ),
    }
    return [(check, team) for check, team in teams.items() if check in checks]


def billing_address(case: PreDunningCase, account: AccountFacts | None) -> str | None:
    """Where a request about the coming invoice goes: the AP contact, unless their mail
    bounces, else the customer's billing email in Stripe."""
    ap = account.ap_contact if account else None
    if ap is not None and not (account and account.ap_contact_bounced):
        return ap.email
    return case.email
