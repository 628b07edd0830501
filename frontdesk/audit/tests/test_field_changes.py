"""The field-change history partial another page includes: who, when, which field, old -> new."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from frontdesk.audit.selectors import field_change_list
from frontdesk.audit.services import Change, audit_record
from frontdesk.audit.tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_partial_renders_who_when_field_and_old_to_new_newest_first(settings):
    settings.TIME_ZONE = "America/New_York"
    clerk = make_staff("front_desk", first_name="Fran", last_name="Desk")
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 4, tzinfo=dt.UTC), tick=False):
        audit_record(
            actor=clerk,
            action="update",
            category="demographics",
            patient_id=7,
            object_type="patient",
            object_id=7,
            changes=[
                Change("preferred_name", "", "Bea"),
                Change("ssn", "***-**-1111", "***-**-2222"),
            ],
        )
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC), tick=False):
        audit_record(
            actor=clerk,
            action="update",
            category="insurance",
            patient_id=7,
            object_type="coverage",
            object_id=3,
            changes=[Change("member_id", "XM1", "<img src=x onerror=alert(1)>")],
        )
    audit_record(
        actor=clerk,
        action="update",
        category="demographics",
        patient_id=8,
        object_type="patient",
        object_id=8,
        changes=[Change("last_name", "Other", "Patient")],
    )

    with CaptureQueriesContext(connection) as queries:
        changes = field_change_list(patient_id=7)
        html = render_to_string("audit/_field_changes.html", {"field_changes": changes})

    assert len(queries.captured_queries) == 1
    assert [(c.object_type, c.field, c.old_value, c.new_value) for c in changes] == [
        ("coverage", "member_id", "XM1", "<img src=x onerror=alert(1)>"),
        ("patient", "preferred_name", "", "Bea"),
        ("patient", "ssn", "***-**-1111", "***-**-2222"),
    ]
    body = html.split("<tbody>")[1]
    rows = [row.split("</tr>")[0] for row in body.split("<tr>")[1:]]
    assert len(rows) == 3
    assert '<time datetime="2026-03-03T04:30:00-05:00">2026-03-03 04:30</time>' in rows[0]
    assert "<td>Fran Desk</td>" in rows[0] and "<td>member_id</td>" in rows[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in rows[0] and "<img src=x" not in html
    assert '<span class="old-value">(empty)</span>' in rows[1]
    assert '<span class="new-value">Bea</span>' in rows[1]
    assert "2026-03-02 10:04" in rows[1]
    assert '<span class="old-value">***-**-1111</span>' in rows[2]
    assert (
        field_change_list(patient_id=7, object_type="coverage", object_id="3")[0].field
        == "member_id"
    )


def test_partial_says_when_there_is_no_history():
    html = render_to_string("audit/_field_changes.html", {"field_changes": []})
    assert '<tr><td colspan="5">No recorded changes.</td></tr>' in html
    assert "<caption>Change history</caption>" in html
