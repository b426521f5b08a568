"""The contract's Temporal names, shared by the worker, the starter and the tests."""

from typing import Final

from dunning.contract.messages import SIGNAL_PAYLOADS, UPDATE_PAYLOADS, Signals, Updates

__all__ = [
    "CASE_QUERY",
    "DEFAULT_TASK_QUEUE",
    "SIGNAL_PAYLOADS",
    "STATUS_QUERY",
    "UPDATE_PAYLOADS",
    "WORKFLOW_TYPE",
    "Signals",
    "Updates",
]

DEFAULT_TASK_QUEUE: Final = "dunning"
WORKFLOW_TYPE: Final = "DunningWorkflow"
STATUS_QUERY: Final = "status"
CASE_QUERY: Final = "case"
"""The case's start input (an extension: what `export-cases` needs beside the status)."""
