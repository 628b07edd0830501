"""The JSON API and the command line of eligibility."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from frontdesk.api.tests.support import key_client_for
from frontdesk.cli import translate
from frontdesk.eligibility import services
from frontdesk.eligibility.tests.conftest import at, header_271, response_for
from tests.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(location):
    def make(role: str = "front_desk"):
        return key_client_for(role, location)

    return make


def test_api_run_get_and_list(now, clinic, api, payer):
    client = api()
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    appointment = clinic.book(patient, at(8, 10))
    created = client.post(
        f"/api/v1/coverages/{coverage.pk}/eligibility-checks",
        {"appointment_id": str(appointment.pk)},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["date_of_service"], body["active"]) == (
        "complete",
        "2026-12-08",
        True,
    )
    assert body["summary"]["office_copay"] == "25.00"
    assert body["summary"]["deductible_remaining"] == "1200.00"
    assert {b["kind"] for b in body["benefits"]} >= {"copay", "coinsurance"}
    got = client.get(f"/api/v1/eligibility-checks/{body['id']}").json()
    assert got["trace_number"] == body["trace_number"]
    listing = client.get(f"/api/v1/patients/{patient.pk}/eligibility-checks").json()
    assert [c["id"] for c in listing["items"]] == [body["id"]]


def test_api_down_is_a_failed_check_not_an_error_and_restricted_is_404(now, clinic, api, payer):
    client = api()
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "down"
    created = client.post(
        f"/api/v1/coverages/{coverage.pk}/eligibility-checks", {"date_of_service": "2026-12-07"}
    )
    assert created.status_code == 201
    assert created.json()["status"] == "failed"
    hidden = CoverageFactory(patient=PatientFactory(is_restricted=True))
    missing = client.post(f"/api/v1/coverages/{hidden.pk}/eligibility-checks", {})
    assert missing.status_code == 404


def test_cli_request_and_import(now, clinic, clerk, payer, tmp_path):
    from frontdesk.standards.x12.eligibility import read_270, write_271

    assert translate(["eligibility", "request", "--coverage", "1"]) == [
        "eligibility_request",
        "--coverage",
        "1",
    ]
    assert translate(["eligibility", "import", "f"]) == ["eligibility_import", "f"]
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    out = tmp_path / "270.x12"
    call_command(
        "eligibility_request",
        coverage=coverage.pk,
        date="2026-12-09",
        out=str(out),
        stdout=StringIO(),
    )
    assert read_270(out.read_text())[0].date_of_service == dt.date(2026, 12, 9)
    payer.mode = "down"
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    answer = tmp_path / "271.x12"
    answer.write_text(write_271([response_for(read_270(check.request_x12)[0])], header_271()))
    output = StringIO()
    call_command("eligibility_import", str(answer), stdout=output)
    assert "Imported 1 answer." in output.getvalue()
    with pytest.raises(CommandError, match="already answered"):
        call_command("eligibility_import", str(answer), stdout=StringIO())
    with pytest.raises(CommandError, match="Not a date"):
        call_command("eligibility_request", coverage=coverage.pk, date="12/09", out=str(out))
