"""``frontdesk apikey ...`` end to end, in a fresh data directory (as an operator runs it)."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

KEY = re.compile(r"^fdk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", re.MULTILINE)


def _frontdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FRONTDESK_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["FRONTDESK_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_create_list_revoke_in_the_data_directory(tmp_path) -> None:
    migrate = _frontdesk(tmp_path, "migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr[-2000:]

    created = _frontdesk(tmp_path, "apikey", "create", "--name", "Portal", "--role", "front_desk")
    assert created.returncode == 0, created.stderr[-2000:]
    [key] = KEY.findall(created.stdout)
    assert "cannot be shown again" in created.stdout

    database = tmp_path / "frontdesk.sqlite3"
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT name, key_hash, revoked_at FROM accounts_apikey"
        ).fetchall()
    assert rows == [("Portal", hashlib.sha256(key.encode()).hexdigest(), None)]

    listed = _frontdesk(tmp_path, "apikey", "list")
    assert "Portal" in listed.stdout and key.split("_")[1] in listed.stdout
    assert key not in listed.stdout

    revoked = _frontdesk(tmp_path, "apikey", "revoke", "Portal")
    assert revoked.returncode == 0, revoked.stderr[-2000:]
    with sqlite3.connect(database) as connection:
        [(revoked_at,)] = connection.execute("SELECT revoked_at FROM accounts_apikey").fetchall()
    assert revoked_at is not None

    refused = _frontdesk(tmp_path, "apikey", "create", "--name", "Bad", "--role", "nobody")
    assert refused.returncode != 0
