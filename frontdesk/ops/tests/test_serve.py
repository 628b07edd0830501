"""``frontdesk serve`` and ``frontdesk worker`` for real: child processes, HTTP, static files, shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks.base import TaskResultStatus

from frontdesk.ops.supervisor import port_in_use
from frontdesk.ops.tasks import housekeeping


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children_of(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in result.stdout.split()]


def _command_of(pid: int) -> str:
    return subprocess.run(
        ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout.strip()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); ask ps for its state.
    state = subprocess.run(
        ["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout.strip()
    return bool(state) and not state.startswith("Z")


def test_serve_runs_web_and_worker_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FRONTDESK_DATABASE_URL", "FRONTDESK_REDIS_URL", "FRONTDESK_ENV"}
    }
    env["FRONTDESK_DATA_DIR"] = str(tmp_path / "data")
    log = (tmp_path / "serve.log").open("w+")
    serve = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "serve", "--port", str(port), "--no-demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and serve.poll() is None:
            if "FrontDesk is running at" in (tmp_path / "serve.log").read_text():
                break
            time.sleep(0.5)
        output = (tmp_path / "serve.log").read_text()
        assert f"FrontDesk is running at http://127.0.0.1:{port}" in output, output
        assert "Background worker: running (database task backend)." in output
        assert "Clock: running (periodic tasks: reminders, offer expiry, upkeep)." in output

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as response:
            assert response.status == 200
            assert b"<form" in response.read()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/web/frontdesk.css"
        ) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/css")
        assert (tmp_path / "data" / "static" / "web" / "frontdesk.css").is_file()
        children = _children_of(serve.pid)
        assert len(children) == 3  # the worker, the clock and the gunicorn master
        commands = {_command_of(pid) for pid in children}
        assert f"{sys.executable} -m frontdesk clock" in commands, commands
        assert f"{sys.executable} -m frontdesk worker" in commands, commands

        serve.send_signal(signal.SIGINT)  # what Ctrl-C delivers
        assert serve.wait(timeout=40) == 0
        assert "FrontDesk stopped." in (tmp_path / "serve.log").read_text()
        time.sleep(0.5)
        assert [pid for pid in children if _alive(pid)] == []
        assert not port_in_use("127.0.0.1", port)
    finally:
        if serve.poll() is None:
            serve.kill()
        log.close()


def test_serve_refuses_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="already in use"):
            call_command("serve", "--port", str(port), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_worker_command_runs_queued_tasks_in_batch_mode():
    result = housekeeping.enqueue()

    call_command("worker", "--batch", verbosity=0)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"expired_sessions_deleted": 0}
