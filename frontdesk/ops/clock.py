"""The clock: enqueue each app's periodic tasks once per interval, however many clocks run.

Apps declare their periodic tasks in ``<app>/periodic.py`` (``PERIODIC_TASKS``, a list of
``core.periodic.Periodic``); the clock finds those modules in the installed apps, so ``ops`` names
no domain app. Each pass computes, for every task, the interval slot ``now`` falls in and inserts a
``ClockRun`` row for (task, slot). The unique constraint decides: the clock whose insert succeeds
enqueues the run, every other clock skips it. With the database task backend the row and the queued
task commit in one transaction (exactly once); with RQ the job is pushed to Redis just before the
row commits (at least once if a clock dies in between; the tasks are idempotent).

A clock that was down does not replay the slots it missed: the next pass runs each task once, for
the current slot.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.core.periodic import Periodic
from frontdesk.ops.models import ClockRun

log = logging.getLogger(__name__)

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# Rows older than this are deleted by the clock (they only serve to refuse a second enqueue).
KEEP_RUNS = dt.timedelta(days=7)


def periodic_tasks() -> list[Periodic]:
    """Every installed app's ``periodic.PERIODIC_TASKS``, in app order; names must be unique."""
    found: list[Periodic] = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.periodic"
        if find_spec(module_name) is None:
            continue
        found.extend(getattr(import_module(module_name), "PERIODIC_TASKS", ()))
    names = [periodic.name for periodic in found]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Periodic task names must be unique: {', '.join(duplicates)}")
    return found


def due_slot(every: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """The start of the interval of length ``every`` that ``now`` falls in (aligned to ``EPOCH``)."""
    return EPOCH + ((now - EPOCH) // every) * every


def clock_tick(
    *, now: dt.datetime | None = None, tasks: Iterable[Periodic] | None = None
) -> list[str]:
    """Enqueue every periodic task whose current slot has no run yet; return their names."""
    now = now or timezone.now()
    enqueued = []
    for periodic in periodic_tasks() if tasks is None else tasks:
        slot = due_slot(periodic.every, now)
        try:
            with transaction.atomic():
                run = ClockRun.objects.create(task_name=periodic.name, due_at=slot)
                result = periodic.task.enqueue()
                run.task_result_id = str(result.id)[:64]
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another clock enqueued this run
        log.info("clock.enqueued %s due_at=%s", periodic.name, slot.isoformat())
        enqueued.append(periodic.name)
    ClockRun.objects.filter(due_at__lt=now - KEEP_RUNS).delete()
    return enqueued


def next_wakeup(tasks: Iterable[Periodic], now: dt.datetime) -> dt.datetime:
    """The earliest start of a next slot of any task."""
    return min(due_slot(periodic.every, now) + periodic.every for periodic in tasks)
