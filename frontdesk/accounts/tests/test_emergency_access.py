"""Break-glass: listed roles only, a reason, time-boxed; restricted records visible and every access flagged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts import services
from frontdesk.accounts.tests.conftest import audit_rows, make_staff
from frontdesk.audit.models import EmergencyAccessGrant
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC)
REASON = "Unconscious patient in clinic, need allergy history"


def _patient(**fields: Any) -> Patient:
    patient: Any = PatientFactory(**fields)
    return patient


def _visible(user) -> set[int]:
    return set(Patient.objects.restrict(user, "patient.view").values_list("pk", flat=True))


def test_restricted_patient_visible_only_while_a_grant_is_in_force_and_accesses_are_flagged(
    settings, time_machine
):
    settings.BREAK_GLASS_MINUTES = 60
    time_machine.move_to(START, tick=False)
    nurse = make_staff("nurse", username="nia")
    ordinary = _patient()
    restricted = _patient(is_restricted=True)
    assert _visible(nurse) == {ordinary.pk}
    audit_record(actor=nurse, action="read", category="demographics", patient_id=ordinary.pk)

    grant = services.emergency_access_start(user=nurse, reason=REASON, patient_id=restricted.pk)
    time_machine.move_to(START + dt.timedelta(minutes=30), tick=False)
    visible_during = _visible(nurse)
    audit_record(actor=nurse, action="read", category="clinical", patient_id=restricted.pk)
    time_machine.move_to(START + dt.timedelta(minutes=60), tick=False)
    visible_after = _visible(nurse)
    audit_record(actor=nurse, action="read", category="demographics", patient_id=ordinary.pk)

    assert grant.expires_at == START + dt.timedelta(minutes=60)
    assert visible_during == {ordinary.pk, restricted.pk}
    assert visible_after == {ordinary.pk}
    assert audit_rows(
        "action", "patient_id", "object_type", "emergency_access", "emergency_grant_id", "detail"
    ) == [
        ("read", ordinary.pk, "", False, None, {}),
        (
            "emergency-access",
            restricted.pk,
            "emergency_access_grant",
            True,
            grant.pk,
            {"event": "start", "minutes": 60},
        ),
        ("read", restricted.pk, "", True, grant.pk, {}),
        ("read", ordinary.pk, "", False, None, {}),
    ]


def test_ending_a_grant_early_hides_restricted_records_again(time_machine):
    time_machine.move_to(START, tick=False)
    provider = make_staff("provider", username="pat")
    restricted = _patient(is_restricted=True)
    grant = services.emergency_access_start(user=provider, reason=REASON)
    assert restricted.pk in _visible(provider)

    time_machine.move_to(START + dt.timedelta(minutes=5), tick=False)
    services.emergency_access_end(user=provider, grant_id=grant.pk)

    grant.refresh_from_db()
    assert grant.ended_at == START + dt.timedelta(minutes=5)
    assert restricted.pk not in _visible(provider)
    assert audit_rows("action", "actor_id", "object_id", "detail") == [
        ("emergency-access", provider.pk, str(grant.pk), {"event": "start", "minutes": 60}),
        ("emergency-access", provider.pk, str(grant.pk), {"event": "end"}),
    ]


def test_only_listed_roles_may_break_the_glass():
    front_desk = make_staff("front_desk", username="fay")
    admin = make_staff("admin", username="ari")

    for user in (front_desk, admin):
        with pytest.raises(PermissionDenied):
            services.emergency_access_start(user=user, reason=REASON)

    assert EmergencyAccessGrant.objects.count() == 0
    assert audit_rows("action") == []


@pytest.mark.parametrize("reason", ["", "   ", "emergency", " too short "])
def test_a_reason_of_at_least_ten_characters_is_required(reason):
    nurse = make_staff("nurse", username="nia")

    with pytest.raises(ValidationFailed) as caught:
        services.emergency_access_start(user=nurse, reason=reason)

    assert list(caught.value.fields) == ["reason"]
    assert EmergencyAccessGrant.objects.count() == 0
    assert audit_rows("action") == []


def test_one_grant_at_a_time_and_no_longer_than_the_setting(settings):
    settings.BREAK_GLASS_MINUTES = 60
    nurse = make_staff("nurse", username="nia")

    with pytest.raises(ValidationFailed):
        services.emergency_access_start(user=nurse, reason=REASON, minutes=61)
    services.emergency_access_start(user=nurse, reason=REASON, minutes=15)
    with pytest.raises(Conflict):
        services.emergency_access_start(user=nurse, reason=REASON)

    assert EmergencyAccessGrant.objects.count() == 1


def test_the_page_starts_a_grant_shows_its_expiry_and_a_banner_then_ends_it(settings, time_machine):
    settings.BREAK_GLASS_MINUTES = 60
    settings.TIME_ZONE = "UTC"
    time_machine.move_to(START, tick=False)
    nurse = make_staff("nurse", username="nia")
    client = Client()
    client.force_login(nurse)
    assert "Emergency access in force" not in client.get("/").content.decode()

    refused = client.post("/accounts/emergency-access/", {"reason": "short"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == [
        "Say why you need emergency access (at least 10 characters)."
    ]
    assert EmergencyAccessGrant.objects.count() == 0

    started = client.post("/accounts/emergency-access/", {"reason": REASON})
    assert started.status_code == 302
    page = client.get("/accounts/emergency-access/").content.decode()
    assert '<strong id="grant-expires">Nov 26, 15:00</strong>' in page
    home = client.get("/").content.decode()
    assert "Emergency access in force" in home
    assert "until 15:00" in home

    grant = EmergencyAccessGrant.objects.get()
    assert client.post("/accounts/emergency-access/end/", {"grant": grant.pk}).status_code == 302
    assert "Emergency access in force" not in client.get("/").content.decode()


def test_a_user_cannot_end_someone_elses_grant():
    nurse = make_staff("nurse", username="nia")
    other = make_staff("nurse", username="noa")
    grant = services.emergency_access_start(user=nurse, reason=REASON)
    client = Client()
    client.force_login(other)

    response = client.post("/accounts/emergency-access/end/", {"grant": grant.pk})

    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.ended_at is None
