# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""Chart prep screens and the readiness API: what shows, scoping, bad input, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.audit.models import AuditEvent
from frontdesk.chartprep import services
from frontdesk.chartprep.models import Authorization, ConsentAcknowledgement, Readiness
from frontdesk.chartprep.tests.helpers import visit
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_worklist_lists_what_is_missing_and_filters_by_item(location, staff_client):
    appointment = visit(location, needs_prior_auth=True)
    visit(location, hour=11)  # ready: not listed
    services.readiness_recompute()
    client = staff_client(Role.FRONT_DESK)
    before = AuditEvent.objects.count()
    response = client.get(reverse("chartprep:worklist"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["r"].appointment.pk for row in rows] == [appointment.pk]
    assert [p["key"] for p in rows[0]["problems"]] == ["authorization"]
    assert "Prior authorization required: none on file." in response.content.decode()
    assert AuditEvent.objects.count() == before + 1
    response = client.get(reverse("chartprep:worklist"), {"item": "records"})
    assert response.context["rows"] == []
    response = client.get(reverse("chartprep:worklist"), {"day": "not-a-day"})
    assert response.status_code == 400


def test_assign_to_me_and_billing_task_from_the_worklist(location, staff_client, make_user):
    user = make_user(Role.FRONT_DESK, location)
    appointment = visit(location, needs_prior_auth=True)
    services.readiness_recompute()
    client = staff_client(user=user)
    client.post(
        reverse("chartprep:owner_set", args=[appointment.pk]),
        {"item": "authorization", "owner": "me", "next": "https://evil.example.com/"},
    )
    assert Readiness.objects.get().owners["authorization"]["user_id"] == user.pk
    response = client.post(
        reverse("chartprep:billing_task", args=[appointment.pk]), {"item": "authorization"}
    )
    assert response["Location"] == reverse("chartprep:worklist")
    assert Readiness.objects.get().owners["authorization"]["role"] == "billing"


def test_other_locations_visits_are_404(location, staff_client):
    theirs = visit(LocationFactory(), needs_prior_auth=True)
    client = staff_client(Role.FRONT_DESK)
    response = client.post(
        reverse("chartprep:owner_set", args=[theirs.pk]), {"item": "authorization", "owner": "me"}
    )
    assert response.status_code == 404
    assert Readiness.objects.count() == 0


def test_add_authorization_screen_and_bad_input(location, staff_client):
    appointment = visit(location, needs_prior_auth=True)
    patient = appointment.patient
    client = staff_client(Role.BILLING)
    url = reverse("chartprep:authorization_create", args=[patient.pk])
    assert client.get(url).status_code == 200
    today = timezone.localdate()
    bad = {
        "kind": "prior_auth",
        "status": "active",
        "valid_from": today.isoformat(),
        "valid_until": (today - dt.timedelta(days=2)).isoformat(),
        "units_approved": "2",
        "units_used": "3",
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "valid_until": [services.MSG_DATES],
        "units_used": [services.MSG_USED],
    }
    assert Authorization.objects.count() == 0
    good = {
        **bad,
        "valid_until": "",
        "units_used": "0",
        "appointment_types": [appointment.appointment_type.pk],
    }
    response = client.post(url, good)
    assert response.status_code == 302
    assert Readiness.objects.get(appointment=appointment).is_ready is True
    authorization = Authorization.objects.get()
    edit = reverse("chartprep:authorization_edit", args=[authorization.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {**good, "units_used": "2"})
    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.units_used == 2


def test_patient_page_and_paper_consent(location, staff_client):
    appointment = visit(location)
    client = staff_client(Role.FRONT_DESK)
    response = client.get(reverse("chartprep:patient", args=[appointment.patient_id]))
    assert response.status_code == 200
    client.post(
        reverse("chartprep:consent_paper", args=[appointment.patient_id]),
        {"kind": "treatment_consent"},
    )
    latest = ConsentAcknowledgement.objects.order_by("-pk").first()
    assert (latest.kind, latest.method) == ("treatment_consent", "paper")
    client.post(
        reverse("chartprep:records_request", args=[appointment.patient_id]),
        {"requested_from": "Zz Cardiology"},
    )
    assert Readiness.objects.get(appointment=appointment).missing == ["records"]


def test_readiness_api_answers_every_visit_with_items(location):
    needs = visit(location, needs_prior_auth=True)
    ready = visit(location, hour=11)
    services.readiness_recompute()
    api = key_client_for(Role.FRONT_DESK, location)
    response = api.get("/api/v1/readiness", {"location": location.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["items"]
    assert (first["appointment_id"], first["is_ready"], first["missing"]) == (
        str(needs.pk),
        False,
        ["authorization"],
    )
    assert [i["status"] for i in first["items"]] == [
        "ok",
        "unknown",
        "ok",
        "missing",
        "ok",
        "ok",
    ]
    assert (second["appointment_id"], second["is_ready"]) == (str(ready.pk), True)


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-12-01T00:00:00", "end": "2026-12-02T00:00:00"},
        {"start": "2026-12-01T00:00:00+00:00", "end": "2026-12-30T00:00:00+00:00"},
        {"start": "2026-12-02T00:00:00+00:00", "end": "2026-12-01T00:00:00+00:00"},
    ],
)
def test_readiness_api_bad_windows_are_400(location, query):
    api = key_client_for(Role.FRONT_DESK, location)
    response = api.get("/api/v1/readiness", {"location": location.pk, **query})
    assert response.status_code == 400


def test_readiness_api_other_location_is_404(location):
    api = key_client_for(Role.FRONT_DESK, location)
    response = api.get("/api/v1/readiness", {"location": LocationFactory().pk})
    assert response.status_code == 404


def test_forms_message_button_only_when_forms_are_missing(location, staff_client):
    from frontdesk.chartprep.tests.helpers import ready_patient

    needs_forms = visit(location, patient=ready_patient())
    needs_forms.patient.consent_acknowledgements.all().delete()
    needs_auth = visit(location, hour=11, needs_prior_auth=True)
    services.readiness_recompute()
    page = staff_client(Role.FRONT_DESK).get(reverse("chartprep:worklist")).content.decode()
    assert reverse("chartprep:forms_outreach", args=[needs_forms.pk]) in page
    assert reverse("chartprep:forms_outreach", args=[needs_auth.pk]) not in page
