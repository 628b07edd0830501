# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""reminders_due: each configured hour mark once per appointment, however often it runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from frontdesk.audit.models import AuditEvent
from frontdesk.notifications.models import Message
from frontdesk.notifications.tasks import reminders_due
from tests.factories import AppointmentFactory


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def _at(appointment, when):
    appointment.starts_at = when
    appointment.ends_at = when + dt.timedelta(minutes=30)
    appointment.save(update_fields=["starts_at", "ends_at"])
    return appointment


@pytest.mark.django_db
def test_a_reminder_goes_out_once_per_window_even_when_run_twice(settings, appointment, now):
    settings.NOTIFY_REMINDER_HOURS = [72, 24]
    settings.NOTIFY_REMINDER_WINDOW_MINUTES = 30
    _at(appointment, now + dt.timedelta(hours=24, minutes=10))
    cancelled = AppointmentFactory(
        patient=appointment.patient,
        location=appointment.location,
        starts_at=now + dt.timedelta(hours=72),
        status="cancelled",
        cancellation_reason="patient_request",
        cancelled_by="patient",
    )
    outside = AppointmentFactory(
        patient=appointment.patient,
        location=appointment.location,
        starts_at=now + dt.timedelta(hours=48),
    )

    assert reminders_due.call(now.isoformat()) == 2
    assert reminders_due.call(now.isoformat()) == 0
    assert reminders_due.call((now + dt.timedelta(minutes=15)).isoformat()) == 0

    rows = Message.objects.order_by("pk")
    assert [(m.appointment_id, m.purpose, m.channel, m.idempotency_key) for m in rows] == [
        (appointment.pk, "reminder_24h", "sms", f"reminder:{appointment.pk}:24:sms"),
        (appointment.pk, "reminder_24h", "email", f"reminder:{appointment.pk}:24:email"),
    ]
    assert Message.objects.filter(appointment__in=[cancelled, outside]).count() == 0
    assert AuditEvent.objects.filter(object_type="message").count() == 2
    for message in rows:
        assert "Zzsecretreason" not in message.body
        assert b"Zzsecretreason" not in (bytes(message.ics) if message.ics else b"")
    assert [m.ics is None for m in rows] == [True, False]


@pytest.mark.django_db
def test_each_hour_mark_has_its_own_reminder(settings, appointment, now):
    settings.NOTIFY_REMINDER_HOURS = [72, 24]
    settings.NOTIFY_REMINDER_WINDOW_MINUTES = 30
    _at(appointment, now + dt.timedelta(hours=72))

    assert reminders_due.call(now.isoformat()) == 2
    assert reminders_due.call((now + dt.timedelta(hours=48)).isoformat()) == 2

    assert sorted(Message.objects.values_list("purpose", "channel")) == [
        ("reminder_24h", "email"),
        ("reminder_24h", "sms"),
        ("reminder_72h", "email"),
        ("reminder_72h", "sms"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_each_reminder_once_across_restarts(settings, appointment, now):
    settings.NOTIFY_REMINDER_HOURS = [24]
    _at(appointment, now + dt.timedelta(hours=24))
    reminders_due.enqueue(now.isoformat())
    reminders_due.enqueue(now.isoformat())  # a duplicate run (e.g. a scheduler restarted)

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    # A second worker pass (a restarted worker) finds nothing left to send.
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    assert sorted(Message.objects.values_list("channel", "status")) == [
        ("email", "sent"),
        ("sms", "sent"),
    ]
    outbox = (settings.DATA_DIR / "sms-outbox.jsonl").read_text().splitlines()
    assert len(outbox) == 1
    statuses = sorted(
        (row.task_path.rsplit(".", 1)[1], row.status) for row in DBTaskResult.objects.all()
    )
    assert statuses == [
        ("message_deliver", "SUCCESSFUL"),
        ("message_deliver", "SUCCESSFUL"),
        ("reminders_due", "SUCCESSFUL"),
        ("reminders_due", "SUCCESSFUL"),
    ]


@pytest.mark.django_db
def test_deferred_messages_are_released_once_quiet_hours_end(settings, appointment, now):
    settings.NOTIFY_REMINDER_HOURS = [24]
    _at(appointment, now + dt.timedelta(hours=24))
    reminders_due.call(now.isoformat())
    Message.objects.update(status="deferred", send_after=now + dt.timedelta(minutes=5))
    DBTaskResult.objects.all().delete()

    reminders_due.call((now + dt.timedelta(minutes=1)).isoformat())
    assert DBTaskResult.objects.count() == 0
    reminders_due.call((now + dt.timedelta(minutes=6)).isoformat())
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_the_command_runs_or_enqueues_the_reminder_run(settings, appointment, now):
    from io import StringIO

    settings.NOTIFY_REMINDER_HOURS = [24]
    _at(appointment, timezone.now() + dt.timedelta(hours=24, minutes=5))
    out = StringIO()

    call_command("send_reminders", stdout=out)
    assert out.getvalue() == "Reminder run enqueued.\n"
    assert [row.task_path for row in DBTaskResult.objects.all()] == [
        "frontdesk.notifications.tasks.reminders_due"
    ]
    assert Message.objects.count() == 0

    out = StringIO()
    call_command("send_reminders", "--now", stdout=out)
    call_command("send_reminders", "--now", stdout=StringIO())
    assert out.getvalue() == "2 reminder message(s) written.\n"
    assert Message.objects.count() == 2
