"""What Stripe answers for each decline the sandbox can play, written from Stripe's
documentation (the decline-code reference, the card-error object, and the test cards'
documented answers), independently of the product's classifier: a wrong table in the
product fails the tests instead of agreeing with itself.

Network decline codes are the issuers' ISO 8583 response codes Stripe passes through:
51 insufficient funds, 05 do not honor, 61 exceeds withdrawal limit, 41 lost, 43 stolen,
04 pick up card, 59 suspected fraud, 54 expired card, N7 CVV2 mismatch, 1A additional
customer authentication required, 96 system malfunction, 91 issuer unavailable.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from dunning.contract.case import FailureDetails
from worlds.fees import MASTERCARD_NEVER, VISA_CATEGORY_1, CardCharge


@dataclass(frozen=True)
class DeclineShape:
    """The fields of Stripe's card error for one decline."""

    code: str
    """The error's `code`: `card_declined`, or the specific code Stripe uses instead."""
    advice_code: str | None
    """Stripe's advice (`try_again_later`, `do_not_try_again`, `confirm_card_data`)."""
    network_decline_code: str | None
    """The issuer's response code as the network passed it on."""
    message: str
    """The message Stripe shows."""


DECLINED = "Your card was declined."
SHAPES: dict[str, DeclineShape] = {
    "insufficient_funds": DeclineShape(
        "card_declined", "try_again_later", "51", "Your card has insufficient funds."
    ),
    "generic_decline": DeclineShape("card_declined", "try_again_later", "05", DECLINED),
    "do_not_honor": DeclineShape("card_declined", "try_again_later", "05", DECLINED),
    "card_velocity_exceeded": DeclineShape(
        "card_declined", "try_again_later", "61", "Your card has exceeded its limit."
    ),
    "try_again_later": DeclineShape("card_declined", "try_again_later", "91", DECLINED),
    "processing_error": DeclineShape(
        "processing_error",
        "try_again_later",
        "96",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "expired_card": DeclineShape(
        "expired_card", "confirm_card_data", "54", "Your card has expired."
    ),
    "incorrect_cvc": DeclineShape(
        "incorrect_cvc", "confirm_card_data", "N7", "Your card's security code is incorrect."
    ),
    "authentication_required": DeclineShape(
        "authentication_required",
        "confirm_card_data",
        "1A",
        "Your card was declined. This transaction requires authentication.",
    ),
    "lost_card": DeclineShape("card_declined", "do_not_try_again", "41", DECLINED),
    "stolen_card": DeclineShape("card_declined", "do_not_try_again", "43", DECLINED),
    "pickup_card": DeclineShape("card_declined", "do_not_try_again", "04", DECLINED),
    "fraudulent": DeclineShape("card_declined", "do_not_try_again", "59", DECLINED),
    "do_not_try_again": DeclineShape("card_declined", "do_not_try_again", None, DECLINED),
}
"""Every decline a world may script (`attempt_outcomes`), as Stripe answers it."""


def scripted_decline(decline_code: str) -> FailureDetails:
    """The failure a scripted decline comes back with: the fields of Stripe's error."""
    shape = SHAPES[decline_code]
    return FailureDetails(
        code=shape.code,
        decline_code=decline_code,
        advice_code=shape.advice_code,
        network_decline_code=shape.network_decline_code,
        message=shape.message,
    )


NEVER_AGAIN_ADVICE = frozenset({"do_not_try_again", "confirm_card_data"})
"""Stripe's advice that the card will not be approved as it is."""
MASTERCARD_NEW_ACCOUNT_INFO = "01"
"""Mastercard advice: the card needs new account information from its holder."""


def never_recovers(failure: FailureDetails) -> bool:
    """A card declined like this is not approved later however long one waits: it is
    blocked, or its holder must act (a world's hard and customer-action declines)."""
    if failure.network_decline_code in VISA_CATEGORY_1:
        return True
    network_advice = failure.network_advice_code
    if network_advice in MASTERCARD_NEVER or network_advice == MASTERCARD_NEW_ACCOUNT_INFO:
        return True
    shape = SHAPES.get(failure.decline_code or failure.code or "")
    advice = failure.advice_code or (shape.advice_code if shape else None)
    return advice in NEVER_AGAIN_ADVICE


NEW_CARD_DECLINE = FailureDetails(
    code="card_declined", decline_code="generic_decline", advice_code="try_again_later"
)
"""How a newly attached card that fails declines."""


def card_charge(at: datetime, decline: FailureDetails | None) -> CardCharge:
    """One charge a card saw (`decline` None: it paid), as the network fees count it."""
    if decline is None:
        return CardCharge(at=at, succeeded=True)
    return CardCharge(
        at=at,
        succeeded=False,
        decline_code=decline.decline_code or decline.code,
        network_decline_code=decline.network_decline_code,
        network_advice_code=decline.network_advice_code,
    )


RETURN_CODE = re.compile(r"^R\d\d$")
INSUFFICIENT_FUNDS_RETURN = "R01"
"""NACHA's return for insufficient funds (SEPA's AM04 is reported the same way)."""


def bank_return(failure: FailureDetails) -> FailureDetails:
    """How a settling bank debit comes back when the account cannot pay it: the charge's
    `failure_code` with the bank's return code (R01 unless the failure named another)."""
    returned = failure.network_decline_code or ""
    code = returned if RETURN_CODE.match(returned) else INSUFFICIENT_FUNDS_RETURN
    return FailureDetails(
        code=failure.decline_code or failure.code or "insufficient_funds",
        network_decline_code=code,
        message=f"The customer's bank returned the debit ({code}).",
    )
