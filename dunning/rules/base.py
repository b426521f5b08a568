"""The base of every policy model."""

from pydantic import BaseModel, ConfigDict


class PolicyModel(BaseModel):
    """Base of the policy models: immutable, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
