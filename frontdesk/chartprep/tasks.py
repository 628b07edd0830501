"""Background tasks of chart prep and no-shows (django-tasks): thin wrappers around services."""

from __future__ import annotations

from django_tasks import task

from frontdesk.chartprep import noshow_services, services


@task()
def readiness_refresh() -> dict[str, int]:
    """Recompute the stored readiness of every upcoming visit (catches data other apps changed)."""
    return {"visits": services.readiness_recompute()}


@task()
def readiness_nightly() -> dict[str, int]:
    """Drop readiness of visits that have started, then recompute the whole window."""
    pruned = services.readiness_prune()
    return {"pruned": pruned, "visits": services.readiness_recompute()}


@task()
def noshows_sweep() -> dict[str, int]:
    """Mark overdue booked visits no-show, track late cancellations, close rebooked cases."""
    return {
        "marked": noshow_services.noshows_mark_due(),
        "late_cancels": noshow_services.late_cancels_track(),
        "rebooked": noshow_services.cases_close_rebooked(),
    }
