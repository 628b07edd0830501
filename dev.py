#!/usr/bin/env python3
"""FrontDesk's two set-up commands, for a fresh machine with only Python 3.11+ and git.

    python3 dev.py run    create .venv, install FrontDesk, migrate, load the demo practice once,
                          start the web app and the background worker, print where to log in
    python3 dev.py test   install the test tools and run every check: ruff, mypy, Django's checks,
                          migrations, and pytest on SQLite and (when reachable) PostgreSQL

Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FRONTDESK_VENV") or ROOT / ".venv")
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/frontdesk"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    result = subprocess.run([str(part) for part in cmd], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        say(f"FAILED ({result.returncode}): {' '.join(str(part) for part in cmd)}")
        sys.exit(result.returncode)
    return result.returncode


def ensure_venv(extras: str = "") -> None:
    """Create the virtual environment and install FrontDesk (editable) with the given extras."""
    if not PY.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed{extras or '-base'}"
    pyproject = ROOT / "pyproject.toml"
    if stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    say("installing FrontDesk and its dependencies")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(PY, "-m", "pip", "install", "--quiet", "--editable", target)
    stamp.touch()


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_url() -> str | None:
    url = os.environ.get("FRONTDESK_TEST_DATABASE_URL", "").strip()
    if url:
        return url
    return DEFAULT_PG_URL if port_open("127.0.0.1", 5432) else None


def redis_url() -> str | None:
    url = os.environ.get("FRONTDESK_TEST_REDIS_URL", "").strip()
    if url:
        return url
    return DEFAULT_REDIS_URL if port_open("127.0.0.1", 6379) else None


def ensure_debian_package(
    binaries: tuple[str, ...], packages: tuple[str, ...], why: str
) -> str | None:
    """Return the first of ``binaries`` found, installing Debian's ``packages`` when we may."""
    for name in binaries:
        found = shutil.which(name)
        if found:
            return found
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root and shutil.which("apt-get"):
        say(f"installing Debian's {' '.join(packages)} {why}")
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=quiet, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=quiet, check=False)
        return next((shutil.which(name) for name in binaries if shutil.which(name)), None)
    return None


def ensure_chromium() -> str | None:
    """Return a Chromium binary for the browser tests."""
    return ensure_debian_package(
        ("chromium", "chromium-browser", "google-chrome"), ("chromium",), "for the browser tests"
    )


def ensure_tesseract() -> str | None:
    """Return Tesseract (the document inbox's OCR engine, with English and orientation data)."""
    return ensure_debian_package(
        ("tesseract",),
        ("tesseract-ocr", "tesseract-ocr-eng", "tesseract-ocr-osd"),
        "for reading scanned documents (OCR)",
    )


def cmd_run(args: list[str]) -> None:
    ensure_venv()
    if not ensure_tesseract():
        say(
            "no Tesseract and cannot install it: scanned documents will wait for review unread (no OCR)"
        )
    serve = subprocess.Popen([str(BIN / "frontdesk"), "serve", *args], cwd=ROOT)

    def forward(signum: int, frame: object) -> None:
        # Ctrl-C reaches `frontdesk serve` directly (same process group) and it stops the web server
        # and the worker itself; waiting here, instead of dying with KeyboardInterrupt (which would
        # SIGKILL serve mid-shutdown), lets that finish. A SIGTERM sent to this wrapper is passed on.
        if signum == signal.SIGTERM:
            serve.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    sys.exit(serve.wait())


