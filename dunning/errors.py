"""Readable validation errors that name the field at fault, and input read from files."""

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
MAX_INPUT_FILE_BYTES = 256 * 1024
"""Input files (cases, worlds, policies) larger than this are refused unread."""


class InputError(ValueError):
    """Input that cannot be used; the message says what and where."""


def describe(err: Exception) -> str:
    """`failure.decline_code: Input should be a valid string; amount_due: …`."""
    if not isinstance(err, ValidationError):
        return str(err)
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in err.errors()
    )


def parse(model: type[M], raw: Any, source: str) -> M:
    """`raw` as a `model`, or an `InputError` naming `source` and the field at fault."""
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise InputError(f"{source}: {describe(err)}") from err


def load_json(model: type[M], path: Path, max_bytes: int = MAX_INPUT_FILE_BYTES) -> M:
    """A JSON file as a `model`, or an `InputError` naming the file and the field at fault."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size} bytes; at most {max_bytes} are read")
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: {err}") from err
    return parse(model, raw, str(path))
