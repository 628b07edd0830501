"""The privacy officer's audit report and its CSV export: access, filters, sorting, auditing, CSV safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontdesk.audit.models import AuditEvent
from frontdesk.audit.selectors import SORT_COLUMNS
from frontdesk.audit.services import audit_record
from frontdesk.audit.tests.conftest import logged_in_client, make_staff
from frontdesk.audit.views import EXPORT_HEADER
from frontdesk.core import context
from frontdesk.core.csvcell import csv_cell
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

REPORT = reverse("audit:report")
EXPORT = reverse("audit:export")
ALL_ROLES = [
    "front_desk",
    "scheduler",
    "billing",
    "nurse",
    "provider",
    "practice_manager",
    "privacy_officer",
    "admin",
]
MAY_VIEW = {"privacy_officer", "admin"}


def login(role: str = "privacy_officer", **fields: Any) -> tuple[Client, Any]:
    user = make_staff(role, **fields)
    return logged_in_client(user), user


def rows() -> list[tuple[Any, ...]]:
    return list(
        AuditEvent.objects.order_by("sequence").values_list(
            "sequence", "actor_id", "action", "category", "object_type", "detail"
        )
    )


def drain(response: Any) -> bytes:
    """Read a streaming response to the end (the export's rows are produced while it is read)."""
    return b"".join(response.streaming_content)


def shown_sequences(response: Any) -> list[int]:
    return [event.sequence for event, _mrn in response.context["rows"]]


def record(actor: Any = None, **fields: Any) -> AuditEvent:
    fields.setdefault("action", "read")
    fields.setdefault("category", "demographics")
    return audit_record(actor=actor, **fields)


# --- who may see it ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [REPORT, EXPORT])
def test_anonymous_is_sent_to_login_and_nothing_is_recorded(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert rows() == []


@pytest.mark.parametrize("role", ALL_ROLES)
def test_report_by_role(role):
    client, user = login(role)
    response = client.get(REPORT)
    if role in MAY_VIEW:
        assert response.status_code == 200
        assert [row[1:5] for row in rows()] == [(user.pk, "read", "audit", "audit_log")]
    else:
        assert response.status_code == 403
        assert rows() == []


@pytest.mark.parametrize("role", ALL_ROLES)
def test_export_by_role(role):
    client, user = login(role)
    response = client.get(EXPORT)
    if role in MAY_VIEW:
        assert response.status_code == 200
        drain(response)
        assert [row[1:5] for row in rows()] == [(user.pk, "export", "audit", "audit_log")]
    else:
        assert response.status_code == 403
        assert rows() == []


def test_inactive_privacy_officer_is_refused():
    client, user = login("privacy_officer")
    user.is_active = False
    user.save()
    assert client.get(REPORT).status_code == 302
    assert rows() == []


# --- viewing is audited -----------------------------------------------------------------------------


def test_viewing_writes_exactly_one_row_naming_the_filters_but_not_their_values():
    client, officer = login()
    patient: Any = PatientFactory(mrn="T7654321")
    record(patient_id=patient.pk)
    before = AuditEvent.objects.count()

    response = client.get(
        REPORT, {"patient": "T7654321", "action": "read", "sort": "time", "page": "1"}
    )

    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    newest = AuditEvent.objects.order_by("-sequence").first()
    assert newest is not None
    assert (newest.actor_id, newest.action, newest.category, newest.patient_id) == (
        officer.pk,
        "read",
        "audit",
        None,
    )
    assert newest.detail == {
        "report": "audit_log",
        "filters": ["action", "patient"],
        "sort": "time",
        "page": 1,
    }


def test_exporting_writes_exactly_one_export_row():
    client, officer = login()
    record()
    response = client.get(EXPORT, {"category": "demographics", "emergency_only": "on"})
    drain(response)
    assert rows()[1:] == [
        (
            2,
            officer.pk,
            "export",
            "audit",
            "audit_log",
            {"report": "audit_log", "filters": ["category", "emergency_only"], "sort": "-sequence"},
        )
    ]


# --- filters ----------------------------------------------------------------------------------------


def test_date_range_is_whole_days_in_the_practice_timezone(settings):
    settings.TIME_ZONE = "America/New_York"
    client, _ = login()
    # 03:30 UTC on 10 Jan is 22:30 on 9 Jan in New York (EST, UTC-5).
    with time_machine.travel(dt.datetime(2026, 1, 10, 3, 30, tzinfo=dt.UTC), tick=False):
        late_evening = record(patient_id=1)
    with time_machine.travel(dt.datetime(2026, 1, 10, 5, 0, tzinfo=dt.UTC), tick=False):
        just_after_midnight = record(patient_id=2)
    with time_machine.travel(dt.datetime(2026, 1, 9, 4, 59, tzinfo=dt.UTC), tick=False):
        day_before = record(patient_id=3)

    on_ninth = client.get(REPORT, {"date_from": "2026-01-09", "date_to": "2026-01-09"})
    on_tenth = client.get(REPORT, {"date_from": "2026-01-10", "date_to": "2026-01-10"})
    from_eighth = client.get(REPORT, {"date_from": "2026-01-08", "date_to": "2026-01-09"})

    assert shown_sequences(on_ninth) == [late_evening.sequence]
    assert shown_sequences(on_tenth) == [just_after_midnight.sequence]
    assert shown_sequences(from_eighth) == [day_before.sequence, late_evening.sequence]


def test_reversed_date_range_is_an_error_beside_the_field_and_lists_nothing():
    client, _ = login()
    record()
    response = client.get(REPORT, {"date_from": "2026-02-02", "date_to": "2026-02-01"})
    assert response.status_code == 400
    assert response.context["page"] is None
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_date_to_error"><li>The end date is before the start date.</li></ul>'
        in html
    )
    assert 'aria-invalid="true" aria-describedby="id_date_to_error"' in html
    assert [row[2] for row in rows()] == ["read"]  # the report view itself was not recorded


def test_filters_by_user_patient_id_mrn_action_category_outcome_and_emergency():
    client, officer = login()
    nurse = make_staff("nurse")
    patient: Any = PatientFactory(mrn="T0000042")
    by_nurse = record(nurse, patient_id=patient.pk)
    other_patient = record(nurse, patient_id=patient.pk + 1000)
    update = record(officer, action="update", category="insurance", patient_id=patient.pk)
    failure = record(None, action="login-failed", category="security", outcome="failure")
    flagged = record(nurse, patient_id=patient.pk)

    def shown(**params: Any) -> list[int]:
        return shown_sequences(client.get(REPORT, params))

    assert shown(user=nurse.pk) == [flagged.sequence, other_patient.sequence, by_nurse.sequence]
    assert shown(patient=str(patient.pk)) == [
        flagged.sequence,
        update.sequence,
        by_nurse.sequence,
    ]
    assert shown(patient="t0000042") == [flagged.sequence, update.sequence, by_nurse.sequence]
    assert shown(action="update") == [update.sequence]
    assert shown(category="insurance") == [update.sequence]
    assert shown(outcome="failure") == [failure.sequence]
    assert shown(patient="no-such-mrn") == []


def test_emergency_only_lists_rows_made_under_a_grant():
    from django.utils import timezone

    from frontdesk.audit.models import EmergencyAccessGrant

    client, _ = login()
    nurse = make_staff("nurse")
    plain = record(nurse, patient_id=5)
    now = timezone.now()
    EmergencyAccessGrant.objects.create(
        user=nurse,
        reason="Unconscious patient in the waiting room (synthetic)",
        started_at=now - dt.timedelta(minutes=5),
        expires_at=now + dt.timedelta(minutes=55),
    )
    flagged = record(nurse, patient_id=5)
    assert (plain.emergency_access, flagged.emergency_access) == (False, True)
    response = client.get(REPORT, {"emergency_only": "on"})
    assert shown_sequences(response) == [flagged.sequence]
    assert "Emergency #" in response.content.decode()


def test_admin_without_patient_access_can_filter_by_id_but_mrns_stay_hidden():
    client, _ = login("admin")
    patient: Any = PatientFactory(mrn="T0000077")
    event = record(patient_id=patient.pk)
    by_id = client.get(REPORT, {"patient": str(patient.pk)})
    by_mrn = client.get(REPORT, {"patient": "T0000077"})
    assert [(e.sequence, mrn) for e, mrn in by_id.context["rows"]] == [(event.sequence, "")]
    assert shown_sequences(by_mrn) == []
    officer_client, _ = login("privacy_officer")
    shown = officer_client.get(REPORT, {"patient": "T0000077"}).context["rows"]
    assert [(e.sequence, mrn) for e, mrn in shown] == [(event.sequence, "T0000077")]


# --- sorting and paging -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(SORT_COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_every_column_sorts(key, descending):
    client, _ = login()
    record(make_staff("nurse", first_name="Zed"), patient_id=9, action="update")
    record(make_staff("billing", first_name="Amy"), patient_id=3, category="financial")
    sort = f"-{key}" if descending else key
    response = client.get(REPORT, {"sort": sort})
    assert response.status_code == 200
    column = SORT_COLUMNS[key]
    events = [event for event, _ in response.context["rows"]]
    values = [(getattr(event, column), event.sequence) for event in events]

    def key_of(pair: tuple[Any, int]) -> tuple[bool, Any, int]:
        # Databases sort NULL last ascending (PostgreSQL) or first (SQLite); compare non-null only.
        return (pair[0] is None, pair[0], pair[1])

    non_null = [pair for pair in values if pair[0] is not None]
    assert non_null == sorted(non_null, key=key_of, reverse=descending)


def test_sort_by_user_ascending_and_descending_exactly():
    client, _ = login("privacy_officer", first_name="Mia", last_name="Officer")
    amy = record(make_staff("billing", first_name="Amy", last_name="Able"))
    zed = record(make_staff("nurse", first_name="Zed", last_name="Zulu"))
    ascending = client.get(REPORT, {"sort": "user"})
    assert shown_sequences(ascending) == [amy.sequence, zed.sequence]
    # The first view's own audit row (by "Mia Officer", sequence 3) is listed by the second.
    descending = client.get(REPORT, {"sort": "-user"})
    assert shown_sequences(descending) == [zed.sequence, 3, amy.sequence]


@pytest.mark.parametrize(
    "sort", ["password", "sequence; DROP TABLE audit_auditevent", "-", "--time", "detail", "id"]
)
def test_unknown_sort_is_refused_with_400_and_not_recorded(sort):
    client, _ = login()
    for url in (REPORT, EXPORT):
        response = client.get(url, {"sort": sort})
        assert response.status_code == 400
    assert rows() == []


def test_sort_headers_link_to_the_next_order_and_keep_filters():
    client, _ = login()
    response = client.get(REPORT, {"action": "read", "sort": "time"})
    headers = {header["key"]: header for header in response.context["headers"]}
    assert headers["time"]["aria_sort"] == "ascending"
    assert headers["time"]["url"] == "?action=read&sort=-time"
    assert headers["user"]["aria_sort"] == "none"
    assert headers["user"]["url"] == "?action=read&sort=user"
    html = response.content.decode()
    assert '<th scope="col" aria-sort="ascending"><a href="?action=read&amp;sort=-time">' in html


def test_pagination_pages_through_every_row_once():
    client, _ = login()
    actor = make_staff("front_desk")
    for number in range(60):
        record(actor, patient_id=number + 1)
    first = client.get(REPORT, {"sort": "sequence", "action": "read", "category": "demographics"})
    second = client.get(
        REPORT, {"sort": "sequence", "action": "read", "category": "demographics", "page": "2"}
    )
    assert shown_sequences(first) == list(range(1, 51))
    assert shown_sequences(second) == list(range(51, 61))
    assert 'href="?sort=sequence&amp;action=read&amp;category=demographics&amp;page=2"' in (
        first.content.decode()
    )


def test_report_query_count_does_not_grow_with_rows():
    client, _ = login()
    nurse = make_staff("nurse")
    patients: list[Any] = [PatientFactory() for _ in range(3)]
    for patient in patients:
        record(nurse, patient_id=patient.pk)
    with CaptureQueriesContext(connection) as few:
        assert client.get(REPORT).status_code == 200
    for number in range(40):
        record(
            nurse, patient_id=PatientFactory.create().pk, action="update" if number % 2 else "read"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(REPORT, {"user": nurse.pk}).status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # + the user filter lookup
    with CaptureQueriesContext(connection) as many_again:
        assert client.get(REPORT).status_code == 200
    assert len(many_again.captured_queries) == len(few.captured_queries)


# --- CSV export -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '=HYPERLINK("http://example.com/x","click")',
            '\'=HYPERLINK("http://example.com/x","click")',
        ),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("Plain Name", "Plain Name"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (True, "yes"),
        (False, "no"),
    ],
)
def test_csv_cell_neutralises_formula_starts(value, expected):
    assert csv_cell(value) == expected


