"""Operational records: the runs the clock has enqueued."""

from __future__ import annotations

from django.db import models


class ClockRun(models.Model):
    """One scheduled run of a periodic task: the task's name and the slot it was due in.

    The unique (task name, due slot) pair is what makes several clocks (one per app server) safe:
    each inserts the row before enqueuing, and only the clock whose insert succeeds enqueues the run.
    """

    task_name = models.CharField(max_length=100)
    due_at = models.DateTimeField(help_text="Start of the interval the run belongs to (UTC).")
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task_name", "due_at"], name="clockrun_once_per_slot")
        ]
        indexes = [models.Index(fields=["due_at"], name="clockrun_due_at")]

    def __str__(self) -> str:
        return f"{self.task_name} @ {self.due_at:%Y-%m-%d %H:%M}"
