"""The message log and the follow-up task screens: masking, scoping, filters, audit, claim/complete."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.notifications.models import FollowUpTask, Message
from frontdesk.notifications.selectors import mask_address
from frontdesk.notifications.services import inbound_sms_record, message_deliver_now
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


def desk(*locations, role=Role.FRONT_DESK):
    user = UserFactory(role=role, first_name="Desmond")
    assign(user, *locations)
    client = Client()
    client.force_login(user)
    return user, client


def _message(appointment, *, channel="sms", to="+12025550131", status="sent", key="k1"):
    return Message.objects.create(
        patient=appointment.patient,
        appointment=appointment,
        channel=channel,
        purpose="reminder_24h",
        to_address=to,
        body="Zzbody reminder",
        status=status,
        idempotency_key=key,
        attempts=1,
        sent_at=timezone.now() if status == "sent" else None,
        error="gateway said no" if status == "failed" else "",
    )


def audit_types(before: int) -> list[tuple[str, str, int | None]]:
    return list(
        AuditEvent.objects.order_by("sequence")[before:].values_list(
            "action", "object_type", "actor_id"
        )
    )


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("+12025550131", "***-***-0131"),
        ("remindia@example.com", "r***@example.com"),
        ("12", "***"),
        ("", "***"),
    ],
)
def test_mask_address(address, masked):
    assert mask_address(address) == masked


def test_message_log_lists_sent_messages_masked_and_is_audited(appointment):
    _message(appointment)
    _message(appointment, channel="email", to="remindia@example.com", status="failed", key="k2")
    user, client = desk(appointment.location)
    before = AuditEvent.objects.count()

    response = client.get(reverse("notifications:log"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "***-***-0131" in page and "r***@example.com" in page
    assert "+12025550131" not in page and "remindia@example.com" not in page
    assert "Zzbody" not in page
    assert "gateway said no" in page
    assert "2 messages." in page
    assert audit_types(before) == [
        ("query", "message", user.pk),
        ("query", "inbound_message", user.pk),
    ]


def test_message_log_filters_by_status_and_channel(appointment):
    _message(appointment)
    failed = _message(appointment, channel="email", to="r@example.com", status="failed", key="k2")
    _, client = desk(appointment.location)

    page = client.get(reverse("notifications:log"), {"status": "failed", "channel": "email"})

    text = page.content.decode()
    assert f'data-message="{failed.pk}"' in text
    assert "1 message." in text
    assert "clear the status and channel filters" in text


def test_message_log_rejects_a_backwards_date_range(appointment):
    _, client = desk(appointment.location)
    response = client.get(
        reverse("notifications:log"), {"date_from": "2026-12-02", "date_to": "2026-12-01"}
    )
    assert response.status_code == 400
    assert "Must be on or after the start date." in response.content.decode()


def test_message_log_hides_other_locations_appointments(appointment):
    _message(appointment)
    _, client = desk(LocationFactory())
    page = client.get(reverse("notifications:log")).content.decode()
    assert "0 messages." in page


def test_message_log_shows_replies_with_code_and_outcome(appointment):
    _message(appointment, key=f"reminder:{appointment.pk}:24:sms")
    inbound_sms_record(from_number="+12025550131", body="R")
    inbound_sms_record(from_number="+12025550999", body="Zzwho is this")
    _, client = desk(appointment.location)

    page = client.get(reverse("notifications:log")).content.decode()

    assert "Reschedule requested" in page and "<td>R</td>" in page
    assert "Unknown sender" in page and "***-***-0999" in page
    assert "Zzwho" not in page


def test_delivery_counts_attempts_and_failure_time(appointment, settings):
    settings.NOTIFY_SMS_GATEWAY = "http"
    settings.NOTIFY_SMS_HTTP_URL = "http://127.0.0.1:9/unreachable"
    message = _message(appointment, status="queued")
    Message.objects.filter(pk=message.pk).update(attempts=0)

    message_deliver_now(message_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.failed_at is not None) == (
        "failed",
        1,
        True,
    )


def test_billing_works_tasks_but_does_not_read_the_message_log(appointment):
    _, client = desk(appointment.location, role=Role.BILLING)
    assert client.get(reverse("notifications:log")).status_code == 403
    assert client.get(reverse("notifications:tasks")).status_code == 200


@pytest.mark.parametrize("role", [Role.NURSE, Role.PROVIDER, Role.ADMIN])
def test_roles_without_message_or_task_actions_are_refused(appointment, role):
    task = FollowUpTask.objects.create(kind="reschedule_callback", patient=appointment.patient)
    _, client = desk(appointment.location, role=role)
    assert client.get(reverse("notifications:log")).status_code == 403
    assert client.get(reverse("notifications:tasks")).status_code == 403
    assert client.post(reverse("notifications:task_claim", args=[task.pk])).status_code == 403
    task.refresh_from_db()
    assert task.claimed_by_id is None


# --- follow-up tasks -------------------------------------------------------------------------------


@pytest.fixture
def task(appointment):
    return FollowUpTask.objects.create(
        kind="reschedule_callback", patient=appointment.patient, appointment=appointment
    )


def test_task_list_shows_open_tasks_and_the_nav_badge(task, appointment):
    FollowUpTask.objects.create(
        kind="reschedule_callback",
        patient=PatientFactory(),
        appointment=AppointmentFactory(location=LocationFactory()),
    )
    user, client = desk(appointment.location)
    before = AuditEvent.objects.count()

    page = client.get(reverse("notifications:tasks")).content.decode()

    assert f'data-task="{task.pk}"' in page
    assert "1 task." in page
    assert "Call back to reschedule" in page
    assert f'Tasks <span data-count-url="{reverse("notifications:task_count")}"' in page
    assert audit_types(before) == [("query", "followup_task", user.pk)]
    assert client.get(reverse("notifications:task_count")).json() == {"count": 1}


def test_claim_then_complete_with_a_note(task, appointment):
    user, client = desk(appointment.location)
    before = AuditEvent.objects.count()

    client.post(reverse("notifications:task_claim", args=[task.pk]))
    task.refresh_from_db()
    assert task.claimed_by_id == user.pk

    missing = client.post(
        reverse("notifications:task_complete", args=[task.pk]), {"note": " "}, follow=True
    )
    assert "Say what was done (at most 500 characters)." in missing.content.decode()
    task.refresh_from_db()
    assert task.done_at is None

    client.post(reverse("notifications:task_complete", args=[task.pk]), {"note": "Moved to Friday"})
    task.refresh_from_db()
    assert (task.done_by_id, task.note, task.done_at is not None) == (
        user.pk,
        "Moved to Friday",
        True,
    )
    assert [
        (row["action"], row["detail"]["event"], row["patient_id"])
        for row in AuditEvent.objects.order_by("sequence")[before:].values(
            "action", "detail", "patient_id"
        )
        if row["action"] == "update"  # the follow=True page view adds its own query row
    ] == [
        ("update", "followup_task_claimed", task.patient_id),
        ("update", "followup_task_completed", task.patient_id),
    ]
    page = client.get(reverse("notifications:tasks")).content.decode()
    assert "0 tasks." in page
    assert client.get(reverse("notifications:task_count")).json() == {"count": 0}
    done = client.get(reverse("notifications:tasks"), {"done": "1"}).content.decode()
    assert "Moved to Friday" in done


def test_a_task_claimed_by_someone_else_cannot_be_taken_or_closed(task, appointment):
    _, first = desk(appointment.location)
    _, second = desk(appointment.location)
    first.post(reverse("notifications:task_claim", args=[task.pk]))

    response = second.post(reverse("notifications:task_claim", args=[task.pk]), follow=True)
    assert "Someone else has claimed this task." in response.content.decode()
    second.post(reverse("notifications:task_complete", args=[task.pk]), {"note": "Called"})
    task.refresh_from_db()
    assert task.done_at is None


def test_task_of_another_location_is_404(task):
    _, client = desk(LocationFactory())
    assert client.post(reverse("notifications:task_claim", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.claimed_by_id is None


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_message_log_and_tasks_run_a_constant_number_of_queries(appointment):
    _, client = desk(appointment.location)
    _message(appointment, key="k0")
    FollowUpTask.objects.create(
        kind="reschedule_callback", patient=appointment.patient, appointment=appointment
    )
    _queries(client, reverse("notifications:log"))  # warm up: the audit chain's first row
    few = (
        _queries(client, reverse("notifications:log")),
        _queries(client, reverse("notifications:tasks")),
    )
    for n in range(5):
        other = AppointmentFactory(location=appointment.location)
        _message(other, key=f"k{n + 1}")
        FollowUpTask.objects.create(
            kind="reschedule_callback", patient=other.patient, appointment=other
        )

    many = (
        _queries(client, reverse("notifications:log")),
        _queries(client, reverse("notifications:tasks")),
    )

    assert many == few
