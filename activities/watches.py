"""Renewal watches started from the daily scan: through the Temporal client, once each."""

from temporalio import activity
from temporalio.client import Client

from client.connection import start_watch
from dunning.contract.predunning import PreDunningCase


class WatchActivities:
    """Starts `PreDunningWorkflow`s on the worker's own client and task queue."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client, self._task_queue = client, task_queue

    @activity.defn
    async def start_watches(self, watches: list[PreDunningCase]) -> int:
        """Start each watch not started before; how many this call started (a watch already
        running, or one that ended, is left as it is)."""
        started = 0
        for watch in watches:
            started += await start_watch(self._client, watch, self._task_queue)
        return started
