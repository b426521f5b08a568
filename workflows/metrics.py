"""The product's own counters, next to the SDK's metrics on the worker's Prometheus port.

Emitted through the workflow's metric meter, which the SDK silences during replay, so a
case counts once however often it is replayed.
"""

from temporalio import workflow

PREFIX = "dunning_"


def count(name: str, description: str, **attributes: str) -> None:
    """Add one to a counter, with labels."""
    meter = workflow.metric_meter()
    if attributes:
        meter = meter.with_additional_attributes(attributes)
    meter.create_counter(PREFIX + name, description).add(1)


def case_started() -> None:
    """A case opened."""
    count("cases_started", "Cases opened")


def case_closed(outcome: str, category: str) -> None:
    """A case closed with its outcome."""
    count("cases_closed", "Cases closed", outcome=outcome, category=category)


def charge_attempted(outcome: str) -> None:
    """A charge attempt was made."""
    count("charge_attempts", "Charge attempts", outcome=outcome)


def email_sent(template: str) -> None:
    """A customer email went out."""
    count("emails_sent", "Customer emails sent", template=template)


def task_routed(team: str) -> None:
    """A case was routed to a team."""
    count("tasks_routed", "Cases routed to internal teams", team=team)