def parse_csv(response: Any) -> list[list[str]]:
    body = drain(response).decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


def test_export_streams_an_attachment_with_hostile_cells_neutralised():
    client, officer = login()
    token = context.bind(context.RequestContext(request_id="req-1", source_ip="192.0.2.7"))
    try:
        hostile = record(
            None,
            actor_name='=HYPERLINK("http://example.com/x","click")',
            patient_id=12,
            object_type="patient",
            object_id="-5",
            detail={"note": "@import"},
        )
        second = record(None, actor_name="\tTab Person", action="update")
        third = record(None, actor_name="+Plus Person", category="schedule")
    finally:
        context.unbind(token)

    response = client.get(EXPORT, {"sort": "sequence"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="audit-log-\d{8}-\d{6}\.csv"', response["Content-Disposition"]
    )
    assert response.streaming
    table = parse_csv(response)
    assert table[0] == EXPORT_HEADER
    assert table[1] == [
        "1",
        hostile.occurred_at.astimezone(dt.UTC).isoformat(),
        "",
        '\'=HYPERLINK("http://example.com/x","click")',
        "",
        "12",
        "",
        "read",
        "demographics",
        "patient",
        "'-5",
        "success",
        "192.0.2.7",
        "req-1",
        "no",
        "",
        '{"note": "@import"}',
        hostile.row_hash,
    ]
    assert [row[3] for row in table[2:]] == ["'\tTab Person", "'+Plus Person", officer.display_name]
    assert [row[0] for row in table[1:]] == [
        "1",
        str(second.sequence),
        str(third.sequence),
        "4",
    ]
    assert (table[4][2], table[4][7], table[4][8]) == (str(officer.pk), "export", "audit")
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_honours_filters_and_invalid_filters_are_refused():
    client, _ = login()
    record(None, action="update")
    kept = record(None, action="delete")
    response = client.get(EXPORT, {"action": "delete"})
    assert [row[0] for row in parse_csv(response)[1:]] == [str(kept.sequence)]
    before = AuditEvent.objects.count()
    assert client.get(EXPORT, {"date_from": "not-a-date"}).status_code == 400
    assert AuditEvent.objects.count() == before
