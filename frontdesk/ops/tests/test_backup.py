"""Backup and restore: the round trip loses nothing, and a restore that does not verify says why."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from frontdesk.audit.models import AuditEvent, FieldChange
from frontdesk.audit.services import Change, audit_record
from frontdesk.ops.backup import (
    MANIFEST,
    SQLITE_FILE,
    BackupError,
    backup_create,
    backup_restore,
    database_alias,
)
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from tests.factories import CoverageFactory, PatientFactory, PatientPhoneFactory

PHOTO = b"\x89PNG\r\n\x1a\n synthetic photo bytes"


def _make_data() -> dict:
    patients: list[Any] = [PatientFactory() for _ in range(3)]
    patients[0].ssn = "987654321"
    patients[0].ssn_last4 = "4321"
    patients[0].photo.save("photo.png", ContentFile(PHOTO), save=True)
    for patient in patients:
        PatientPhoneFactory(patient=patient)
        CoverageFactory(patient=patient)
    for patient in patients:
        audit_record(
            actor=None,
            action="update",
            category="demographics",
            patient_id=patient.pk,
            object_type="patient",
            object_id=patient.pk,
            changes=[Change(field="email", old="old@example.com", new=patient.email)],
        )
    return {"patients": patients, "photo_name": patients[0].photo.name}


def _content(using: str) -> dict:
    """Everything the round trip must keep, read through the ORM from database ``using``."""
    return {
        "patients": list(Patient.objects.using(using).order_by("pk").values()),
        "ssn": list(Patient.objects.using(using).order_by("pk").values_list("ssn", flat=True)),
        "phones": list(PatientPhone.objects.using(using).order_by("pk").values()),
        "coverages": list(Coverage.objects.using(using).order_by("pk").values()),
        "audit": list(
            AuditEvent.objects.using(using).filter(sequence__lte=3).order_by("sequence").values()
        ),
        "changes": list(FieldChange.objects.using(using).order_by("pk").values()),
    }


def _fresh_sqlite(tmp_path: Path, name: str) -> dict:
    return {**connection.settings_dict, "NAME": str(tmp_path / name)}


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite round trip (the PostgreSQL one runs on PostgreSQL)",
)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL round trip: set FRONTDESK_DATABASE_URL to a PostgreSQL database",
)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_sqlite_round_trip_loses_nothing(tmp_path, settings):
    data = _make_data()
    before = _content("default")
    assert before["ssn"][0] == "987654321"

    manifest = backup_create(destination=tmp_path / "backup")

    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["tables"]["patients_patient"] == 3
    assert manifest["tables"]["patients_coverage"] == 3
    assert manifest["tables"]["audit_auditevent"] == 3
    assert manifest["audit_chain"]["head_sequence"] == 3
    assert manifest["audit_chain"]["head_hash"] == AuditEvent.objects.get(sequence=3).row_hash
    assert manifest["files"] == {data["photo_name"]: hashlib.sha256(PHOTO).hexdigest()}
    on_disk = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    assert on_disk == manifest
    # The backup itself is an audited export, recorded after the snapshot was taken.
    assert AuditEvent.objects.get(sequence=4).detail["event"] == "backup_created"

    target = _fresh_sqlite(tmp_path, "restored.sqlite3")
    media = tmp_path / "restored-files"
    report = backup_restore(source=tmp_path / "backup", database=target, media_root=media)

    assert report.problems == []
    with database_alias(target) as alias:
        assert _content(alias) == before
        assert AuditEvent.objects.using(alias).count() == 3
    assert (media / data["photo_name"]).read_bytes() == PHOTO


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_tar_gz_backup_round_trip(tmp_path):
    _make_data()
    before = _content("default")
    archive = tmp_path / "nightly.tar.gz"

    backup_create(destination=archive)

    assert archive.is_file()
    target = _fresh_sqlite(tmp_path, "from-archive.sqlite3")
    report = backup_restore(source=archive, database=target, media_root=tmp_path / "files2")
    assert report.problems == []
    with database_alias(target) as alias:
        assert _content(alias) == before


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_data_unless_forced(tmp_path):
    _make_data()
    backup_create(destination=tmp_path / "backup")
    target = _fresh_sqlite(tmp_path, "target.sqlite3")
    media = tmp_path / "media"
    assert backup_restore(source=tmp_path / "backup", database=target, media_root=media).ok
    with database_alias(target) as alias:
        Patient.objects.using(alias).filter(pk=Patient.objects.order_by("pk")[0].pk).update(
            first_name="Changedname"
        )

    with pytest.raises(BackupError, match="already holds data"):
        backup_restore(source=tmp_path / "backup", database=target, media_root=media)
    with database_alias(target) as alias:
        assert Patient.objects.using(alias).filter(first_name="Changedname").count() == 1

    report = backup_restore(
        source=tmp_path / "backup", database=target, media_root=media, force=True
    )
    assert report.problems == []
    with database_alias(target) as alias:
        assert Patient.objects.using(alias).filter(first_name="Changedname").count() == 0


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_reports_a_tampered_audit_chain_and_wrong_counts(tmp_path):
    _make_data()
    backup_dir = tmp_path / "backup"
    backup_create(destination=backup_dir)
    # Someone edits an audit row in the backup and fixes up the manifest's file hash and a count.
    db_file = backup_dir / SQLITE_FILE
    con = sqlite3.connect(db_file)
    con.execute("UPDATE audit_auditevent SET object_id = '77' WHERE sequence = 2")
    con.execute("DELETE FROM patients_patientphone")
    con.commit()
    con.close()
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    manifest["database"]["sha256"] = hashlib.sha256(db_file.read_bytes()).hexdigest()
    (backup_dir / MANIFEST).write_text(json.dumps(manifest))

    report = backup_restore(
        source=backup_dir, database=_fresh_sqlite(tmp_path, "t.sqlite3"), media_root=tmp_path / "m"
    )

    assert report.problems == [
        "table patients_patientphone: 0 rows, the backup had 3",
        "audit chain does not verify at sequence 2: the row's content does not match its hash",
    ]


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_backup(tmp_path):
    data = _make_data()
    backup_dir = tmp_path / "backup"
    backup_create(destination=backup_dir)
    (backup_dir / "files" / data["photo_name"]).write_bytes(b"not the photo")
    target = _fresh_sqlite(tmp_path, "t.sqlite3")

    with pytest.raises(BackupError, match=r"stored file .* missing or damaged"):
        backup_restore(source=backup_dir, database=target, media_root=tmp_path / "m")

    assert not Path(target["NAME"]).exists()


@pytest.mark.django_db(transaction=True)
def test_commands_back_up_and_refuse_to_overwrite(tmp_path):
    _make_data()
    out = StringIO()
    call_command("backup", str(tmp_path / "b"), stdout=out)
    assert "Backup written to" in out.getvalue()
    assert "audit chain head 3" in out.getvalue()

    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(tmp_path / "b"), stdout=StringIO())
    # The configured database holds data: restore refuses and changes nothing.
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(tmp_path / "b"), stdout=StringIO())
    assert Patient.objects.count() == 3
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "missing"), stdout=StringIO())


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_round_trip_into_a_second_database(tmp_path):
    data = _make_data()
    before = _content("default")
    second = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{second}"')
    target = {**connection.settings_dict, "NAME": second}
    try:
        manifest = backup_create(destination=tmp_path / "backup")
        assert manifest["database"]["vendor"] == "postgresql"
        assert (tmp_path / "backup" / "database.pgdump").read_bytes()[:5] == b"PGDMP"
        assert manifest["tables"]["patients_patient"] == 3
        assert manifest["audit_chain"]["head_sequence"] == 3

        report = backup_restore(
            source=tmp_path / "backup", database=target, media_root=tmp_path / "media"
        )

        assert report.problems == []
        with database_alias(target) as alias:
            assert _content(alias) == before
        assert (tmp_path / "media" / data["photo_name"]).read_bytes() == PHOTO

        with pytest.raises(BackupError, match="already holds data"):
            backup_restore(source=tmp_path / "backup", database=target, media_root=tmp_path / "m")
        report = backup_restore(
            source=tmp_path / "backup", database=target, media_root=tmp_path / "media", force=True
        )
        assert report.problems == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{second}" WITH (FORCE)')


def test_restore_refuses_an_archive_that_escapes_its_directory(tmp_path):
    import io
    import tarfile

    evil = tmp_path / "evil.tar.gz"
    payload = b"overwritten"
    with tarfile.open(evil, "w:gz") as archive:
        name = f"escaped-{uuid.uuid4().hex}.txt"
        member = tarfile.TarInfo(f"../{name}")
        member.size = len(payload)
        archive.addfile(member, io.BytesIO(payload))

    with pytest.raises(BackupError, match="unsafe entry"):
        backup_restore(
            source=evil, database=_fresh_sqlite(tmp_path, "x.sqlite3"), media_root=tmp_path
        )

    # Staging happens in a temporary directory: nothing may land beside it.
    assert not (Path(tempfile.gettempdir()) / name).exists()


def test_missing_postgresql_tools_are_named(monkeypatch, tmp_path):
    from frontdesk.ops.backup import _pg_tool

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without pg_dump or pg_restore

    with pytest.raises(BackupError, match=r"pg_dump was not found on PATH.*postgresql-client"):
        _pg_tool("pg_dump")
    with pytest.raises(BackupError, match=r"pg_restore was not found on PATH"):
        _pg_tool("pg_restore")


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_ledger_sums_are_recorded_and_a_changed_amount_is_reported(tmp_path, location, make_user):
    from decimal import Decimal

    from frontdesk.accounts.choices import Role
    from frontdesk.ledger.services import charge_post

    biller = make_user(Role.BILLING, location)
    patient = PatientFactory()
    for amount in ("0.01", "0.05", "120.10"):
        charge_post(actor=biller, patient=patient, location=location, code="visit", amount=amount)
    backup_dir = tmp_path / "backup"
    manifest = backup_create(destination=backup_dir)
    assert manifest["money"]["ledger_ledgerentry.amount"] == "120.16"
    assert Decimal(manifest["money"]["payments_payment.amount"]) == Decimal("0.00")

    clean = backup_restore(
        source=backup_dir, database=_fresh_sqlite(tmp_path, "a.sqlite3"), media_root=tmp_path / "m1"
    )
    assert clean.problems == []

    # Someone raises a charge inside the backup and fixes up the file hash.
    db_file = backup_dir / SQLITE_FILE
    con = sqlite3.connect(db_file)
    con.execute("UPDATE ledger_ledgerentry SET amount = 0.02 WHERE amount < 0.02")
    con.commit()
    con.close()
    tampered = json.loads((backup_dir / MANIFEST).read_text())
    tampered["database"]["sha256"] = hashlib.sha256(db_file.read_bytes()).hexdigest()
    (backup_dir / MANIFEST).write_text(json.dumps(tampered))
    report = backup_restore(
        source=backup_dir, database=_fresh_sqlite(tmp_path, "b.sqlite3"), media_root=tmp_path / "m2"
    )
    assert report.problems == [
        "money column ledger_ledgerentry.amount sums to 120.17, the backup had 120.16"
    ]
