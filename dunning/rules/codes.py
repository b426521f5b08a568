"""The decline-code tables of DOMAIN.md §1 and the card-network code lists of §2.

The one place that says which provider code means what.
"""

from dunning.contract.enums import FailureCategory, PaymentMethodType

SOFT_DECLINE_CODES = frozenset(
    {
        "insufficient_funds",
        "generic_decline",
        "do_not_honor",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
        "processing_error",
        "try_again_later",
        "issuer_not_available",
        "reenter_transaction",
        "approve_with_id",
        "call_issuer",
        "card_declined",
    }
)
HARD_DECLINE_CODES = frozenset(
    {
        "lost_card",
        "stolen_card",
        "pickup_card",
        "fraudulent",
        "restricted_card",
        "security_violation",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "stop_payment_order",
        "transaction_not_allowed",
        "card_not_supported",
        "invalid_account",
        "do_not_try_again",
        "merchant_blacklist",
        "currency_not_supported",
        "account_closed",
        "no_account",
        "debit_not_authorized",
    }
)
CUSTOMER_ACTION_CODES = frozenset(
    {
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "invalid_cvc",
        "invalid_number",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "incorrect_zip",
        "authentication_required",
        "offline_pin_required",
        "online_or_offline_pin_required",
        "pin_try_exceeded",
    }
)

ADVICE_CATEGORIES = {
    "try_again_later": FailureCategory.SOFT_DECLINE,
    "do_not_try_again": FailureCategory.HARD_DECLINE,
    "confirm_card_data": FailureCategory.CUSTOMER_ACTION_REQUIRED,
}
"""Stripe `advice_code` values; they win over the decline code."""

VISA_CATEGORY_1 = frozenset(
    {"04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"}
)
"""Visa network decline codes whose issuer will never approve: never retry."""

MASTERCARD_NEW_ACCOUNT_INFO = "01"
"""Mastercard merchant advice code: wait for updated account information."""
MASTERCARD_NEVER_RETRY = frozenset({"03", "21"})
"""Mastercard merchant advice codes that forbid any retry."""
MASTERCARD_RETRY_AFTER_HOURS = {
    "02": 72.0,
    "24": 1.0,
    "25": 24.0,
    "26": 48.0,
    "27": 96.0,
    "28": 144.0,
    "29": 192.0,
    "30": 240.0,
}
"""Mastercard merchant advice codes that allow a retry no sooner than this many hours."""

ACH_REPRESENTABLE_RETURNS = frozenset({"R01", "R09"})
"""ACH return codes (insufficient or uncollected funds) that may be presented again."""


def category_of_code(code: str | None) -> FailureCategory | None:
    """The category a single Stripe decline or error code belongs to, if it is known."""
    if code is None:
        return None
    if code in HARD_DECLINE_CODES:
        return FailureCategory.HARD_DECLINE
    if code in CUSTOMER_ACTION_CODES:
        return FailureCategory.CUSTOMER_ACTION_REQUIRED
    if code in SOFT_DECLINE_CODES:
        return FailureCategory.SOFT_DECLINE
    return None


STRIPE_PAYMENT_METHOD_TYPES = {
    "card": PaymentMethodType.CARD,
    "us_bank_account": PaymentMethodType.ACH_DEBIT,
    "sepa_debit": PaymentMethodType.SEPA_DEBIT,
    "customer_balance": PaymentMethodType.WIRE,
}
"""Stripe's payment method types, as the product names them (net terms have none)."""
