"""What the planner can decide: one thing to do now, or how long to wait."""

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from dunning.contract.enums import EmailTemplate, OperatorAction, Team
from dunning.contract.status import NextAction
from dunning.rules.policy import EndStateRule


class Precedence(IntEnum):
    """Which of two things due at the same moment goes first."""

    HAND_OFF = 0
    """The account owner and escalations: a person hears before the customer does."""
    RETRY = 1
    """A retry comes before any email, which goes out only if the retry failed."""
    ASK = 2
    """The AP contact is asked for the one missing thing at once..."""
    ROUTE = 3
    """...and the team that fixes it is told next, the request in its task's timeline."""
    REMIND = 4
    FINAL_NOTICE = 5
    END_STATE = 6


@dataclass(frozen=True)
class Charge:
    """Charge the invoice (attempt `number`)."""

    number: int
    scheduled: bool


@dataclass(frozen=True)
class SendEmail:
    """Send one email step to the customer."""

    step: str
    template: EmailTemplate
    to: str


@dataclass(frozen=True)
class Route:
    """Hand the case to a team through a CRM task for the account owner."""

    key: str
    team: Team
    reason: str
    reviewed_again: bool = False
    """The case stays on hold after this hand-off and is put to review again later."""


@dataclass(frozen=True)
class ApplyPo:
    """Put the received PO on the invoice (and re-send a sent invoice)."""

    po_number: str


@dataclass(frozen=True)
class ApplyContact:
    """Write the received billing contact to Stripe and the CRM."""


@dataclass(frozen=True)
class Recheck:
    """Re-read the facts and classify again, after an internal fix."""


@dataclass(frozen=True)
class ReadSettlement:
    """Ask Stripe whether the settling bank debit has settled."""


@dataclass(frozen=True)
class ApplyEndState:
    """Apply the tier's end action and close the case."""

    rule: EndStateRule


@dataclass(frozen=True)
class CloseByOperator:
    """Carry out an operator's closing decision (write off, paid offline)."""

    action: OperatorAction


@dataclass(frozen=True)
class Wait:
    """Nothing is due: sleep until `until` (None: until a person acts)."""

    until: datetime | None
    next_action: NextAction


Action = (
    Charge
    | SendEmail
    | Route
    | ApplyPo
    | ApplyContact
    | Recheck
    | ReadSettlement
    | ApplyEndState
    | CloseByOperator
)
"""A decision that does something now."""
Decision = Action | Wait
