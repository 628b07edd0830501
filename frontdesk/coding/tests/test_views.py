"""The code search, import and fee schedule screens, and the JSON API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, ProcedureCode
from frontdesk.coding.tests.samples import sample_schedule
from tests.factories import PayerFactory

pytestmark = pytest.mark.django_db


def test_search_page_shows_diagnoses_and_the_check(staff_client: Any) -> None:
    client = staff_client(Role.FRONT_DESK)
    response = client.get(reverse("coding:search"), {"q": "E11", "on": "2026-05-04"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Codes</h1>" in html
    assert (
        "E11 is a category header, not billable: pick a more specific code such as E11.9." in html
    )
    assert "Type 2 diabetes mellitus with hyperosmolarity" in html
    assert "Checked against ICD-10-CM FY2026 (April 2026)" in html


def test_htmx_gets_only_the_results_with_the_release_warning(staff_client: Any) -> None:
    client = staff_client(Role.PROVIDER)
    response = client.get(
        reverse("coding:search"), {"q": "chest pain", "on": "2026-11-27"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<h1>" not in html
    assert (
        "Warning: checked against ICD-10-CM FY2026 (April 2026); no release loaded for 2026-11-27."
        in html
    )
    assert "R07.9" in html


def test_search_escapes_the_query(staff_client: Any) -> None:
    response = staff_client(Role.BILLING).get(reverse("coding:search"), {"q": "<script>x"})
    assert b"<script>x" not in response.content


def test_import_page_previews_errors_then_imports(staff_client: Any) -> None:
    client = staff_client(Role.BILLING)
    url = reverse("coding:import")
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("fees.csv", b"code,description,standard_charge\n99213,Visit,12.5.0\n")
    response = client.post(url, {"file": bad, "action": "import"})
    assert response.status_code == 200
    assert "row 2, column &#x27;standard_charge&#x27;: &#x27;12.5.0&#x27; is not an amount" in (
        response.content.decode()
    )
    assert ProcedureCode.objects.count() == 0
    good = b"code,description,standard_charge\n99213,Visit,120\n"
    check = client.post(url, {"file": SimpleUploadedFile("f.csv", good), "action": "check"})
    assert "The file is valid: 1 rows, 1 new codes" in check.content.decode()
    assert ProcedureCode.objects.count() == 0
    done = client.post(url, {"file": SimpleUploadedFile("f.csv", good), "action": "import"})
    assert done.status_code == 302
    assert done["Location"] == reverse("coding:schedules")
    assert ProcedureCode.objects.get().code == "99213"


def test_the_front_desk_may_not_import(staff_client: Any) -> None:
    response = staff_client(Role.FRONT_DESK).get(reverse("coding:import"))
    assert response.status_code == 403


def test_schedules_are_created_edited_and_priced(staff_client: Any) -> None:
    client = staff_client(Role.PRACTICE_MANAGER)
    payer = PayerFactory(name="Acme Health")
    response = client.post(
        reverse("coding:schedule_create"),
        {"name": "Acme 2027", "payer": str(payer.pk), "effective_from": "2027-01-01"},
    )
    schedule = FeeSchedule.objects.get()
    assert response["Location"] == reverse("coding:schedule", args=[schedule.pk])
    assert (schedule.payer, schedule.effective_to) == (payer, None)
    bad = client.post(
        reverse("coding:schedule_edit", args=[schedule.pk]),
        {"name": "Acme 2027", "effective_from": "2027-01-01", "effective_to": "2026-12-31"},
    )
    assert "The schedule must end on or after the day it starts." in bad.content.decode()
    client.post(
        reverse("coding:schedule_edit", args=[schedule.pk]),
        {"name": "Acme 2027 PPO", "effective_from": "2027-01-01", "effective_to": "2027-12-31"},
    )
    schedule.refresh_from_db()
    assert (schedule.name, schedule.effective_to) == ("Acme 2027 PPO", dt.date(2027, 12, 31))
    client.post(
        reverse("coding:entry_set", args=[schedule.pk]),
        {"code": "99213", "modifier": "", "amount": "88.50"},
    )
    client.post(
        reverse("coding:entry_set", args=[schedule.pk]),
        {"code": "99213", "modifier": "", "amount": "12.5.0"},
    )
    entry = FeeScheduleEntry.objects.get()
    assert entry.amount == Decimal("88.50")
    detail = client.get(reverse("coding:schedule", args=[schedule.pk]))
    assert "$88.50" in detail.content.decode()
    client.post(reverse("coding:entry_delete", args=[schedule.pk, entry.pk]))
    assert FeeScheduleEntry.objects.count() == 0
    events = list(
        AuditEvent.objects.filter(object_type="fee_schedule")
        .order_by("sequence")
        .values_list("detail__event", flat=True)
    )
    assert events == [
        "fee_schedule_created",
        "fee_schedule_updated",
        "fee_entry_set",
        "fee_entry_deleted",
    ]


def test_the_schedule_list_counts_prices_without_n_plus_1(staff_client: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff_client(Role.BILLING)
    counts = []
    for index in range(5):
        sample_schedule({"payer": PayerFactory(name=f"Payer {index}")})
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("coding:schedules"))
        counts.append(len(queries))
    assert response.content.decode().count("Sample allowed amounts") == 5
    assert len(set(counts[1:])) == 1  # the same number of queries for 2 to 5 schedules


# --- API ----------------------------------------------------------------------------------------------


def test_api_icd10_search_and_check(staff_client: Any) -> None:
    client = staff_client(Role.PROVIDER)
    response = client.get("/api/v1/codes/icd10", {"q": "E11.9", "on": "2026-05-04"})
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "code": "E11.9",
                "description": "Type 2 diabetes mellitus without complications",
                "billable": True,
                "release": "FY2026 (April 2026)",
            }
        ],
        "count": 1,
        "release": "FY2026 (April 2026)",
        "warning": "",
    }
    header = client.get("/api/v1/codes/icd10/E11", {"on": "2026-11-27"}).json()
    assert header == {
        "code": "E11",
        "status": "header",
        "message": "E11 is a category header, not billable: pick a more specific code such as "
        "E11.9.",
        "description": "Type 2 diabetes mellitus",
        "billable": False,
        "on": "2026-11-27",
        "release": "FY2026 (April 2026)",
        "warning": "checked against ICD-10-CM FY2026 (April 2026); no release loaded for "
        "2026-11-27",
        "suggestions": header["suggestions"],
    }
    assert len(header["suggestions"]) == 10
    missing = client.get("/api/v1/codes/icd10/Q99.99")
    assert missing.status_code == 404


def test_api_procedures_and_fee_schedules(staff_client: Any) -> None:
    client = staff_client(Role.BILLING)
    ProcedureCode.objects.create(code="99213", kind="cpt", description="Visit, our words")
    assert client.get("/api/v1/codes/procedures", {"q": "99213"}).json() == {
        "items": [{"code": "99213", "kind": "cpt", "description": "Visit, our words"}],
        "count": 1,
    }
    schedule = sample_schedule()
    listing = client.get("/api/v1/fee-schedules").json()
    assert listing["count"] == 1
    assert listing["items"][0]["name"] == "Sample allowed amounts"
    detail = client.get(f"/api/v1/fee-schedules/{schedule.pk}").json()
    assert detail["entries"] == [{"code": "99213", "modifier": "", "amount": "92.00"}]
    assert detail["payer_id"] == str(schedule.payer_id)
    assert client.get("/api/v1/fee-schedules/999999").status_code == 404


def test_api_refuses_roles_without_codes_view(staff_client: Any) -> None:
    response = staff_client(Role.NURSE).get("/api/v1/codes/icd10", {"q": "E11"})
    assert response.status_code == 403
