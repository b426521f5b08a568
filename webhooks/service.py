"""`POST /stripe/webhook`: verify, de-duplicate, re-read Stripe, then start or signal cases.

- A bad or stale signature, or a body that is not a Stripe event: 400, nothing changes.
- An event already handled (same id): 200, nothing changes. Concurrent deliveries are
  de-duplicated by the cases themselves, which remember the event ids they acted on.
- A failure event older than the close of the invoice's last case (a redelivery this
  service no longer remembers): 200, nothing reopens.
- An event this service does not handle: 200, logged.
- Temporal or Stripe unavailable: 503, so Stripe delivers the event again later.
"""

import asyncio
import json
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import stripe
from aiohttp import web
from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from client.connection import start_case, start_dispute
from dunning.contract.case import REAL_DAY_SECONDS
from dunning.contract.dispute import DisputeCase
from dunning.contract.enums import Outcome
from dunning.contract.messages import Signals, StripeEvent
from dunning.errors import InputError, describe
from dunning.providers.facts import SETTLED_STATUSES
from dunning.rules.policy import DunningPolicy
from webhooks.events import (
    CASE_OPENING_EVENTS,
    Ignore,
    MalformedEvent,
    OpenCase,
    Plan,
    RouteDispute,
    SignalCase,
    SignalCustomerCases,
    WatchRenewal,
    created_at,
    object_id,
    plan_event,
)
from webhooks.renewals import RenewalWatches
from webhooks.signature import BadSignature, verify
from webhooks.stripe_invoices import case_from_invoice, read_charge, read_invoice
from workflows.dunning import DunningWorkflow
from workflows.names import WORKFLOW_TYPE
from workflows.predunning import PREDUNNING_WORKFLOW_TYPE
from workflows.search_attributes import CUSTOMER_ID, equals

MAX_BODY_BYTES = 512 * 1024
REMEMBERED_EVENTS = 10_000
log = logging.getLogger("dunning.webhooks")


