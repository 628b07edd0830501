"""Background tasks of statements and payment plans (django-tasks): thin wrappers around services."""

from __future__ import annotations

from django_tasks import task

from frontdesk.statements import services


@task()
def statement_run(run_id: int) -> dict[str, int]:
    """Produce the statements of one recorded run, updating its progress as it goes."""
    run = services.statement_run_execute(run_id=run_id)
    return {"created": run.created, "skipped": run.skipped}


@task()
def instalment_reminders() -> dict[str, int]:
    """Remind patients of payment-plan instalments due in the next few days."""
    return {"sent": services.instalment_reminders_send()}
