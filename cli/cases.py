"""Reading cases from files, with errors that name the field at fault."""

__all__ = ["InputError", "load_case"]

from pathlib import Path

from dunning.contract.case import DunningCase
from dunning.errors import InputError, load_json


def load_case(path: Path) -> DunningCase:
    """A `DunningCase` from a JSON file."""
    return load_json(DunningCase, path)
