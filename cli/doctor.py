"""`python starter.py doctor`: checks what the APIs let it check, and says plainly what is
wrong: Temporal (the namespace, the search attributes, a worker on the task queue), the
provider keys, and Stripe's webhook endpoint with the events the webhook service needs."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.clients import hubspot_client, sendgrid_client, stripe_client
from activities.crm import CrmActivities
from activities.email import EmailActivities
from client.connection import connect
from dunning.settings import Settings
from webhooks.events import HANDLED_EVENTS
from workflows import search_attributes

WEBHOOK_PATH = "/stripe/webhook"
POLLER_LOOKS, POLLER_LOOK_SECONDS = 10, 0.3
"""A worker has about three seconds to show it polls the task queue."""
PROBE = "doctor-probe"


@dataclass(frozen=True)
class Finding:
    """One check's result: what was checked, and what is wrong (None: nothing)."""

    check: str
    problem: str | None
    detail: str = ""

    def line(self) -> str:
        """How the finding is printed."""
        if self.problem is None:
            return f"ok    {self.check}" + (f": {self.detail}" if self.detail else "")
        return f"FAIL  {self.check}: {self.problem}"


async def diagnose(settings: Settings) -> list[Finding]:
    """Every check, in the order a deployment is set up."""
    findings: list[Finding] = []
    try:
        client = await connect(settings)
    except Exception as err:  # any failure to connect is the finding itself
        findings.append(Finding("temporal", f"cannot connect ({err}); check TEMPORAL_ADDRESS"))
    else:
        findings += [await _namespace(client), await _search_attributes(client)]
        findings.append(await _task_queue(client, settings.task_queue))
    for check, probe in _provider_probes(settings):
        findings.append(await _probe(check, probe))
    findings.append(await asyncio.to_thread(_webhook_endpoint, settings))
    findings.append(await asyncio.to_thread(_charge_list, settings))
    if not settings.webhook_secrets():
        problem = "STRIPE_WEBHOOK_SECRETS is empty: the webhook service would refuse every event"
        findings.append(Finding("webhook secret", problem))
    else:
        findings.append(Finding("webhook secret", None, f"{len(settings.webhook_secrets())} set"))
    return findings


async def _namespace(client: Client) -> Finding:
    try:
        await client.count_workflows("WorkflowType = 'DunningWorkflow'")
    except RPCError as err:
        return Finding("namespace", f"{client.namespace}: {err.message}")
    return Finding("namespace", None, client.namespace)


async def _search_attributes(client: Client) -> Finding:
    request = ListSearchAttributesRequest(namespace=client.namespace)
    try:
        listed = await client.operator_service.list_search_attributes(request)
    except RPCError as err:
        return Finding("search attributes", f"cannot list them: {err.message}")
    have = dict(listed.custom_attributes)
    wrong = [
        key.name
        for key in search_attributes.ALL_KEYS
        if have.get(key.name) != IndexedValueType.ValueType(key.indexed_value_type)
    ]
    if wrong:
        missing = ", ".join(sorted(wrong))
        return Finding("search attributes", f"missing or of another type: {missing}")
    return Finding("search attributes", None, f"all {len(search_attributes.ALL_KEYS)}")


async def _task_queue(client: Client, task_queue: str) -> Finding:
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    # A worker that has just (re)started may not have polled yet: look a few times.
    for _ in range(POLLER_LOOKS):
        try:
            described = await client.workflow_service.describe_task_queue(request)
        except RPCError as err:
            return Finding("task queue", f"{task_queue}: {err.message}")
        if described.pollers:
            break
        await asyncio.sleep(POLLER_LOOK_SECONDS)
    if not described.pollers:
        problem = f"no worker polls {task_queue!r}: start `python worker.py`"
        return Finding("task queue", problem)
    return Finding("task queue", None, f"{task_queue}, {len(described.pollers)} poller(s)")


def _provider_probes(settings: Settings) -> list[tuple[str, Callable[[], Any]]]:
    crm = CrmActivities(hubspot_client(settings), settings.http_timeout_seconds)
    email = EmailActivities(sendgrid_client(settings), settings.email_from)
    return [
        ("hubspot", lambda: crm.lookup_account("cus_doctorprobe")),
        ("sendgrid email activity", lambda: email.already_sent(PROBE)),
    ]


async def _probe(check: str, probe: Callable[[], Any]) -> Finding:
    try:
        await asyncio.to_thread(probe)
    except ApplicationError as err:
        return Finding(check, err.message)
    return Finding(check, None, "the key is accepted")


def _webhook_endpoint(settings: Settings) -> Finding:
    """Stripe's key, and an enabled endpoint sending the events the service handles."""
    try:
        endpoints = stripe_client(settings).v1.webhook_endpoints.list()
    except stripe.StripeError as err:
        return Finding("stripe", f"{err.http_status or 'no answer'}: {err.user_message or err}")
    ours = [e for e in endpoints.data if str(e.url).rstrip("/").endswith(WEBHOOK_PATH)]
    if not ours:
        return Finding("stripe webhook", f"no endpoint ends with {WEBHOOK_PATH}")
    for endpoint in ours:
        enabled = set(endpoint.enabled_events or [])
        missing = sorted(set(HANDLED_EVENTS) - enabled) if "*" not in enabled else []
        if endpoint.status != "enabled":
            return Finding("stripe webhook", f"{endpoint.url} is {endpoint.status}")
        if missing:
            return Finding("stripe webhook", f"{endpoint.url} does not send {', '.join(missing)}")
    return Finding("stripe webhook", None, f"{ours[0].url}, every event the service handles")


def _charge_list(settings: Settings) -> Finding:
    """A card retry counts the card's other charges, which the key must be allowed to list."""
    try:
        stripe_client(settings).v1.charges.list({"limit": 1})
    except stripe.StripeError as err:
        why = f"{err.http_status or 'no answer'}: {err.user_message or err}"
        problem = f"the key may not list charges ({why}): caps count this product's charges only"
        return Finding("stripe charges", problem)
    return Finding("stripe charges", None, "listed: card caps count every charge on a card")


async def run(settings: Settings | None = None) -> int:
    """Print every finding; 0 when all is well, 1 otherwise."""
    findings = await diagnose(settings or Settings.from_env())
    for finding in findings:
        print(finding.line())
    failed = [f for f in findings if f.problem is not None]
    print("all checks passed" if not failed else f"{len(failed)} problem(s) found")
    return 1 if failed else 0
