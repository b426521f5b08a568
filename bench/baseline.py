"""The baselines every figure is a ratio against: the smallest workflows Temporal runs."""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop() -> None:
    """Does nothing: the cost of one activity round trip."""


@workflow.defn(name="BenchBaseline")
class BaselineWorkflow:
    """One no-op activity, then done."""

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn(name="BenchSleeper")
class SleeperWorkflow:
    """Sleeps one day, then done (for the time-skipping comparison)."""

    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(timedelta(days=1))


@workflow.defn(name="BenchShape")
class ShapeWorkflow:
    """A case's shape and nothing else: as many one-day timers and no-op activities."""

    @workflow.run
    async def run(self, timers: int, activities: int) -> None:
        for step in range(max(timers, activities)):
            if step < activities:
                await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))
            if step < timers:
                await workflow.sleep(timedelta(days=1))
