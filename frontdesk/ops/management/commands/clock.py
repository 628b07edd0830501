"""``frontdesk clock [--once]``: enqueue the apps' periodic tasks on time (reminders, offer expiry...)."""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from frontdesk.ops.clock import clock_tick, next_wakeup, periodic_tasks


class Command(BaseCommand):
    help = (
        "Enqueue periodic tasks when due, through the task backend (a worker runs them). Safe to "
        "run on several servers: each run is enqueued once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Enqueue the tasks due now, then exit (for cron)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        tasks = periodic_tasks()
        if options["once"]:
            self._report(clock_tick(tasks=tasks))
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        names = ", ".join(f"{t.name} every {t.every}" for t in tasks)
        self.stdout.write(f"Clock running: {names}.")
        self.stdout.flush()
        while not stopping:
            close_old_connections()  # a long-lived loop must not keep a dead connection
            self._report(clock_tick(tasks=tasks))
            close_old_connections()
            wake = next_wakeup(tasks, timezone.now())
            while not stopping:
                left = (wake - timezone.now()).total_seconds()
                if left <= 0:
                    break
                time.sleep(min(left, 1.0))  # short naps: a stop signal is noticed at once
        self.stdout.write("Clock stopped.")

    def _report(self, enqueued: list[str]) -> None:
        if self.verbosity >= 1 and enqueued:
            self.stdout.write(f"Enqueued: {', '.join(enqueued)}")
            self.stdout.flush()
