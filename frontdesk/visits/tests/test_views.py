"""The front-desk screens: who sees what, the check-in and move panels, live refresh, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.visits import services
from frontdesk.visits.models import CheckIn, FlowEvent, RunningLateNotice, Visit
from frontdesk.visits.services import CheckInInput
from frontdesk.visits.tests.conftest import at
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

CHECKLIST = {
    "identity_confirmed": "on",
    "identity_method": "dob",
    "demographics_confirmed": "on",
    "changed_fields": ["address"],
    "insurance_confirmed": "on",
}


def _checked_in(clerk: Any, appointment: Any) -> Any:
    return services.visit_check_in(
        actor=clerk,
        appointment=appointment,
        data=CheckInInput(identity_confirmed=True, identity_method="photo"),
    )


@pytest.mark.parametrize(
    ("role", "today", "board", "can_move"),
    [
        (Role.FRONT_DESK, 200, 200, True),
        (Role.PRACTICE_MANAGER, 200, 200, True),
        (Role.NURSE, 403, 200, True),
        (Role.PROVIDER, 403, 200, True),
        (Role.SCHEDULER, 403, 200, False),
        (Role.BILLING, 403, 200, False),
        (Role.ADMIN, 403, 403, False),
    ],
)
def test_screens_per_role(day, staff_client, role, today, board, can_move) -> None:
    day.book(at(9, 20), first_name="Rolepat")
    client = staff_client(role)
    assert client.get(reverse("visits:today")).status_code == today
    response = client.get(reverse("visits:board"))
    assert response.status_code == board
    if board == 200:
        html = response.content.decode()
        assert "Zzexample, R." in html
        assert "Rolepat" not in html  # short names only on the shared board
        assert ("Notify remaining patients" in html) is can_move


def test_check_in_through_the_panel(day, staff_client) -> None:
    appointment = day.book(at(9, 20))
    client = staff_client(Role.FRONT_DESK)
    panel = client.get(reverse("visits:check_in", args=[appointment.pk]))
    html = panel.content.decode()
    assert panel.status_code == 200
    # No consent on file: both required ones are due, with where to record a paper signature.
    assert "<li>Notice of privacy practices</li><li>Financial policy</li>" in html
    assert reverse("chartprep:patient", kwargs={"pk": appointment.patient_id}) in html
    assert "$25.00" in html
    assert "Prior balance: none recorded (no account yet)." in html
    take = reverse("payments:take", kwargs={"pk": appointment.patient_id})
    assert f'href="{take}?appointment={appointment.pk}"' in html

    response = client.post(reverse("visits:check_in", args=[appointment.pk]), CHECKLIST)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "flow-changed"
    assert "Collect $25.00." in response.content.decode()
    check = CheckIn.objects.get()
    assert (check.changed_fields, check.identity_method) == (["address"], "dob")


def test_check_in_without_identity_shows_the_message_and_changes_nothing(day, staff_client) -> None:
    appointment = day.book(at(9, 20))
    client = staff_client(Role.FRONT_DESK)
    response = client.post(
        reverse("visits:check_in", args=[appointment.pk]), {"identity_method": "dob"}
    )
    assert response.status_code == 422
    assert escape(services.MSG_IDENTITY) in response.content.decode()
    assert CheckIn.objects.count() == 0
    assert Visit.objects.count() == 0


def test_cancelled_appointment_answers_409(day, staff_client) -> None:
    appointment = day.book(at(9, 20))
    appointment.status, appointment.cancellation_reason, appointment.cancelled_by = (
        "cancelled",
        "other",
        "patient",
    )
    appointment.save()
    client = staff_client(Role.FRONT_DESK)
    response = client.post(reverse("visits:check_in", args=[appointment.pk]), CHECKLIST)
    assert response.status_code == 409
    assert services.MSG_CANCELLED in response.content.decode()
    assert CheckIn.objects.count() == 0


def test_check_in_loads_the_cost_estimate_beside_the_eligibility_panel(day, staff_client) -> None:
    insured = day.book(at(9, 20))
    uninsured = day.book(at(9, 40), insured=False)
    client = staff_client(Role.FRONT_DESK)
    for appointment in (insured, uninsured):
        html = client.get(reverse("visits:check_in", args=[appointment.pk])).content.decode()
        estimate = reverse("eligibility:appointment_estimate", args=[appointment.pk])
        trigger = "load"
        if (
            appointment is insured
        ):  # beside the eligibility panel: loads after it, reloads on checks
            estimate += "?beside=eligibility"
            trigger = "eligibility-panel-loaded from:body once"
        assert f'hx-get="{estimate}" hx-trigger="{trigger}"' in html
        assert ("eligibility-panel" in html) is (appointment is insured)


def test_another_locations_appointment_is_404(day, staff_client) -> None:
    appointment = day.book(at(9, 20), location=LocationFactory())
    client = staff_client(Role.FRONT_DESK)
    assert client.get(reverse("visits:check_in", args=[appointment.pk])).status_code == 404
    response = client.post(reverse("visits:check_in", args=[appointment.pk]), CHECKLIST)
    assert response.status_code == 404
    assert client.get(reverse("visits:card", args=[appointment.pk])).status_code == 404
    assert CheckIn.objects.count() == 0


def test_move_panel_rooms_and_backwards_needs_reason(day, clerk, staff_client) -> None:
    appointment = day.book(at(9, 20))
    _checked_in(clerk, appointment)
    client = staff_client(Role.NURSE)
    panel = client.get(reverse("visits:card", args=[appointment.pk])).content.decode()
    assert "Exam 1" in panel and "Undo check-in" not in panel
    assert "<dt>Arrived</dt><dd>09:00</dd>" in panel  # the location's wall clock, not UTC

    roomed = client.post(
        reverse("visits:move", args=[appointment.pk]), {"state": "roomed", "room": day.room1.pk}
    )
    assert roomed.status_code == 200
    assert Visit.objects.get().room == day.room1

    back = client.post(reverse("visits:move", args=[appointment.pk]), {"state": "arrived"})
    assert back.status_code == 422
    assert services.MSG_REASON_BACKWARDS in back.content.decode()
    assert Visit.objects.get().state == "roomed"


def test_move_to_an_occupied_room_is_409(day, clerk, staff_client) -> None:
    first, second = day.book(at(9, 20)), day.book(at(9, 40))
    _checked_in(clerk, first)
    _checked_in(clerk, second)
    client = staff_client(Role.NURSE)
    url = reverse("visits:move", args=[first.pk])
    client.post(url, {"state": "roomed", "room": day.room1.pk})
    response = client.post(
        reverse("visits:move", args=[second.pk]), {"state": "roomed", "room": day.room1.pk}
    )
    assert response.status_code == 409
    assert Visit.objects.get(appointment=second).state == "arrived"


def test_undo_check_in_from_the_panel(day, clerk, staff_client) -> None:
    appointment = day.book(at(9, 20))
    _checked_in(clerk, appointment)
    client = staff_client(Role.FRONT_DESK)
    url = reverse("visits:check_in_undo", args=[appointment.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Checked in the wrong twin"}).status_code == 200
    assert Visit.objects.get().state == "expected"


def test_running_late_from_the_board(day, staff_client) -> None:
    day.book(at(10), email_consent_at=dt.date(2026, 1, 1))
    client = staff_client(Role.NURSE)
    data = {"location": day.location.pk, "provider": day.provider.pk, "minutes": "15"}
    response = client.post(reverse("visits:running_late"), data)
    assert response.status_code == 200
    assert "1 patient(s) notified (1 message(s))" in response.content.decode()
    board = client.get(reverse("visits:board")).content.decode()
    assert "Examplia: running 15 min late" in board
    bad = client.post(reverse("visits:running_late"), {**data, "minutes": "900"})
    assert bad.status_code == 422
    assert RunningLateNotice.objects.count() == 1


def test_changes_answers_204_until_something_moves(day, clerk, staff_client) -> None:
    appointment = day.book(at(9, 20))
    client = staff_client(Role.NURSE)
    board = client.get(reverse("visits:board")).content.decode()
    version = board.split("&amp;v=")[1].split('"')[0]
    url = (
        f"{reverse('visits:board_changes')}?location={day.location.pk}&date=2026-12-07&v={version}"
    )
    headers = {"X-FrontDesk-Background": "1"}
    assert client.get(url, headers=headers).status_code == 204
    _checked_in(clerk, appointment)
    changed = client.get(url, headers=headers)
    assert changed.status_code == 200
    assert 'id="flow-board"' in changed.content.decode()


def test_board_shows_wait_clock_and_thresholds(day, clerk, staff_client, time_machine) -> None:
    appointment = day.book(at(8, 20))
    _checked_in(clerk, appointment)  # arrived at 09:00
    time_machine.move_to(at(9, 35), tick=False)
    html = staff_client(Role.NURSE).get(reverse("visits:board")).content.decode()
    assert "flow-card lvl-red" in html
    assert "<span data-in-state>35</span> min in state" in html
    assert "total <span data-wait>35</span> min" in html


def test_a_done_card_stops_its_clock_and_shows_the_visit_length(
    day, clerk, staff_client, time_machine
) -> None:
    appointment = day.book(at(8, 20))
    _checked_in(clerk, appointment)  # arrived at 09:00
    time_machine.move_to(at(9, 47), tick=False)
    services.flow_move(actor=clerk, appointment=appointment, to_state="done")
    time_machine.move_to(at(15, 0), tick=False)
    html = staff_client(Role.NURSE).get(reverse("visits:board")).content.decode()
    assert "done 09:47 · 47 min visit" in html
    assert "min in state" not in html


def test_hostile_names_render_inert(day, staff_client) -> None:
    day.book(at(9, 20), last_name="<img src=x onerror=alert(1)>")
    client = staff_client(Role.FRONT_DESK)
    for name in ("visits:today", "visits:board"):
        html = client.get(reverse(name)).content.decode()
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def _board_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("visits:board")).status_code == 200
    return len(ctx.captured_queries)


def test_board_query_count_does_not_grow_with_cards(day, clerk, staff_client) -> None:
    client = staff_client(Role.NURSE)
    first = day.book(at(8))
    _checked_in(clerk, first)
    one = _board_queries(client)
    for n in range(19):
        appointment = day.book(at(8) + dt.timedelta(minutes=20 * (n + 1)))
        if n % 3 == 0:
            _checked_in(clerk, appointment)
    services.flow_move(actor=clerk, appointment=first, to_state="roomed", room=day.room1)
    assert Visit.objects.count() == 8
    assert _board_queries(client) == one


def test_metrics_page(day, clerk, staff_client, time_machine) -> None:
    appointment = day.book(at(9))
    _checked_in(clerk, appointment)
    time_machine.move_to(at(9, 12), tick=False)
    services.flow_move(actor=clerk, appointment=appointment, to_state="roomed", room=day.room1)
    time_machine.move_to(at(9, 40), tick=False)
    services.flow_move(actor=clerk, appointment=appointment, to_state="done")
    audit_before = AuditEvent.objects.count()
    html = staff_client(Role.PRACTICE_MANAGER).get(
        reverse("visits:metrics") + "?start=2026-12-07&end=2026-12-07"
    )
    assert html.status_code == 200
    text = html.content.decode()
    assert "<td>Ada Examplia, MD</td><td>1</td><td>12.0</td><td>40.0</td><td>0.0 %</td>" in text
    assert AuditEvent.objects.count() == audit_before + 1
    assert FlowEvent.objects.count() == 3


def test_consents_on_file_and_current_are_not_due_but_an_old_one_is(day, staff_client) -> None:
    import datetime as dt

    from frontdesk.chartprep.models import ConsentAcknowledgement

    appointment = day.book(at(9, 20))
    client = staff_client(Role.FRONT_DESK)
    clerk = appointment.booked_by
    visit_day = at(9, 20)
    ConsentAcknowledgement.objects.create(
        patient=appointment.patient,
        kind="privacy_notice",
        acknowledged_at=visit_day - dt.timedelta(days=30),
        method="paper",
        recorded_by=clerk,
    )
    ConsentAcknowledgement.objects.create(
        patient=appointment.patient,
        kind="financial_policy",
        acknowledged_at=visit_day - dt.timedelta(days=400),  # past the 365-day setting
        method="electronic",
        recorded_by=clerk,
    )
    html = client.get(reverse("visits:check_in", args=[appointment.pk])).content.decode()
    assert '<ul class="forms-due"><li>Financial policy</li></ul>' in html

    ConsentAcknowledgement.objects.create(
        patient=appointment.patient,
        kind="financial_policy",
        acknowledged_at=visit_day - dt.timedelta(days=1),
        method="paper",
        recorded_by=clerk,
    )
    html = client.get(reverse("visits:check_in", args=[appointment.pk])).content.decode()
    assert "forms-due" not in html
    assert "All required consents are on file and current." in html
