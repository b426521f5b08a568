"""The scripted providers registered under the real activity names, for workers of fakes
(with the real nap, which short waits on a compressed clock take)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.nap import nap
from dunning.machine.effects import ProviderRefused
from lab.scripted import SUCCEEDED, Card, Clock, ScriptedProviders

__all__ = ["SUCCEEDED", "Card", "FakeProviders"]


class ActivityClock(Clock):
    """Inside an activity, now is when the server scheduled it: virtual on the
    time-skipping server, as the workflow sees it."""

    def now(self) -> datetime | None:
        return activity.info().current_attempt_scheduled_time if activity.in_activity() else None


@dataclass
class FakeProviders(ScriptedProviders):
    """Stripe, HubSpot and SendGrid as the workflow sees them, scripted per test."""

    def __post_init__(self) -> None:
        self.clock = ActivityClock()

    def activities(self) -> list[Callable[..., Any]]:
        """The fakes, to register on a worker."""
        return [*(_as_activity(name, effect) for name, effect in self.effects()), nap]


def _as_activity(name: str, effect: Callable[..., Any]) -> Callable[..., Any]:
    async def run(request: Any) -> Any:
        try:
            return await effect(request, summary=name)
        except ProviderRefused as refused:
            # As the real activities report a provider's permanent refusal.
            raise ApplicationError(str(refused), non_retryable=True) from None

    # The activity's parameter type comes from the effect, so payloads decode to models.
    run.__annotations__ = {
        key: value for key, value in effect.__annotations__.items() if key != "summary"
    }
    return activity.defn(name=name)(run)
