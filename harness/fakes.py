"""Scripted providers registered under the real activity names, recording every call."""

from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from dunning.contract.case import FailureDetails
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
from dunning.providers.facts import AccountFacts, CaseFacts, FactsRequest, InvoiceFacts

SUCCEEDED = "succeeded"


@dataclass
class FakeProviders:
    """Stripe, HubSpot and SendGrid as the workflow sees them, scripted per test."""

    account: AccountFacts = field(default_factory=AccountFacts)
    invoice: InvoiceFacts = field(
        default_factory=lambda: InvoiceFacts(
            status="open",
            number="INV-0001",
            amount_due=5000,
            hosted_invoice_url="https://pay.example/in_1",
            customer_email="billing@customer.example",
        )
    )
    outcomes: list[str] = field(default_factory=lambda: [SUCCEEDED])
    account_refusal: str | None = None
    """The CRM's refusal of the account lookup: the account then comes back as None."""
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def named(self, name: str) -> list[Any]:
        """The arguments of every call to one activity, in order."""
        return [arg for called, arg in self.calls if called == name]

    def activities(self) -> list[Any]:
        """The fakes, to register on a worker."""
        return [
            self.read_case_facts,
            self.charge_invoice,
            self.apply_po_number,
            self.resend_invoice,
            self.update_customer_email,
            self.apply_invoice_action,
            self.create_task,
            self.update_billing_contact,
            self.send_email,
        ]

    @activity.defn(name="read_case_facts")
    async def read_case_facts(self, request: FactsRequest) -> CaseFacts:
        self.calls.append(("read_case_facts", request))
        if self.account_refusal is not None:
            return CaseFacts(invoice=self.invoice, refusals=[self.account_refusal])
        return CaseFacts(account=self.account, invoice=self.invoice)

    @activity.defn(name="charge_invoice")
    async def charge_invoice(self, request: ChargeRequest) -> ChargeResult:
        self.calls.append(("charge_invoice", request))
        code = self.outcomes[min(len(self.named("charge_invoice")) - 1, len(self.outcomes) - 1)]
        if code == SUCCEEDED:
            return ChargeResult(status="succeeded", invoice_status="paid")
        decline = FailureDetails(code="card_declined", decline_code=code)
        return ChargeResult(status="declined", decline=decline, invoice_status="open")

    @activity.defn(name="apply_po_number")
    async def apply_po_number(self, request: PoUpdate) -> None:
        self.calls.append(("apply_po_number", request))

    @activity.defn(name="resend_invoice")
    async def resend_invoice(self, invoice_id: str) -> None:
        self.calls.append(("resend_invoice", invoice_id))

    @activity.defn(name="update_customer_email")
    async def update_customer_email(self, request: ContactUpdate) -> None:
        self.calls.append(("update_customer_email", request))

    @activity.defn(name="apply_invoice_action")
    async def apply_invoice_action(self, request: InvoiceAction) -> None:
        self.calls.append(("apply_invoice_action", request))

    @activity.defn(name="create_task")
    async def create_task(self, request: TaskRequest) -> TaskReceipt:
        self.calls.append(("create_task", request))
        return TaskReceipt(task_id=f"task-{len(self.named('create_task'))}")

    @activity.defn(name="update_billing_contact")
    async def update_billing_contact(self, request: ContactUpdate) -> None:
        self.calls.append(("update_billing_contact", request))

    @activity.defn(name="send_email")
    async def send_email(self, request: EmailRequest) -> EmailReceipt:
        self.calls.append(("send_email", request))
        return EmailReceipt(message_id=f"msg-{len(self.named('send_email'))}")