def cmd_test(args: list[str]) -> None:
    started = time.monotonic()
    ensure_venv("test")
    env = dict(os.environ)
    env.pop("FRONTDESK_DATABASE_URL", None)
    env.pop("FRONTDESK_ENV", None)
    env["FRONTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="frontdesk-test-")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    say("ruff (lint)")
    run(BIN / "ruff", "check", ".", env=env)
    say("ruff (format check)")
    run(BIN / "ruff", "format", "--check", ".", env=env)
    say("mypy")
    run(BIN / "mypy", "frontdesk", env=env)
    say("manage.py check")
    run(PY, "manage.py", "check", "--fail-level", "WARNING", env=env)
    say("manage.py check --deploy (production settings)")
    prod_env = {
        **env,
        "FRONTDESK_ENV": "production",
        "FRONTDESK_SECRET_KEY": "ci-only-" + "x" * 60,
        "FRONTDESK_AUDIT_KEY": "ci-only-audit-key",
        "FRONTDESK_ENCRYPTION_KEYS": "Y2ktb25seS1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
        "FRONTDESK_ALLOWED_HOSTS": "frontdesk.example.com",
    }
    run(PY, "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=prod_env)
    say("makemigrations --check")
    run(PY, "manage.py", "makemigrations", "--check", "--dry-run", env=env)

    chromium = ensure_chromium()
    if chromium:
        env["FRONTDESK_CHROMIUM"] = chromium
    else:
        say(
            "no Chromium and cannot install it (not root or no apt-get): browser tests will be SKIPPED"
        )
    if not ensure_tesseract():
        say(
            "no Tesseract and cannot install it: the OCR tests will FAIL (apt-get install tesseract-ocr)"
        )
    redis = redis_url()
    if redis:
        env["FRONTDESK_TEST_REDIS_URL"] = redis
    else:
        say("no Redis reachable: the RQ task-backend tests will be SKIPPED")

    pytest_args = ["-q", *args]
    pg = postgres_url()
    pg_rc = 0
    if pg and (os.cpu_count() or 1) >= 2 and not os.environ.get("FRONTDESK_TEST_SERIAL"):
        # The two passes share nothing (own database, own data folder, own Redis database), so they
        # run side by side: the SQLite pass prints as it goes, the PostgreSQL pass's output follows.
        pg_env = {
            **env,
            "FRONTDESK_DATABASE_URL": pg,
            "FRONTDESK_DATA_DIR": tempfile.mkdtemp(prefix="frontdesk-test-pg-"),
            "PYTHONUNBUFFERED": "1",  # its output file shows its progress as it goes
        }
        if redis and redis == DEFAULT_REDIS_URL:
            pg_env["FRONTDESK_TEST_REDIS_URL"] = redis.rsplit("/", 1)[0] + "/14"
        say("pytest on SQLite and, side by side, on PostgreSQL (its output follows)")
        with tempfile.TemporaryFile(mode="w+b") as pg_output:
            pg_process = subprocess.Popen(
                [str(PY), "-m", "pytest", *pytest_args],
                cwd=ROOT,
                env=pg_env,
                stdout=pg_output,
                stderr=subprocess.STDOUT,
            )
            try:
                sqlite_rc = run(PY, "-m", "pytest", *pytest_args, env=env, check=False)
                pg_rc = pg_process.wait()
            finally:
                if pg_process.poll() is None:
                    pg_process.kill()
            say("pytest on PostgreSQL")
            pg_output.seek(0)
            sys.stdout.flush()
            shutil.copyfileobj(pg_output, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    else:
        say("pytest on SQLite")
        sqlite_rc = run(PY, "-m", "pytest", *pytest_args, env=env, check=False)
        if pg:
            say("pytest on PostgreSQL")
            pg_env = {**env, "FRONTDESK_DATABASE_URL": pg}
            pg_rc = run(PY, "-m", "pytest", *pytest_args, env=pg_env, check=False)
        else:
            say(
                "PostgreSQL not reachable (set FRONTDESK_TEST_DATABASE_URL or start it on "
                "127.0.0.1:5432):"
            )
            say("the PostgreSQL pass was SKIPPED")
    minutes = (time.monotonic() - started) / 60
    say(
        f"SQLite pass: {'ok' if sqlite_rc == 0 else 'FAILED'}; PostgreSQL pass: "
        f"{'skipped' if not pg else ('ok' if pg_rc == 0 else 'FAILED')}; {minutes:.1f} min"
    )
    sys.exit(sqlite_rc or pg_rc)


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on whatever python3 is first
        sys.exit("FrontDesk needs Python 3.11 or newer.")
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        sys.exit(__doc__)
    {"run": cmd_run, "test": cmd_test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
