"""``frontdesk worker [--batch]``: run the background worker for the configured task backend."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


class Command(BaseCommand):
    help = (
        "Run the background worker: the database worker in embedded mode, an RQ worker when "
        "FRONTDESK_REDIS_URL is set."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run the tasks already queued, then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch: bool = options["batch"]
        verbosity: int = options["verbosity"]
        if settings.REDIS_URL:
            # RQ jobs enqueued by django-tasks need its Job class to find and report the task.
            from django_rq.management.commands.rqworker import Command as RQWorkerCommand

            call_command(
                RQWorkerCommand(),
                *settings.TASKS["default"]["QUEUES"],
                job_class=RQ_JOB_CLASS,
                burst=batch,
                with_scheduler=not batch,
                verbosity=verbosity,
            )
            return
        call_command(
            "db_worker",
            queue_name=",".join(settings.TASKS["default"]["QUEUES"]),
            batch=batch,
            reload=False,
            startup_delay=not batch,
            verbosity=verbosity,
        )
