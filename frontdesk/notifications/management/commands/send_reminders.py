"""``manage.py send_reminders``: enqueue the reminder run (call it from cron every 15 minutes).

Safe to run as often as you like: each reminder is keyed by appointment and hour mark.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Write and send the appointment reminders now due (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Run here and now instead of enqueueing the task."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from frontdesk.notifications.tasks import reminders_due

        if options["now"]:
            created = reminders_due.call()
            self.stdout.write(f"{created} reminder message(s) written.")
        else:
            reminders_due.enqueue()
            self.stdout.write("Reminder run enqueued.")
