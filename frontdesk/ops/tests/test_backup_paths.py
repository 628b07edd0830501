"""A backup's manifest names its stored files; a restore must not follow a name out of MEDIA_ROOT."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.db import connection

from frontdesk.ops.backup import MANIFEST, BackupError, backup_create, backup_restore
from tests.factories import PatientFactory


@pytest.mark.skipif(connection.vendor != "sqlite", reason="restores into a fresh SQLite file")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["../escaped.txt", "a/../../escaped.txt"])
def test_restore_refuses_a_manifest_file_name_outside_the_files_directory(tmp_path, name):
    PatientFactory()
    backup_dir = tmp_path / "backup"
    backup_create(destination=backup_dir)
    # A crafted backup: a file beside the manifest, listed with a name that climbs out of files/.
    payload = b"not a stored file"
    (backup_dir / "escaped.txt").write_bytes(payload)
    (backup_dir / "files" / "a").mkdir(parents=True, exist_ok=True)
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    manifest["files"][name] = hashlib.sha256(payload).hexdigest()
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))
    target = {**connection.settings_dict, "NAME": str(tmp_path / "restore" / "db.sqlite3")}
    media = tmp_path / "restore" / "files"

    with pytest.raises(BackupError, match="unsafe file name"):
        backup_restore(source=backup_dir, database=target, media_root=media)

    assert not (tmp_path / "restore" / "escaped.txt").exists()
    assert not Path(target["NAME"]).exists()


def test_absolute_names_are_refused_too(tmp_path):
    from frontdesk.ops.backup import _check_backup_intact

    (tmp_path / "db").write_bytes(b"x")
    manifest = {
        "database": {"file": "db", "sha256": hashlib.sha256(b"x").hexdigest()},
        "files": {str(tmp_path / "db"): hashlib.sha256(b"x").hexdigest()},
    }
    with pytest.raises(BackupError, match="unsafe file name"):
        _check_backup_intact(tmp_path, manifest)
