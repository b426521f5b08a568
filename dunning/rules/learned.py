"""A retry plan learned from outcomes (`starter.py learn`): data inside the policy, so a
case captures it at start, replays deterministically, and a new model never changes a
running case."""

from typing import Annotated

from pydantic import Field, model_validator

from dunning.contract.enums import CustomerTier, PaymentMethodType
from dunning.rules.base import MAX_POLICY_DAYS, PolicyDays, PolicyModel

Weekday = Annotated[int, Field(ge=0, le=6)]
"""A day of the week, 0 for Monday."""
Hour = Annotated[int, Field(ge=0, le=23)]
"""An hour of the day."""


class RetryPlan(PolicyModel):
    """When one kind of soft decline is retried."""

    paydays: int = Field(default=0, ge=0, le=MAX_POLICY_DAYS // 15)
    """The first retries go out on this many paydays (the 1st and the 15th, at 00:01)
    after the failure, by the case's calendar."""
    days: tuple[PolicyDays, ...] = ()
    """The other retries, in days after the failure, in order."""
    weekly: int = Field(default=0, ge=0, le=MAX_POLICY_DAYS // 7)
    """The first retries go out on this many of `weekday`s (at 00:01) after the failure,
    by the case's calendar: a weekly payroll's paydays."""
    weekday: Weekday | None = None
    """The weekday of the `weekly` retries, 0 for Monday."""
    hour: Hour | None = None
    """The hour of the day, by the case's calendar, the retries between the first of
    `days` (the silent one) and the last go out at, each on its own day, unless that is
    not before the last. None: at the hour its day falls on."""

    @model_validator(mode="after")
    def _weekly_on_a_weekday(self) -> "RetryPlan":
        if self.weekly and self.weekday is None:
            raise ValueError("weekly retries need a weekday")
        return self

    @property
    def retries(self) -> int:
        """How many retries the plan makes."""
        return self.paydays + self.weekly + len(self.days)


class LearnedPlan(PolicyModel):
    """Retry timing fitted from closed cases' attempts. Where it has no plan for a case,
    the policy's `retries` schedule applies."""

    fitted_from: int = Field(ge=0)
    """How many attempts it was fitted from."""
    plans: dict[str, RetryPlan] = {}
    """By `method/tier`, e.g. `card/mid_market`, and by `method/tier/decline` where the
    retries of one decline code came back on a timing of their own, e.g.
    `card/mid_market/insufficient_funds`."""
    notes: tuple[str, ...] = ()
    """What the fit found, for the person who reviews the plan before it goes live."""

    def plan_for(
        self, method: PaymentMethodType, tier: CustomerTier, decline: str | None = None
    ) -> RetryPlan | None:
        """The plan for a case's payment method, tier and opening decline code: the
        decline's own, else the method's for the tier, if one was fitted."""
        own = self.plans.get(plan_key(method, tier, decline)) if decline else None
        return own or self.plans.get(plan_key(method, tier))


def plan_key(method: PaymentMethodType, tier: CustomerTier, decline: str | None = None) -> str:
    """The key of a plan in `LearnedPlan.plans`."""
    return f"{method}/{tier}/{decline}" if decline else f"{method}/{tier}"
