"""HubSpot: the account's facts, found by the Stripe customer id, and tasks for its owner."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import hubspot
from hubspot.crm.companies import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate
from temporalio import activity
from urllib3.exceptions import HTTPError as TransportError

from activities.errors import provider_error
from activities.once import before_sending
from dunning.contract.enums import CustomerTier
from dunning.providers.facts import AccountFacts, Person
from dunning.providers.requests import ContactUpdate, TaskReceipt, TaskRequest

COMPANY_PROPERTIES = [
    "name",
    "stripe_customer_id",
    "dunning_tier",
    "hubspot_owner_id",
    "po_required",
    "contract_amount",
    "annual_contract_value",
    "ap_contact_name",
    "ap_contact_email",
    "ap_contact_bounced",
    "invoice_approval_pending",
]
TASK_TO_COMPANY = 192
"""HubSpot's association type id for task → company."""
T = TypeVar("T")


class CrmActivities:
    """HubSpot activities, holding one `hubspot.Client`."""

    def __init__(
        self,
        client: hubspot.Client,
        timeout_seconds: float = 20.0,
        search_settle: timedelta = timedelta(),
    ) -> None:
        self._hubspot = client
        self._timeout = timeout_seconds
        self._settle = search_settle

    @activity.defn
    def read_account(self, customer_id: str) -> AccountFacts:
        """The account alone, for a renewal watch (a case reads it in `read_case_facts`)."""
        return self.lookup_account(customer_id)

    def lookup_account(self, customer_id: str) -> AccountFacts:
        """The account's tier, owner, AP contact, PO rule and contract, by Stripe customer."""
        search = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(property_name="stripe_customer_id", operator="EQ", value=customer_id)
                    ]
                )
            ],
            properties=COMPANY_PROPERTIES,
            limit=1,
        )
        companies = self._hubspot.crm.companies
        page = _call(
            lambda: companies.search_api.do_search(
                public_object_search_request=search, _request_timeout=self._timeout
            )
        )
        if not page.results:
            return AccountFacts(found=False)
        company = page.results[0]
        props: dict[str, Any] = company.properties or {}
        owner_id = props.get("hubspot_owner_id") or None
        ap_email = props.get("ap_contact_email") or None
        return AccountFacts(
            company_id=str(company.id),
            tier=_tier(props.get("dunning_tier")),
            owner_id=owner_id,
            owner=self._owner(owner_id) if owner_id else None,
            ap_contact=Person(name=props.get("ap_contact_name"), email=ap_email)
            if ap_email
            else None,
            ap_contact_bounced=_flag(props.get("ap_contact_bounced")),
            po_required=_flag(props.get("po_required")),
            contract_amount=_int(props.get("contract_amount")),
            annual_contract_value=_int(props.get("annual_contract_value")),
            approval_pending=_flag(props.get("invoice_approval_pending")),
        )

    def _owner(self, owner_id: str) -> Person | None:
        owners = self._hubspot.crm.owners.owners_api
        owner = _call(lambda: owners.get_by_id(int(owner_id), _request_timeout=self._timeout))
        if not owner.email:
            return None
        name = " ".join(p for p in (owner.first_name, owner.last_name) if p) or None
        return Person(name=name, email=owner.email)

    @activity.defn
    def create_task(self, request: TaskRequest) -> TaskReceipt:
        """A task for the account owner, associated with the company.

        The task carries the request's `dedupe_key`; a retry first looks for a task with that
        key, so an answer lost after HubSpot created the task never creates a second one; the
        search lags, so a retry that finds nothing waits for it to settle (`activities.once`).
        """
        if activity.info().attempt > 1:
            existing = self._task_with(request.dedupe_key)
            if existing is not None:
                return TaskReceipt(task_id=existing)
        before_sending("hubspot", self._settle)
        properties = {
            "hs_task_subject": request.subject,
            "hs_task_body": request.body,
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_timestamp": activity.info().started_time.isoformat(),
            "dunning_case_ref": request.case_ref,
            "dunning_team": request.team.value,
            "dunning_dedupe_key": request.dedupe_key,
        }
        if request.owner_id:
            properties["hubspot_owner_id"] = request.owner_id
        associations = []
        if request.company_id:
            associations.append(
                {
                    "to": {"id": request.company_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": TASK_TO_COMPANY,
                        }
                    ],
                }
            )
        body = SimplePublicObjectInputForCreate(properties=properties, associations=associations)
        tasks = self._hubspot.crm.objects.tasks.basic_api
        created = _call(
            lambda: tasks.create(
                simple_public_object_input_for_create=body, _request_timeout=self._timeout
            )
        )
        return TaskReceipt(task_id=str(created.id))

    def _task_with(self, dedupe_key: str) -> str | None:
        search = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(property_name="dunning_dedupe_key", operator="EQ", value=dedupe_key)
                    ]
                )
            ],
            properties=["dunning_dedupe_key"],
            limit=1,
        )
        tasks = self._hubspot.crm.objects.tasks.search_api
        page = _call(
            lambda: tasks.do_search(
                public_object_search_request=search, _request_timeout=self._timeout
            )
        )
        return str(page.results[0].id) if page.results else None

    @activity.defn
    def update_billing_contact(self, request: ContactUpdate) -> None:
        """Record the corrected AP contact on the company."""
        if request.company_id is None:
            return
        properties = {
            "ap_contact_email": request.email,
            "ap_contact_name": request.name or "",
            "ap_contact_bounced": "false",
        }
        companies = self._hubspot.crm.companies.basic_api
        company_id = request.company_id
        _call(
            lambda: companies.update(
                company_id,
                simple_public_object_input=SimplePublicObjectInput(properties=properties),
                _request_timeout=self._timeout,
            )
        )


def _call(request: Callable[[], T]) -> T:
    """HubSpot raises one `ApiException` for every status: classify it by `.status`."""
    try:
        return request()
    except TransportError as err:
        raise provider_error("hubspot", None, str(err)) from err
    except Exception as err:
        status = getattr(err, "status", None)
        if not isinstance(status, int) or status == 0:
            raise
        headers = dict(getattr(err, "headers", None) or {})
        raise provider_error(
            "hubspot", status, getattr(err, "reason", "") or str(err), headers
        ) from err


def _tier(raw: str | None) -> CustomerTier:
    try:
        return CustomerTier(raw or CustomerTier.SELF_SERVE)
    except ValueError:
        return CustomerTier.SELF_SERVE


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"true", "yes", "1"}


def _int(raw: str | None) -> int | None:
    try:
        return int(float(raw)) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None
