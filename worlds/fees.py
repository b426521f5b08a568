"""What the card networks would bill a merchant for its retries (DOMAIN.md §2, "What
breaking them costs"), counted on the world's side from the charges a card really saw.

This is the judge, not the product: it is written from the published rules, apart from
`dunning.rules.network` and `dunning.rules.codes`, so a product that breaks a rule is
billed here. The world's other code lists (`worlds.declines`) take theirs from here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VISA_EXCESS_FEE = 10
"""Cents per retry beyond Visa's cap in 30 days, and per retry of a category-1 decline."""
VISA_CAP_BEFORE_MAY_2025, VISA_CAP = 15, 20
VISA_CAP_RAISED_ON = datetime(2025, 5, 1, tzinfo=UTC)
VISA_CATEGORY_1 = frozenset(
    {"04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"}
)
MASTERCARD_EXCESS_FEE = 50
"""Cents per retry beyond 35 of the same amount in 30 days."""
MASTERCARD_SAME_AMOUNT_CAP = 35
MASTERCARD_NEVER_FEE = 3
"""Cents per retry after a merchant advice code 03 or 21."""
MASTERCARD_NEVER = frozenset({"03", "21"})
MASTERCARD_EARLY_FEE = 2
"""Cents per retry of an insufficient-funds decline sooner than its MAC 24-30 hint."""
MASTERCARD_WAIT_HOURS = {"24": 1, "25": 24, "26": 48, "27": 96, "28": 144, "29": 192, "30": 240}
WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class CardCharge:
    """One charge a card saw, and the network's answer."""

    at: datetime
    succeeded: bool
    decline_code: str | None = None
    network_decline_code: str | None = None
    network_advice_code: str | None = None


def network_fees(charges: Sequence[CardCharge]) -> int:
    """Cents the networks would bill for the retries in one card's charges (in time order;
    the first is the original charge, not a retry)."""
    fees = 0
    for index, charge in enumerate(charges[1:], start=1):
        earlier = charges[:index]
        retries = [c for c in earlier[1:] if charge.at - c.at < WINDOW]
        cap = VISA_CAP if charge.at >= VISA_CAP_RAISED_ON else VISA_CAP_BEFORE_MAY_2025
        declined = [c for c in earlier if not c.succeeded]
        if len(retries) + 1 > cap:
            fees += VISA_EXCESS_FEE
        if any(c.network_decline_code in VISA_CATEGORY_1 for c in declined):
            fees += VISA_EXCESS_FEE
        if len([c for c in declined if charge.at - c.at < WINDOW]) >= MASTERCARD_SAME_AMOUNT_CAP:
            fees += MASTERCARD_EXCESS_FEE
        if any(c.network_advice_code in MASTERCARD_NEVER for c in declined):
            fees += MASTERCARD_NEVER_FEE
        last = declined[-1] if declined else None
        if last is not None and last.decline_code == "insufficient_funds":
            hours = MASTERCARD_WAIT_HOURS.get(last.network_advice_code or "")
            if hours is not None and charge.at - last.at < timedelta(hours=hours):
                fees += MASTERCARD_EARLY_FEE
    return fees
