"""`DisputeWorkflow`: a dispute on money a case recovered goes to the team that answers it,
once, durably, and stays countable in the namespace after the case closed."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dunning.contract.dispute import DisputeCase
    from dunning.machine.effects import ProviderRefused
    from dunning.views.disputes import render_dispute_task
    from workflows.effects import TemporalEffects

DISPUTE_WORKFLOW_TYPE = "DisputeWorkflow"


@workflow.defn(name=DISPUTE_WORKFLOW_TYPE)
class DisputeWorkflow:
    """Routes one dispute to its team; the result is the CRM task's id."""

    @workflow.run
    async def run(self, dispute: DisputeCase) -> str:
        """Create the task (retried through any CRM outage) and end."""
        amount = f"{dispute.amount} {dispute.currency}"
        workflow.set_current_details(f"dispute of {amount} on invoice {dispute.invoice_id}")
        task = render_dispute_task(dispute)
        try:
            receipt = await TemporalEffects().create_task(task, summary=f"route to {dispute.team}")
        except ProviderRefused as refused:
            # The dispute stays recorded here (and counted) even if the CRM refuses the task.
            workflow.logger.warning("dispute %s not routed: %s", dispute.dispute_id, refused)
            return f"not routed: {refused}"
        return receipt.task_id
