"""The case's effects as Temporal activities: one activity call per effect.

Workflow code (deterministic). Transient provider errors are retried here for as long as
the outage lasts; a permanent one reaches the case as `ProviderRefused`.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows import metrics

with workflow.unsafe.imports_passed_through():
    from activities.crm import CrmActivities
    from activities.email import EmailActivities
    from activities.facts import FactActivities
    from activities.ledger import LedgerActivities
    from activities.payments import PaymentActivities
    from dunning.machine.effects import ProviderRefused
    from dunning.providers.facts import AccountFacts, CaseFacts, FactsRequest
    from dunning.providers.ledger import LedgerEntry
    from dunning.providers.renewals import RenewalPo
    from dunning.providers.requests import (
        ChargeRequest,
        ChargeResult,
        ContactUpdate,
        EmailReceipt,
        EmailRequest,
        InvoiceAction,
        PoUpdate,
        TaskReceipt,
        TaskRequest,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
PROVIDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
"""Transient provider errors retry for as long as the outage lasts; permanent ones stop."""


class TemporalEffects:
    """`dunning.machine.effects.Effects` through the worker's activities."""

    async def read_case_facts(self, request: FactsRequest, *, summary: str) -> CaseFacts:
        facts: CaseFacts = await _call(FactActivities.read_case_facts, request, summary)
        return facts

    async def charge_invoice(self, request: ChargeRequest, *, summary: str) -> ChargeResult:
        result: ChargeResult = await _call(PaymentActivities.charge_invoice, request, summary)
        metrics.charge_attempted(result.status)
        return result

    async def read_settlement(self, invoice_id: str, *, summary: str) -> ChargeResult:
        result: ChargeResult = await _call(PaymentActivities.read_settlement, invoice_id, summary)
        return result

    async def send_email(self, request: EmailRequest, *, summary: str) -> EmailReceipt:
        receipt: EmailReceipt = await _call(EmailActivities.send_email, request, summary)
        metrics.email_sent(request.template)
        return receipt

    async def create_task(self, request: TaskRequest, *, summary: str) -> TaskReceipt:
        receipt: TaskReceipt = await _call(CrmActivities.create_task, request, summary)
        metrics.task_routed(request.team)
        return receipt

    async def read_account(self, customer_id: str, *, summary: str) -> AccountFacts:
        account: AccountFacts = await _call(CrmActivities.read_account, customer_id, summary)
        return account

    async def store_renewal_po(self, request: RenewalPo, *, summary: str) -> None:
        await _call(PaymentActivities.store_renewal_po, request, summary)

    async def record_case(self, request: LedgerEntry, *, summary: str) -> None:
        await _call(LedgerActivities.record_case, request, summary)

    async def apply_po_number(self, request: PoUpdate, *, summary: str) -> None:
        await _call(PaymentActivities.apply_po_number, request, summary)

    async def update_billing_contact(self, request: ContactUpdate, *, summary: str) -> None:
        await _call(CrmActivities.update_billing_contact, request, summary)

    async def update_customer_email(self, request: ContactUpdate, *, summary: str) -> None:
        await _call(PaymentActivities.update_customer_email, request, summary)

    async def resend_invoice(self, invoice_id: str, *, summary: str) -> None:
        await _call(PaymentActivities.resend_invoice, invoice_id, summary)

    async def apply_invoice_action(self, request: InvoiceAction, *, summary: str) -> None:
        await _call(PaymentActivities.apply_invoice_action, request, summary)


async def _call(activity: Any, arg: Any, summary: str) -> Any:
    """Run one provider activity; a permanent failure becomes `ProviderRefused`."""
    try:
        return await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=PROVIDER_RETRY,
            summary=summary,
        )
    except ActivityError as err:
        raise ProviderRefused(f"{summary}: {err.cause or err}") from err
