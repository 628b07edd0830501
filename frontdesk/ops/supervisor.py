"""Running the web server and the background worker as child processes, and stopping them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

STOP_TIMEOUT_SECONDS = 15.0


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def web_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """gunicorn serving the WSGI app; whitenoise (middleware) serves the collected static files."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "frontdesk.wsgi:application",
        f"--bind={host}:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--graceful-timeout=10",
        "--timeout=60",
        # Access logs hold URLs and client addresses; FrontDesk logs its own event codes instead.
        "--error-logfile=-",
        "--log-level=warning",
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "frontdesk", "worker"]


def clock_command() -> list[str]:
    """The clock enqueues periodic tasks (reminders, offer expiry, housekeeping) for the worker."""
    return [sys.executable, "-m", "frontdesk", "clock"]


@dataclass
class Supervisor:
    """Start named children, wait until one exits or a stop signal arrives, then stop all of them."""

    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False
    say: Callable[[str], None] = print

    def start(self, name: str, command: list[str]) -> None:
        self.children[name] = subprocess.Popen(command, env=dict(os.environ))

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def wait_for_port(self, host: str, port: int, *, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            if self.exited():
                return False
            if port_in_use(host, port):
                return True
            time.sleep(0.2)
        return False

    def exited(self) -> str | None:
        """The name of a child that has exited, if any."""
        for name, process in self.children.items():
            if process.poll() is not None:
                return name
        return None

    def run_until_stopped(self) -> int:
        """Block until a signal or a child's exit; stop everything; return the exit status."""
        failed = None
        while not self.stopping:
            failed = self.exited()
            if failed:
                break
            time.sleep(0.3)
        code = 0
        if failed:
            code = self.children[failed].returncode or 1
            self.say(f"The {failed} process stopped (exit {code}); stopping FrontDesk.")
        self.stop_all()
        return code

    def stop_all(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, process in self.children.items():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self.say(f"The {name} process did not stop in time; killing it.")
                process.kill()
                process.wait()
