# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""notification_send: consent per channel, quiet hours, idempotency, audit, enqueue after commit."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import ValidationFailed
from frontdesk.notifications.models import Message
from frontdesk.notifications.services import notification_send, quiet_hours_end
from tests.factories import PatientFactory, PatientPhoneFactory

NY = zoneinfo.ZoneInfo("America/New_York")


def _send(patient, **kwargs):
    return notification_send(
        patient=patient, purpose="running_late", text="Running 15 min late.", **kwargs
    )


@pytest.mark.django_db
def test_one_message_per_consented_channel_with_one_audit_row_each(
    patient, appointment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messages = _send(
            patient, subject="Running late", appointment=appointment, idempotency_key="k1"
        )

    assert [(m.channel, m.to_address, m.status) for m in messages] == [
        ("sms", "+12025550131", "queued"),
        ("email", "remindia@example.com", "queued"),
    ]
    assert [m.idempotency_key for m in messages] == ["k1:sms", "k1:email"]
    assert [m.subject for m in messages] == ["", "Running late"]
    assert len(callbacks) == 2
    queued = DBTaskResult.objects.order_by("enqueued_at")
    assert [row.task_path for row in queued] == [
        "frontdesk.notifications.tasks.message_deliver",
        "frontdesk.notifications.tasks.message_deliver",
    ]
    assert sorted(row.args_kwargs["args"][0] for row in queued) == sorted(m.pk for m in messages)
    rows = AuditEvent.objects.order_by("sequence")
    assert [(r.action, r.category, r.patient_id, r.object_type, r.object_id) for r in rows] == [
        ("create", "schedule", patient.pk, "message", str(messages[0].pk)),
        ("create", "schedule", patient.pk, "message", str(messages[1].pk)),
    ]
    assert rows[0].detail == {"channel": "sms", "purpose": "running_late"}


@pytest.mark.django_db
def test_no_consent_means_no_message_and_nothing_written():
    patient = PatientFactory(email="nocon@example.com")
    PatientPhoneFactory(patient=patient, sms_capable=True)

    assert _send(patient) == []
    assert Message.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_sms_needs_an_sms_capable_phone_and_email_needs_an_address():
    patient = PatientFactory(
        email="", sms_consent_at=dt.date(2026, 1, 1), email_consent_at=dt.date(2026, 1, 1)
    )
    PatientPhoneFactory(patient=patient, sms_capable=False)
    assert _send(patient) == []

    PatientPhoneFactory(patient=patient, number="+12025550177", sms_capable=True, rank=2)
    assert [(m.channel, m.to_address) for m in _send(patient)] == [("sms", "+12025550177")]


@pytest.mark.django_db
def test_channels_narrows_the_choice(patient):
    assert [m.channel for m in _send(patient, channels=["email"])] == ["email"]
    with pytest.raises(ValidationFailed) as caught:
        _send(patient, channels=["fax"])
    assert caught.value.fields == {"channels": ["Unknown channel."]}
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_the_same_idempotency_key_never_writes_a_second_message(
    patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(patient, idempotency_key="offer:9")
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = _send(patient, idempotency_key="offer:9")

    assert [m.pk for m in second] == [m.pk for m in first]
    assert second_callbacks == []
    assert Message.objects.count() == 2
    assert AuditEvent.objects.count() == 2
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_inside_quiet_hours_the_message_is_deferred_to_their_end(
    settings, patient, appointment, django_capture_on_commit_callbacks
):
    local = timezone.now().astimezone(NY)
    start, end = local - dt.timedelta(hours=1), local + dt.timedelta(hours=1)
    settings.NOTIFY_QUIET_HOURS = f"{start:%H:%M}-{end:%H:%M}"

    with django_capture_on_commit_callbacks(execute=True):
        messages = _send(patient, appointment=appointment)

    expected = end.replace(second=0, microsecond=0).astimezone(dt.UTC)
    assert [(m.status, m.send_after) for m in messages] == [
        ("deferred", expected),
        ("deferred", expected),
    ]
    assert [row.run_after for row in DBTaskResult.objects.all()] == [expected, expected]


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (
            dt.datetime(2026, 11, 26, 22, 30, tzinfo=NY),
            dt.datetime(2026, 11, 27, 13, 0, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2026, 11, 26, 7, 59, tzinfo=NY),
            dt.datetime(2026, 11, 26, 13, 0, tzinfo=dt.UTC),
        ),
        (
            dt.datetime(2026, 11, 26, 21, 0, tzinfo=NY),
            dt.datetime(2026, 11, 27, 13, 0, tzinfo=dt.UTC),
        ),
        (dt.datetime(2026, 11, 26, 8, 0, tzinfo=NY), None),
        (dt.datetime(2026, 11, 26, 20, 59, tzinfo=NY), None),
        # The night DST ends (1 Nov 2026): 08:00 EST is 13:00 UTC.
        (
            dt.datetime(2026, 10, 31, 23, 0, tzinfo=NY),
            dt.datetime(2026, 11, 1, 13, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_quiet_hours_span_midnight_in_the_location_zone(settings, local, expected):
    settings.NOTIFY_QUIET_HOURS = "21:00-08:00"
    assert quiet_hours_end(now=local, tz=NY) == expected
