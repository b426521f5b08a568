"""A bank debit that Stripe accepted and the bank has not answered yet."""

from datetime import datetime

from pydantic import BaseModel

from dunning.contract.enums import Resolution


class PendingDebit(BaseModel):
    """An attempt whose money is still moving: ACH and SEPA debits stay `processing` for
    days. The attempt counts (and its resolution is credited) only once Stripe settles it."""

    attempt: int
    """The attempt number the debit was made under."""
    card: int
    """The payment method generation it was made on."""
    scheduled: bool
    """A retry of the schedule (not one a fix or a new payment method asked for)."""
    credit: Resolution
    """What the recovery is credited to if the debit settles."""
    charged_at: datetime
    """When the debit was made: the moment the attempt counts at."""
    check_at: datetime
    """When the case reads the debit again: its settlement event brings this to now; without
    one, the policy's `settlement_check_days` after the last look."""
    checks: int = 0
    """How many reads found it still processing."""
    answered_at: datetime | None = None
    """When Stripe's event says the bank answered, once one did."""


class ChargeOut(BaseModel):
    """A charge asked of Stripe whose answer the case has not recorded yet. What Stripe
    announces of the invoice meanwhile is most likely that charge's own answer (a debit the
    bank settled at once, a payment racing its response), so it waits for the answer to
    say what it meant, rather than close the case as paid by someone else."""

    answered: bool = False
    """Stripe announced the invoice paid or failed while the charge was out."""
    answered_on: datetime | None = None
    """The moment Stripe's event says it happened, when it said."""
    paid: bool = False
    """What Stripe announced was that the invoice is paid."""
