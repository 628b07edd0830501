"""Declaring periodic background tasks: what each app wants run, and how often.

An app lists its periodic tasks in a ``periodic.py`` module as ``PERIODIC_TASKS``, a sequence of
``Periodic``. ``frontdesk clock`` (``frontdesk.ops.clock``) finds those modules in the installed
apps and enqueues each task once per interval. This declaration lives in ``core`` so that domain
apps depend only downward: they never import ``ops``, and ``ops`` imports no domain app by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Periodic:
    """Run ``task`` (a django-tasks task taking no arguments) once every ``every``.

    Runs are aligned to multiples of ``every`` since 2000-01-01 00:00 UTC: every 5 minutes means
    at :00, :05, :10, ...; hourly at the top of the hour; daily at midnight UTC. ``name`` is the
    stable key of the task's runs (keep it when renaming the function).
    """

    name: str
    task: Any  # django_tasks.Task; typed loosely so core needs no django-tasks import
    every: dt.timedelta

    def __post_init__(self) -> None:
        if self.every < dt.timedelta(minutes=1):
            raise ValueError("Periodic tasks run at most once a minute.")
        if self.every.total_seconds() % 60:
            raise ValueError("A periodic interval is a whole number of minutes.")
        if not self.name or len(self.name) > 100:
            raise ValueError("A periodic task needs a name of at most 100 characters.")
