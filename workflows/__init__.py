"""Deterministic orchestration: `DunningWorkflow` and the names it is known by."""
