"""Readable validation errors that name the field at fault."""

from pydantic import ValidationError


def describe(err: Exception) -> str:
    """`failure.decline_code: Input should be a valid string; amount_due: …`."""
    if not isinstance(err, ValidationError):
        return str(err)
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in err.errors()
    )
