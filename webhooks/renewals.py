"""Renewals watched before they are charged: `invoice.upcoming` starts a `PreDunningWorkflow`,
and the renewal's own answer (paid, or failed) reaches the watch."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import stripe
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from dunning.contract.case import REAL_DAY_SECONDS, CaseOptions
from dunning.contract.messages import InvoicePaid, StripeEvent
from dunning.contract.predunning import PreDunningCase, watch_prefix
from dunning.errors import describe
from dunning.rules.policy import DunningPolicy
from webhooks.events import WatchRenewal, object_id
from workflows import search_attributes
from workflows.predunning import (
    PREDUNNING_WORKFLOW_TYPE,
    RENEWAL_FAILED,
    RENEWAL_PAID,
    PreDunningWorkflow,
)


class RenewalWatches:
    """Starts and tells the watches, reading Stripe for what an event does not carry."""

    def __init__(
        self,
        client: Client,
        stripe_client: stripe.StripeClient,
        task_queue: str,
        policy: DunningPolicy,
        day_seconds: int,
    ) -> None:
        self._client, self._stripe, self._task_queue = client, stripe_client, task_queue
        self._policy, self._day_seconds = policy, day_seconds

    async def watch(self, plan: WatchRenewal, event: dict[str, Any]) -> str:
        """Start the renewal's watch (once), with its card and the customer's email."""
        try:
            subscription, customer = await asyncio.to_thread(self._read, plan)
        except stripe.InvalidRequestError as err:
            return f"ignored: Stripe does not know {plan.subscription_id} ({err.user_message})"
        card = ((subscription.get("default_payment_method") or {}).get("card")) or {}
        announced = int(event.get("created") or 0)
        try:
            case = PreDunningCase(
                subscription_id=plan.subscription_id,
                customer_id=plan.customer_id,
                amount=plan.amount,
                currency=plan.currency,
                renews_on=datetime.fromtimestamp(plan.renews_at, UTC),
                days_to_renewal=max(plan.renews_at - announced, 0) / REAL_DAY_SECONDS,
                card_exp_month=card.get("exp_month"),
                card_exp_year=card.get("exp_year"),
                email=customer.get("email"),
                options=CaseOptions(day_seconds=self._day_seconds),
                policy=self._policy,
            )
        except ValidationError as err:
            return f"ignored: {plan.subscription_id}: {describe(err)}"
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(search_attributes.CUSTOMER_ID, case.customer_id),
                SearchAttributePair(search_attributes.CURRENCY, case.currency),
                SearchAttributePair(search_attributes.AMOUNT_DUE, case.amount),
            ]
        )
        await self._client.start_workflow(
            PreDunningWorkflow.run,
            case,
            id=case.workflow_id,
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=attributes,
            static_summary=f"Pre-dunning {case.subscription_id}: renews {case.renews_on:%Y-%m-%d}",
        )
        return f"watch {case.workflow_id} open"

    def _read(self, plan: WatchRenewal) -> tuple[dict[str, Any], dict[str, Any]]:
        params: Any = {"expand": ["default_payment_method"]}
        subscription = self._stripe.v1.subscriptions.retrieve(plan.subscription_id, params)
        customer = self._stripe.v1.customers.retrieve(plan.customer_id)
        return subscription.to_dict(), customer.to_dict()

    async def tell(self, invoice: dict[str, Any], kind: str, event_id: str) -> int:
        """Tell the running watches of the invoice's subscription how its renewal went;
        how many were told."""
        subscription, customer = (
            object_id(invoice.get("subscription")),
            object_id(invoice.get("customer")),
        )
        if subscription is None or customer is None:
            return 0
        query = (
            f"CustomerId = '{customer}' AND ExecutionStatus = 'Running' "
            f"AND WorkflowType = '{PREDUNNING_WORKFLOW_TYPE}'"
        )
        told = 0
        async for watch in self._client.list_workflows(query):
            if not watch.id.startswith(watch_prefix(subscription)):
                continue
            handle = self._client.get_workflow_handle(watch.id)
            if kind == "invoice.paid":
                await handle.signal(RENEWAL_PAID, InvoicePaid(source_event_id=event_id))
            else:
                await handle.signal(
                    RENEWAL_FAILED, StripeEvent(type=kind, source_event_id=event_id)
                )
            told += 1
        return told
