"""Amounts of money as people read them."""

ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv"}
)
"""Currencies whose minor unit is the unit (Stripe's list)."""


def format_amount(minor_units: int, currency: str) -> str:
    """`1200000, "usd"` → `12,000.00 USD`."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{minor_units:,} {currency.upper()}"
    return f"{minor_units / 100:,.2f} {currency.upper()}"
