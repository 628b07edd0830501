"""``frontdesk serve``: migrate, collect static files, load the demo once, run web app, worker, clock."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from frontdesk.demo.management.commands.demo import logins_table
from frontdesk.demo.practice import DEMO_LOGINS
from frontdesk.demo.services import demo_exists
from frontdesk.ops.supervisor import (
    Supervisor,
    clock_command,
    port_in_use,
    web_command,
    worker_command,
)


class Command(BaseCommand):
    help = "Run FrontDesk: web app (gunicorn), background worker and clock, until Ctrl-C."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the worker and the clock."
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo practice.")
        parser.add_argument("--workers", type=int, default=2, help="Web worker processes.")
        parser.add_argument("--threads", type=int, default=4, help="Threads per web worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if port_in_use(host, port):
            raise CommandError(
                f"Port {port} on {host} is already in use; choose another with --port."
            )
        self.stdout.write("Preparing the database...")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        load_demo = not options["no_demo"] and not settings.PRODUCTION
        if settings.PRODUCTION and not options["no_demo"]:
            self.stdout.write("Production mode: the demo practice is not loaded.")
        if load_demo:
            if demo_exists():
                self.stdout.write("Demo practice already loaded.")
            else:
                self.stdout.write("Loading the demo practice (first run only)...")
                call_command("demo", "--no-logins", stdout=self.stdout._out)  # type: ignore[attr-defined]
        if not options["no_worker"]:
            from frontdesk.ops.tasks import housekeeping

            housekeeping.enqueue()
        # Children open their own connections; do not share this process's across fork/exec.
        connections.close_all()

        supervisor = Supervisor(say=self.stdout.write)
        supervisor.install_signal_handlers()
        if not options["no_worker"]:
            supervisor.start("worker", worker_command())
            supervisor.start("clock", clock_command())
        supervisor.start(
            "web",
            web_command(
                host=host, port=port, workers=options["workers"], threads=options["threads"]
            ),
        )
        if not supervisor.wait_for_port(host, port):
            code = supervisor.run_until_stopped() if not supervisor.stopping else 0
            supervisor.stop_all()
            raise CommandError(f"The web server did not start (exit {code}).")
        url_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - display only
        self.stdout.write(self.style.SUCCESS(f"FrontDesk is running at http://{url_host}:{port}"))
        mode = "RQ on Redis" if settings.REDIS_URL else "database"
        if options["no_worker"]:
            self.stdout.write("Background worker: not started (--no-worker).")
        else:
            self.stdout.write(f"Background worker: running ({mode} task backend).")
            self.stdout.write("Clock: running (periodic tasks: reminders, offer expiry, upkeep).")
        if load_demo:
            self.stdout.write(logins_table(DEMO_LOGINS))
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()
        code = supervisor.run_until_stopped()
        self.stdout.write("FrontDesk stopped.")
        if code:
            raise CommandError(f"A FrontDesk process failed (exit {code}).", returncode=code)
