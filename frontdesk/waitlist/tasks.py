"""Background tasks of the waitlist (django-tasks): thin wrappers around one service each."""

from __future__ import annotations

from django_tasks import task

from frontdesk.waitlist.services import waitlist_offers_expire


@task()
def waitlist_expire_offers() -> dict[str, int]:
    """Expire offers past their time (run every minute by the scheduler/worker)."""
    return {"offers_expired": waitlist_offers_expire()}
