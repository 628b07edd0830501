"""Sample follow-up task for generic tests (the policy matrix)."""

from __future__ import annotations

from typing import Any

from frontdesk.notifications.choices import FollowUpKind
from frontdesk.notifications.models import FollowUpTask


def sample_task(objects: dict[str, Any]) -> FollowUpTask:
    """An open call-back task for the sample patient (no appointment: visible to every desk)."""
    if "followup_task" not in objects:
        objects["followup_task"] = FollowUpTask.objects.create(
            kind=FollowUpKind.RESCHEDULE_CALLBACK, patient=objects["patient"]
        )
    task: FollowUpTask = objects["followup_task"]
    return task
