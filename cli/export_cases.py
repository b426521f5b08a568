"""`starter.py export-cases`: the namespace's closed cases as `cases.jsonl` lines, the
learner's input (`starter.py learn`)."""

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from cli.report import gather
from dunning.contract.case import DunningCase
from dunning.contract.status import DunningStatus
from workflows.names import CASE_QUERY, STATUS_QUERY, WORKFLOW_TYPE


async def export_cases(client: Client, since: datetime | None, out: Path) -> list[str]:
    """Write one line per case that reached its outcome (not one an operator terminated);
    return what could not be read."""
    query = f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Completed'"
    if since is not None:
        query += f" AND CloseTime >= '{since.isoformat()}'"
    lines, unread = await gather(client, query, _line)
    await asyncio.to_thread(out.write_text, "".join(line + "\n" for line in lines))
    return unread


async def _line(handle: WorkflowHandle[Any, Any]) -> str:
    case: DunningCase = await handle.query(CASE_QUERY, result_type=DunningCase)
    status: DunningStatus = await handle.query(STATUS_QUERY, result_type=DunningStatus)
    return json.dumps(
        {
            "failed_at": case.failed_at.isoformat(),
            "day_seconds": case.options.day_seconds,
            **status.model_dump(mode="json"),
        }
    )
