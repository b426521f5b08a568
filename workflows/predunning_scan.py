"""`PreDunningScanWorkflow`: the daily scan of the subscriptions about to renew, run by the
Schedule `dunning-predunning-scan`. It starts one `PreDunningWorkflow` per renewal in the
policy's window; Stripe's `invoice.upcoming` starts the same watch (the id is the same, so
it starts once)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.watches import WatchActivities
    from dunning.contract.predunning import ScanOutcome, ScanRequest
    from dunning.providers.renewals import RenewalPage
    from dunning.rules.policy import DunningPolicy
    from dunning.rules.predunning import in_window, watch_of
    from workflows.effects import ACTIVITY_TIMEOUT, PROVIDER_RETRY

SCAN_WORKFLOW_TYPE = "PreDunningScanWorkflow"
SCAN_SCHEDULE_ID = "dunning-predunning-scan"
"""The Schedule's id; each run's workflow id is this with the scheduled time appended."""


@workflow.defn(name=SCAN_WORKFLOW_TYPE)
class PreDunningScanWorkflow:
    """Lists the active subscriptions page by page and starts the due watches."""

    @workflow.run
    async def run(self, request: ScanRequest) -> ScanOutcome:
        """One scan: every page of subscriptions, the due renewals of each watched."""
        policy = request.policy or DunningPolicy()
        listed = due = started = 0
        page: str | None = None
        while policy.predunning:
            found: RenewalPage = await workflow.execute_activity_method(
                PaymentActivities.list_renewals,
                page,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PROVIDER_RETRY,
                summary="list subscriptions",
            )
            watches = [
                watch_of(renewal, policy, request.options.day_seconds)
                for renewal in found.renewals
                if in_window(renewal, policy)
            ]
            listed, due = listed + len(found.renewals), due + len(watches)
            if watches:
                started += await workflow.execute_activity_method(
                    WatchActivities.start_watches,
                    watches,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=PROVIDER_RETRY,
                    summary=f"start {len(watches)} watches",
                )
            workflow.set_current_details(f"{listed} subscriptions read, {started} watches begun")
            if found.next_page is None:
                break
            page = found.next_page
        return ScanOutcome(listed=listed, due=due, started=started)
