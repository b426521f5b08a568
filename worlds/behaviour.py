"""How a world's customers and cards behave (CONTRACT.md, "Behavioural worlds"): not a
script of answers, so that when and what the product does changes what it recovers."""

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dunning.contract.enums import EmailTemplate
from worlds.clock import WorldDays


class BehaviourModel(BaseModel):
    """Base of behaviour entries: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerAction(StrEnum):
    """What a customer does in reaction to an email."""

    UPDATE_PAYMENT_METHOD = "update_payment_method"
    PAY = "pay"
    PROVIDE_PO = "provide_po"
    CORRECT_CONTACT = "correct_contact"


class Reaction(BehaviourModel):
    """What the customer does after the first email of a template (or any email)."""

    to: EmailTemplate | Literal["any"]
    """The email that moves them; `any`: the first email of any template."""
    after_days: WorldDays
    """How many world days after that email they act."""
    does: CustomerAction
    """What they do."""
    po_number: str | None = Field(default=None, min_length=1, max_length=100)
    """For `provide_po`: the PO number they send."""
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """For `correct_contact`: the right billing contact."""
    new_card_fails: bool = False
    """For `update_payment_method`: charges on the new card fail too."""

    def answers(self, received: Sequence[str]) -> bool:
        """Whether the email just received (the last of `received`, every template the
        customer received in order) moves them: the first of its template, or for `any`
        the first email at all."""
        template = received[-1]
        first_of_template = list(received).count(template) == 1
        return (self.to == template and first_of_template) or (
            self.to == "any" and len(received) == 1
        )

    @model_validator(mode="after")
    def _says_what_it_needs(self) -> "Reaction":
        if self.does is CustomerAction.PROVIDE_PO and self.po_number is None:
            raise ValueError("po_number is required when does is 'provide_po'")
        if self.does is CustomerAction.CORRECT_CONTACT and self.email is None:
            raise ValueError("email is required when does is 'correct_contact'")
        return self


class Behaviour(BehaviourModel):
    """How one invoice's customer and card behave."""

    funds_return_day: WorldDays | None = None
    """Charges on the original card before this world day are declined with the invoice's
    failure; at or after it they succeed. null: the card never recovers by itself."""
    reactions: tuple[Reaction, ...] = ()
    """What the customer does after the emails they receive."""
    pays_on_day: WorldDays | None = None
    """The customer pays by themselves on this world day (an AP run, a wire, a check)."""
    settles_after_days: WorldDays | None = None
    """Bank debits: days a charge stays processing before it settles or is returned."""
