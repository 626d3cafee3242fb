"""Per-workflow figures, read from the store alone (no script needed)."""

from __future__ import annotations


def workflow_stats(store, workflow: str) -> dict:
    """Enrolled, active, completed, goal conversion and errors by step of one workflow."""
    counts = store.run_counts(workflow)
    enrolled = sum(counts.values())
    return {
        "workflow": workflow,
        "enrolled": enrolled,
        "active": counts.get("active", 0),
        "completed": counts.get("completed", 0) + counts.get("stopped", 0),
        "goal": counts.get("goal", 0),
        "unenrolled": counts.get("unenrolled", 0),
        "in_error": counts.get("error", 0),
        "goal_rate": counts.get("goal", 0) / enrolled if enrolled else 0.0,
        "errors_by_step": store.run_errors(workflow),
    }
