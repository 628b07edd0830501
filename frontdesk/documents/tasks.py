"""Background tasks of the document inbox: thin wrappers around the services, run by the worker."""

from __future__ import annotations

from django_tasks import task


@task()
def documents_watch() -> int:
    """One pass over the watched folders; returns how many files were received (or recovered)."""
    from frontdesk.documents.intake.folder import folder_poll

    result = folder_poll()
    return len(result.received) + len(result.recovered)


@task()
def documents_fetch_mail() -> int:
    """One pass over the documents mailbox; returns how many messages were taken in."""
    from frontdesk.documents.intake.mail import mail_configured, mail_poll

    if not mail_configured():
        return 0
    return len(mail_poll().received)
