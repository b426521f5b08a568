"""`cases.jsonl`: one line per case, as `lab`, `backtest` and `export-cases` write it and
`learn` reads it."""

from datetime import datetime

from pydantic import Field, field_validator, model_validator

from dunning.contract.case import REAL_DAY_SECONDS
from dunning.contract.status import DunningStatus


class CaseLine(DunningStatus):
    """One case: its status, when its invoice failed, and how long its policy day was."""

    failed_at: datetime
    """When the invoice failed: the case's calendar counts from it."""
    day_seconds: int = Field(default=REAL_DAY_SECONDS, ge=1)
    """Seconds in the case's policy day (86,400 in production; fewer on a compressed clock)."""

    @field_validator("day_seconds", mode="before")
    @classmethod
    def _real_time_when_unknown(cls, value: object) -> object:
        # Lines exported before the ledger kept a case's day length say null: real time.
        return REAL_DAY_SECONDS if value is None else value

    @model_validator(mode="after")
    def _opened(self) -> "CaseLine":
        if not self.timeline:
            raise ValueError("timeline is empty: a case's timeline begins with its opening")
        return self

    @classmethod
    def of(cls, status: DunningStatus, failed_at: datetime, day_seconds: int) -> "CaseLine":
        """The line of a case's status."""
        return cls(**dict(status), failed_at=failed_at, day_seconds=day_seconds)
