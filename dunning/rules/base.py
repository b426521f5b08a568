"""The base of every policy model, and the spans of time a policy counts in."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_POLICY_DAYS = 3_650
"""Ten years: no schedule of a case reaches that far, and every moment it names stays well
inside the calendar."""

PolicyDays = Annotated[float, Field(ge=0, le=MAX_POLICY_DAYS)]
"""Policy days: a day of a case's schedule, or days between two of its steps."""
PolicyHours = Annotated[float, Field(ge=0, le=MAX_POLICY_DAYS * 24)]
"""Hours of a policy's gaps and windows."""


class PolicyModel(BaseModel):
    """Base of the policy models: immutable, unknown fields and numbers that are not finite
    refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
