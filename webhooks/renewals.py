"""Renewals watched before they are charged: `invoice.upcoming` starts a `PreDunningWorkflow`,
and the renewal's own answer (paid, or failed) reaches the watch."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from activities.payments import RENEWAL_EXPANSIONS
from activities.stripe_answers import renewal_facts
from client.connection import start_watch
from dunning.contract.case import PreDunningContext
from dunning.contract.messages import InvoicePaid, StripeEvent
from dunning.contract.predunning import PreDunningStatus, watch_prefix
from dunning.errors import describe
from dunning.providers.renewals import RenewalFacts
from dunning.rules.policy import DunningPolicy
from dunning.rules.predunning import watch_of
from webhooks.events import WatchRenewal, object_id
from workflows.names import STATUS_QUERY
from workflows.predunning import PREDUNNING_WORKFLOW_TYPE, RENEWAL_FAILED, RENEWAL_PAID
from workflows.search_attributes import CUSTOMER_ID, equals, is_queryable

log = logging.getLogger("dunning.webhooks")
QUERY_TIMEOUT = timedelta(seconds=5)
"""A watch that cannot be read this fast is left out of the hand-off: the case opens anyway."""


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
        """Start the renewal's watch (once: the daily scan may have begun it), from the
        subscription as Stripe holds it."""
        if not self._policy.predunning:
            return "ignored: pre-dunning is off in the policy"
        announced = datetime.fromtimestamp(int(event.get("created") or 0), UTC)
        try:
            renewal = await asyncio.to_thread(self._read, plan, announced)
        except stripe.InvalidRequestError as err:
            return f"ignored: Stripe does not know {plan.subscription_id} ({err.user_message})"
        if renewal is None:
            return f"ignored: {plan.subscription_id} has no period end or no price"
        try:
            case = watch_of(renewal, self._policy, self._day_seconds)
        except ValidationError as err:
            return f"ignored: {plan.subscription_id}: {describe(err)}"
        started = await start_watch(self._client, case, self._task_queue)
        return f"watch {case.workflow_id} " + ("open" if started else "already begun")

    def _read(self, plan: WatchRenewal, announced: datetime) -> RenewalFacts | None:
        """The renewal from the subscription; the announced invoice stands in for a period
        end or a price the subscription does not show."""
        expand = [name.removeprefix("data.") for name in RENEWAL_EXPANSIONS]
        params: Any = {"expand": expand}
        subscription = self._stripe.v1.subscriptions.retrieve(plan.subscription_id, params)
        data = subscription.to_dict()
        data["current_period_end"] = data.get("current_period_end") or plan.renews_at
        data["currency"] = data.get("currency") or plan.currency
        data["customer"] = data.get("customer") or plan.customer_id
        if not (data.get("items") or {}).get("data"):
            data["items"] = {"data": [{"price": {"unit_amount": plan.amount}}]}
        return renewal_facts(data, announced)

    async def context_for(self, invoice: dict[str, Any]) -> PreDunningContext | None:
        """What the watch of the invoice's subscription asked and heard, for the dunning
        case of a renewal that failed anyway (None: no watch asked anything)."""
        subscription, customer = (
            object_id(invoice.get("subscription")),
            object_id(invoice.get("customer")),
        )
        if subscription is None or customer is None or not is_queryable(customer):
            return None
        query = f"{equals(CUSTOMER_ID, customer)} AND WorkflowType = '{PREDUNNING_WORKFLOW_TYPE}'"
        async for watch in self._client.list_workflows(query):
            if not watch.id.startswith(watch_prefix(subscription)):
                continue
            handle = self._client.get_workflow_handle(watch.id, run_id=watch.run_id)
            try:
                status = await handle.query(
                    STATUS_QUERY, result_type=PreDunningStatus, rpc_timeout=QUERY_TIMEOUT
                )
            except (RPCError, WorkflowQueryFailedError) as err:
                log.warning("watch %s not read for the hand-off: %s", watch.id, err)
                return None
            return status.context(watch.id) if status.asked or status.heard else None
        return None

    async def tell(self, invoice: dict[str, Any], kind: str, event_id: str) -> int:
        """Tell the running watches of the invoice's subscription how its renewal went;
        how many were told."""
        subscription, customer = (
            object_id(invoice.get("subscription")),
            object_id(invoice.get("customer")),
        )
        if subscription is None or customer is None or not is_queryable(customer):
            return 0
        query = (
            f"{equals(CUSTOMER_ID, customer)} AND ExecutionStatus = 'Running' "
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
