"""The whole day's encounter forms as a background batch: request, build with progress, encrypted
storage, progress page (htmx), audited download for the requester or a manager, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
import zxingcpp
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core import crypto
from frontdesk.core.errors import NotFound, PermissionDenied
from frontdesk.practice.models import StaffLocation
from frontdesk.printing import batch_services
from frontdesk.printing import pdf as drawing
from frontdesk.printing.formcode import decode_form_code
from frontdesk.printing.models import EncounterFormBatch
from frontdesk.printing.tasks import encounter_form_batch, encounter_form_batches_expire
from frontdesk.printing.tests.conftest import NOW, TOMORROW, pdf_reader, printed_order
from tests.factories import UserFactory, assign


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _request(practice, user=None):
    return batch_services.encounter_form_batch_request(
        actor=user or practice.clerk, location=practice.location, day=TOMORROW
    )


def _built(practice, user=None):
    batch = _request(practice, user)
    return batch_services.encounter_form_batch_build(batch_id=batch.pk)


def _scanned(content: bytes) -> list[int]:
    return [
        decode_form_code(barcode.text)
        for page in pdf_reader(content).pages
        for image in page.images
        for barcode in zxingcpp.read_barcodes(image.image)
    ]


# --- request ---------------------------------------------------------------------------------------
def test_request_queues_a_batch_and_enqueues_its_task_after_commit(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = _request(practice)
    assert len(callbacks) == 1
    assert (batch.status, batch.requested_by, batch.location, batch.day) == (
        "queued",
        practice.clerk,
        practice.location,
        TOMORROW,
    )
    assert batch.expires_at == NOW + dt.timedelta(hours=24)
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.args_kwargs) == (
        "frontdesk.printing.tasks.encounter_form_batch",
        {"args": [batch.pk], "kwargs": {}},
    )


def test_asking_twice_while_queued_is_one_batch(practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _request(practice)
        second = _request(practice)
    assert first.pk == second.pk
    assert EncounterFormBatch.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_one_pending_batch_per_requester_location_and_day_is_a_database_rule(practice):
    batch = _request(practice)
    with pytest.raises(IntegrityError), transaction.atomic():
        EncounterFormBatch.objects.create(
            requested_by=batch.requested_by,
            location=batch.location,
            day=batch.day,
            expires_at=batch.expires_at,
        )
    # Another day, or the same day once the first is built, is a new batch.
    assert _built(practice).pk == batch.pk
    assert _request(practice).pk != batch.pk


def test_a_pending_batch_that_outlived_its_lifetime_is_closed_and_replaced(practice):
    stuck = _request(practice)
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        fresh = _request(practice)
    stuck.refresh_from_db()
    assert fresh.pk != stuck.pk
    assert (stuck.status, stuck.error) == ("failed", "Not built in time; it was asked for again.")
    assert fresh.status == "queued"


def test_request_needs_the_role_and_the_location(practice):
    nurse = assign(UserFactory(role=Role.ADMIN), practice.location)
    with pytest.raises(PermissionDenied):
        _request(practice, nurse)
    with pytest.raises(NotFound):
        batch_services.encounter_form_batch_request(
            actor=practice.clerk, location=practice.other_location, day=TOMORROW
        )
    assert EncounterFormBatch.objects.count() == 0


# --- build -----------------------------------------------------------------------------------------
def test_build_stores_an_encrypted_pdf_whose_codes_scan(practice):
    batch = _built(practice)
    assert (batch.status, batch.form_count, batch.forms_done, batch.page_count, batch.error) == (
        "ready",
        4,
        4,
        4,
        "",
    )
    assert batch.appointment_ids == printed_order(practice)
    assert batch.finished_at == NOW
    assert batch.file_name.startswith(f"printing/batches/{batch.pk}-")
    assert batch.file_name.endswith(".pdf.enc")
    with default_storage.open(batch.file_name, "rb") as handle:
        stored = handle.read()
    assert not stored.startswith(b"%PDF")  # encrypted at rest
    for patient_name in ("Zzpat0", "Zzpat1"):
        assert patient_name.encode() not in stored
    content = crypto.decrypt_bytes(stored)
    assert _scanned(content) == printed_order(practice)
    event = AuditEvent.objects.get(object_type="encounter_form_batch")
    assert (event.action, event.actor_id, event.object_id) == (
        "create",
        practice.clerk.pk,
        str(batch.pk),
    )
    assert event.detail == {
        "location_id": practice.location.pk,
        "date": "2026-12-02",
        "pages": 4,
        "appointment_ids": printed_order(practice),
    }


def test_build_reports_progress_as_it_draws(practice, monkeypatch):
    batch = _request(practice)
    seen = []
    original = drawing.draw_encounter_form

    def watching(pdf, **kwargs):
        row = EncounterFormBatch.objects.get(pk=batch.pk)
        seen.append((row.status, row.forms_done, row.form_count))
        original(pdf, **kwargs)

    monkeypatch.setattr(drawing, "draw_encounter_form", watching)
    batch_services.encounter_form_batch_build(batch_id=batch.pk)
    assert seen == [("running", 0, 4), ("running", 1, 4), ("running", 2, 4), ("running", 3, 4)]


def test_a_batch_builds_once(practice):
    batch = _built(practice)
    assert batch_services.encounter_form_batch_build(batch_id=batch.pk) is None
    assert batch_services.encounter_form_batch_build(batch_id=batch.pk + 1000) is None
    assert AuditEvent.objects.filter(object_type="encounter_form_batch").count() == 1


def test_a_requester_who_left_the_location_gets_a_failed_batch(practice):
    batch = _request(practice)
    StaffLocation.objects.filter(user=practice.clerk).delete()
    built = batch_services.encounter_form_batch_build(batch_id=batch.pk)
    assert (built.status, built.error, built.file_name) == (
        "failed",
        "The requester may no longer print forms at this location.",
        "",
    )
    assert AuditEvent.objects.filter(object_type="encounter_form_batch").count() == 0


def test_an_unexpected_error_fails_the_batch_and_the_task_and_leaves_no_file(practice, monkeypatch):
    batch = _request(practice)

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(default_storage, "save", full_disk)
    with pytest.raises(OSError):
        batch_services.encounter_form_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.error, batch.file_name) == (
        "failed",
        "The forms could not be built; ask IT to look at the worker log.",
        "",
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_the_batch(practice):
    batch = _request(practice)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    result = DBTaskResult.objects.get()
    assert (result.status, result.return_value) == (
        "SUCCESSFUL",
        {"batch_id": batch.pk, "status": "ready", "forms": 4},
    )
    batch.refresh_from_db()
    assert batch.status == "ready"


# --- progress page and download -------------------------------------------------------------------
def test_progress_page_polls_until_ready_then_offers_the_download(practice):
    client = _client(practice.clerk)
    response = client.post(
        reverse("printing:batch_create"),
        {"location": practice.location.pk, "date": "2026-12-02"},
    )
    batch = EncounterFormBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("printing:batch", kwargs={"pk": batch.pk})

    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Encounter forms: Main Street Clinic, Wednesday 2 December 2026" in body
    assert "Waiting for the background worker to start" in body
    assert f'hx-get="{reverse("printing:batch", kwargs={"pk": batch.pk})}"' in body

    batch_services.encounter_form_batch_build(batch_id=batch.pk)
    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert html.startswith('<div id="batch-status"')
    assert "hx-get" not in html  # polling stops
    assert "Ready: 4 forms on 4 pages." in html
    download_url = reverse("printing:batch_download", kwargs={"pk": batch.pk})
    assert f'href="{download_url}"' in html

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        f'attachment; filename="encounter-forms-{practice.location.pk}-2026-12-02.pdf"'
    )
    assert (download["Cache-Control"], download["X-Content-Type-Options"]) == (
        "no-store",
        "nosniff",
    )
    assert _scanned(download.content) == printed_order(practice)
    printed = AuditEvent.objects.get(action="print")
    assert (printed.actor_id, printed.object_type, printed.object_id) == (
        practice.clerk.pk,
        "encounter_form_batch",
        str(batch.pk),
    )
    assert printed.detail == {
        "view": "encounter_form_batch_download",
        "location_id": practice.location.pk,
        "date": "2026-12-02",
        "appointment_ids": printed_order(practice),
    }


def test_print_page_lists_the_users_batches(practice):
    batch = _built(practice)
    body = _client(practice.clerk).get(reverse("printing:print")).content.decode()
    assert f'href="{reverse("printing:batch", kwargs={"pk": batch.pk})}"' in body
    assert "ready (4 forms)" in body
    colleague = assign(UserFactory(role=Role.FRONT_DESK), practice.location)
    assert (
        "Your whole-day forms"
        not in _client(colleague).get(reverse("printing:print")).content.decode()
    )


@pytest.mark.parametrize(
    ("who", "page", "download"),
    [
        ("requester", 200, 200),
        ("manager", 200, 200),
        ("colleague", 404, 404),  # same location, not the requester, not a manager
        ("elsewhere", 404, 404),  # another location's desk
        ("admin", 403, 403),  # no forms.print
    ],
)
def test_who_may_follow_and_download_a_batch(practice, who, page, download):
    batch = _built(practice)
    users = {
        "requester": practice.clerk,
        "manager": practice.manager,
        "colleague": assign(UserFactory(role=Role.FRONT_DESK), practice.location),
        "elsewhere": assign(UserFactory(role=Role.FRONT_DESK), practice.other_location),
        "admin": UserFactory(role=Role.ADMIN),
    }
    client = _client(users[who])
    assert client.get(reverse("printing:batch", kwargs={"pk": batch.pk})).status_code == page
    url = reverse("printing:batch_download", kwargs={"pk": batch.pk})
    assert client.get(url).status_code == download
    assert AuditEvent.objects.filter(action="print").count() == (1 if download == 200 else 0)


def test_download_refuses_pending_expired_and_damaged_batches(practice):
    client = _client(practice.clerk)
    pending = _request(practice)
    url = reverse("printing:batch_download", kwargs={"pk": pending.pk})
    response = client.get(url)
    assert (response.status_code, response.content) == (409, b"These forms are not ready yet.")

    batch = batch_services.encounter_form_batch_build(batch_id=pending.pk)
    default_storage.delete(batch.file_name)
    default_storage.save(batch.file_name, ContentFile(crypto.encrypt_bytes(b"%PDF-forged")))
    response = client.get(url)
    assert (response.status_code, response.content) == (
        410,
        b"The stored forms could not be read; print them again.",
    )

    with time_machine.travel(NOW + dt.timedelta(hours=24), tick=False):
        client = _client(practice.clerk)  # a new session: the old one has timed out
        response = client.get(url)
        page = client.get(reverse("printing:batch", kwargs={"pk": batch.pk}))
    assert (response.status_code, response.content) == (
        410,
        b"These forms have expired; print them again.",
    )
    assert "These forms have expired" in page.content.decode()
    assert AuditEvent.objects.filter(action="print").count() == 0


@pytest.mark.parametrize(
    "data",
    [{}, {"location": "1"}, {"date": "2026-12-02"}, {"location": "x", "date": "2026-12-02"}],
)
def test_batch_request_needs_location_and_date(practice, data):
    response = _client(practice.clerk).post(reverse("printing:batch_create"), data)
    assert (response.status_code, response.content) == (
        400,
        b"Give a location and a date (YYYY-MM-DD).",
    )
    assert EncounterFormBatch.objects.count() == 0


def test_batch_request_for_another_location_is_404(practice):
    response = _client(practice.clerk).post(
        reverse("printing:batch_create"),
        {"location": practice.other_location.pk, "date": "2026-12-02"},
    )
    assert response.status_code == 404
    assert EncounterFormBatch.objects.count() == 0


def test_whole_day_forms_are_no_longer_drawn_in_the_request(practice):
    response = _client(practice.clerk).get(
        reverse("printing:encounter_forms_pdf"),
        {"location": practice.location.pk, "date": "2026-12-02"},
    )
    assert (response.status_code, response.content) == (
        400,
        b"Give an appointment id; print the whole day's forms from the Print page.",
    )
    assert AuditEvent.objects.count() == 0


# --- expiry ----------------------------------------------------------------------------------------
def test_expired_batches_and_their_files_are_deleted(practice):
    old = _built(practice)
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        fresh = _built(practice)
    assert default_storage.exists(old.file_name)

    with time_machine.travel(NOW + dt.timedelta(hours=24), tick=False):
        assert encounter_form_batches_expire.call() == 1
    assert list(EncounterFormBatch.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not default_storage.exists(old.file_name)
    assert default_storage.exists(fresh.file_name)
    purge = AuditEvent.objects.get(action="delete", object_type="encounter_form_batch")
    assert (purge.actor_name, purge.detail) == (
        "system (print batches)",
        {"deleted": 1, "batch_ids": [old.pk]},
    )
    assert batch_services.encounter_form_batches_purge() == 0  # nothing more (and no audit row)
    assert AuditEvent.objects.filter(action="delete").count() == 1


def test_a_queued_batch_that_expired_is_deleted_and_its_task_is_a_no_op(practice):
    batch = _request(practice)
    assert batch_services.encounter_form_batches_purge(now=NOW + dt.timedelta(days=1)) == 1
    assert encounter_form_batch.call(batch.pk) == {"batch_id": batch.pk, "status": "skipped"}


def test_the_clock_expires_batches_hourly():
    from frontdesk.printing.periodic import PERIODIC_TASKS

    assert [(p.name, p.every) for p in PERIODIC_TASKS] == [
        ("printing.downtime_packet", dt.timedelta(hours=1)),
        ("printing.batches_expire", dt.timedelta(hours=1)),
    ]
    assert PERIODIC_TASKS[1].task is encounter_form_batches_expire
