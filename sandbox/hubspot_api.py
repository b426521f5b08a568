"""The subset of HubSpot's CRM API the worker uses."""

import re
import time
from datetime import UTC, datetime
from typing import Any

from sandbox.state import SandboxState

Reply = tuple[int, dict[str, Any], dict[str, str]]
EPOCH = "2024-01-01T00:00:00Z"


def handle(state: SandboxState, method: str, path: str, body: Any) -> Reply:
    """Answer one HubSpot request."""
    with state.lock:
        if method == "POST" and path == "/crm/v3/objects/companies/search":
            return _search_companies(state, body or {})
        if method == "POST" and path == "/crm/v3/objects/tasks":
            return _create_task(state, body or {})
        if method == "POST" and path == "/crm/v3/objects/tasks/search":
            shown = {k: v for k, v in state.tasks.items() if state.searchable(k)}
            return _search(shown, body or {})
        if match := re.fullmatch(r"/crm/v3/owners/([^/]+)", path):
            return _owner(state, match.group(1))
        if method == "PATCH" and (match := re.fullmatch(r"/crm/v3/objects/companies/(\d+)", path)):
            return _update_company(state, match.group(1), body or {})
    return _error(404, f"Unknown path {method} {path}", "OBJECT_NOT_FOUND")


def _object(object_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": object_id,
        "properties": properties,
        "createdAt": EPOCH,
        "updatedAt": datetime.now(UTC).isoformat(),
        "archived": False,
    }


def _error(status: int, message: str, category: str) -> Reply:
    return status, {"status": "error", "message": message, "category": category}, {}


def _search_companies(state: SandboxState, body: dict[str, Any]) -> Reply:
    return _search({k: {"properties": v} for k, v in state.companies.items()}, body)


def _search(objects: dict[str, dict[str, Any]], body: dict[str, Any]) -> Reply:
    """CRM search with EQ filters (the only operator the worker uses)."""
    wanted = [
        (f.get("propertyName"), f.get("value"))
        for group in body.get("filterGroups") or []
        for f in group.get("filters") or []
    ]
    if not wanted:
        return _error(400, "filterGroups: at least one filter is required", "VALIDATION_ERROR")
    results = [
        _object(object_id, record["properties"])
        for object_id, record in objects.items()
        if all(record["properties"].get(name) == value for name, value in wanted)
    ]
    return 200, {"total": len(results), "results": results[: body.get("limit") or 10]}, {}


def _owner(state: SandboxState, owner_id: str) -> Reply:
    for customer in state.world.customers:
        owner = customer.owner
        if owner and owner.id == owner_id:
            first, _, last = (owner.name or "").partition(" ")
            return (
                200,
                {
                    "id": owner.id,
                    "email": owner.email,
                    "firstName": first,
                    "lastName": last,
                    "userId": int(owner.id) if owner.id.isdigit() else None,
                    "createdAt": EPOCH,
                    "updatedAt": EPOCH,
                    "archived": False,
                },
                {},
            )
    return _error(404, f"Owner {owner_id} not found", "OBJECT_NOT_FOUND")


def _create_task(state: SandboxState, body: dict[str, Any]) -> Reply:
    properties = body.get("properties") or {}
    if not properties.get("hs_task_subject"):
        return _error(400, "Property hs_task_subject is required", "VALIDATION_ERROR")
    task_id = str(70001 + len(state.tasks))
    state.tasks[task_id] = {
        "properties": properties,
        "associations": body.get("associations") or [],
    }
    state.created[task_id] = time.monotonic()
    return 201, _object(task_id, properties), {}


def _update_company(state: SandboxState, company_id: str, body: dict[str, Any]) -> Reply:
    company = state.companies.get(company_id)
    if company is None:
        return _error(404, f"Company {company_id} not found", "OBJECT_NOT_FOUND")
    company.update({k: str(v) for k, v in (body.get("properties") or {}).items()})
    return 200, _object(company_id, company), {}