class WebhookService:
    """The handler and what it needs: Temporal, Stripe, the secrets, the task queue."""

    def __init__(
        self,
        client: Client,
        stripe_client: stripe.StripeClient,
        secrets: list[str],
        task_queue: str,
        policy: DunningPolicy,
        day_seconds: int = REAL_DAY_SECONDS,
    ) -> None:
        self._client, self._stripe = client, stripe_client
        self._secrets, self._task_queue, self._policy = secrets, task_queue, policy
        self._day_seconds = day_seconds
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._watches = RenewalWatches(client, stripe_client, task_queue, policy, day_seconds)

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/stripe/webhook", self.handle)
        app.router.add_get("/healthz", _healthy)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        """One delivery from Stripe."""
        body = await request.read()
        try:
            verify(body, request.headers.get("Stripe-Signature"), self._secrets)
            event = json.loads(body)
            plan = plan_event(event)
        except BadSignature as err:
            return _answer(400, error=f"bad signature: {err}")
        except (json.JSONDecodeError, UnicodeDecodeError, MalformedEvent) as err:
            return _answer(400, error=f"malformed event: {err}")
        event_id = event["id"]
        if event_id in self._handled:
            return _answer(200, result="duplicate: already handled")
        try:
            result = await self._act(plan, event)
        except (RPCError, stripe.APIConnectionError, stripe.APIError) as err:
            log.warning("event %s not handled yet: %s", event_id, err)
            return _answer(503, error="temporarily unavailable, deliver again")
        self._remember(event_id)
        log.info("event %s (%s): %s", event_id, event["type"], result)
        return _answer(200, result=result)

    def _remember(self, event_id: str) -> None:
        self._handled[event_id] = None
        while len(self._handled) > REMEMBERED_EVENTS:
            self._handled.popitem(last=False)

    async def _act(self, plan: Plan, event: dict[str, Any]) -> str:
        if isinstance(plan, Ignore):
            return f"ignored: {plan.reason}"
        if isinstance(plan, SignalCustomerCases):
            return await self._signal_customer(plan)
        if isinstance(plan, RouteDispute):
            return await self._route_dispute(plan, event)
        if isinstance(plan, WatchRenewal):
            return await self._watches.watch(plan, event)
        try:
            invoice = await asyncio.to_thread(read_invoice, self._stripe, plan.invoice_id)
        except stripe.InvalidRequestError as err:
            return f"ignored: Stripe does not know invoice {plan.invoice_id} ({err.user_message})"
        status = invoice.get("status")
        result = await self._on_invoice(plan, invoice, event)
        renewal_answer = event["type"] in CASE_OPENING_EVENTS or (
            event["type"] == "invoice.paid" and status == "paid"
        )
        if renewal_answer:
            told = await self._watches.tell(invoice, event["type"], event["id"])
            result += f"; {told} renewal watch(es) told" if told else ""
        return result

    async def _on_invoice(
        self, plan: OpenCase | SignalCase, invoice: dict[str, Any], event: dict[str, Any]
    ) -> str:
        status = invoice.get("status")
        if isinstance(plan, OpenCase):
            return await self._open(invoice, event)
        if status not in plan.confirmed_by:
            return f"ignored: the invoice is {status} in Stripe, the event is stale"
        signal, payload = plan.message(invoice)
        return await self._signal(f"dunning-{plan.invoice_id}", signal, payload)

    async def _open(self, invoice: dict[str, Any], event: dict[str, Any]) -> str:
        if invoice.get("status") in SETTLED_STATUSES:
            return f"ignored: the invoice is already {invoice.get('status')} in Stripe"
        failed_at = _happened(event)
        try:
            case = case_from_invoice(invoice, failed_at, self._day_seconds)
        except InputError as err:
            return f"ignored: {err}"
        watched = await self._watches.context_for(invoice)
        case = case.model_copy(update={"predunning": watched})
        closed_at = await self._closed_since(case.workflow_id, failed_at)
        if closed_at is not None:
            when = f"{closed_at:%Y-%m-%d %H:%M:%S}"
            return f"ignored: the invoice's case closed at {when}, after this event"
        note = StripeEvent(type=event["type"], source_event_id=event["id"], occurred_at=failed_at)
        handle = await start_case(
            self._client,
            case,
            self._task_queue,
            self._policy,
            start_signal=(Signals.STRIPE_EVENT, note),
        )
        return f"case {handle.id} open"

    async def _closed_since(self, workflow_id: str, event_at: datetime) -> datetime | None:
        """When the invoice's last case closed, if it closed after the event was created:
        the event is one that case already answered (redelivered, perhaps after a restart
        of this service), and an operator who stopped it stays obeyed. A failure after the
        close is new, and opens a new case."""
        try:
            described = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return None
            raise
        closed = described.close_time
        return closed if closed is not None and closed >= event_at else None

    async def _route_dispute(self, plan: RouteDispute, event: dict[str, Any]) -> str:
        """Route a dispute on a charge whose invoice a case recovered, once."""
        try:
            charge = await asyncio.to_thread(read_charge, self._stripe, plan.charge_id)
        except stripe.InvalidRequestError as err:
            return f"ignored: Stripe does not know charge {plan.charge_id} ({err.user_message})"
        invoice_id, customer_id = (
            object_id(charge.get("invoice")),
            object_id(charge.get("customer")),
        )
        if invoice_id is None or customer_id is None:
            return f"ignored: charge {plan.charge_id} paid no invoice"
        if not await self._recovered(f"dunning-{invoice_id}"):
            return f"ignored: no case recovered invoice {invoice_id}"
        try:
            dispute = DisputeCase(
                dispute_id=plan.dispute_id,
                charge_id=plan.charge_id,
                invoice_id=invoice_id,
                customer_id=customer_id,
                amount=plan.amount,
                currency=plan.currency,
                reason=plan.reason,
                opened_at=_happened(event),
                team=self._policy.dispute_team,
                owner_id=self._policy.team_owners.get(self._policy.dispute_team),
            )
        except ValidationError as err:
            return f"ignored: dispute {plan.dispute_id}: {describe(err)}"
        started = await start_dispute(self._client, dispute, self._task_queue)
        return f"dispute {dispute.workflow_id} " + ("open" if started else "already routed")

    async def _recovered(self, workflow_id: str) -> bool:
        """Whether the invoice's case closed as recovered."""
        handle = self._client.get_workflow_handle_for(DunningWorkflow.run, workflow_id)
        try:
            described = await handle.describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        if described.status is not WorkflowExecutionStatus.COMPLETED:
            return False
        return (await handle.result()).outcome is Outcome.RECOVERED

    async def _signal(self, workflow_id: str, signal: str, payload: BaseModel) -> str:
        try:
            await self._client.get_workflow_handle(workflow_id).signal(signal, payload)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return f"ignored: no open case {workflow_id}"
            raise
        return f"{signal} sent to {workflow_id}"

    async def _signal_customer(self, plan: SignalCustomerCases) -> str:
        # The customer's dunning cases, and the watches of their coming renewals.
        query = (
            f"{equals(CUSTOMER_ID, plan.customer_id)} AND ExecutionStatus = 'Running' "
            f"AND WorkflowType IN ('{WORKFLOW_TYPE}', '{PREDUNNING_WORKFLOW_TYPE}')"
        )
        sent = [
            await self._signal(case.id, Signals.PAYMENT_METHOD_UPDATED, plan.payload)
            async for case in self._client.list_workflows(query)
        ]
        return f"payment_method_updated sent to {len(sent)} open case(s)"


async def _healthy(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def _answer(status: int, **body: str) -> web.Response:
    return web.json_response(body, status=status)


def _happened(event: dict[str, Any]) -> datetime:
    """When Stripe says the event happened (the epoch when it does not say)."""
    return created_at(event) or datetime.fromtimestamp(0, UTC)
