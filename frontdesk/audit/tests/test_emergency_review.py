"""The privacy officer's break-glass review: each grant, the events made under it, a recorded review."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from frontdesk.audit.models import AuditEvent, EmergencyAccessGrant
from frontdesk.audit.services import audit_record, emergency_grant_review
from frontdesk.audit.tests.conftest import logged_in_client, make_staff
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

LIST = reverse("audit:emergency_access")
ROLES = [
    "front_desk",
    "scheduler",
    "billing",
    "nurse",
    "provider",
    "practice_manager",
    "privacy_officer",
    "admin",
]
MAY_REVIEW = {"privacy_officer", "admin"}


def review_url(grant: EmergencyAccessGrant | int) -> str:
    return reverse("audit:emergency_review", args=[getattr(grant, "pk", grant)])


def used_grant(user: Any, *, patient_id: int, reads: int = 2, ended: bool = True) -> Any:
    """A grant that ``user`` started, read ``reads`` times under, and (by default) ended."""
    now = timezone.now()
    grant = EmergencyAccessGrant.objects.create(
        user=user,
        reason="Patient collapsed at check-in; allergy list needed (synthetic)",
        patient_id=patient_id,
        started_at=now - dt.timedelta(minutes=30),
        expires_at=now + dt.timedelta(minutes=30),
    )
    for _ in range(reads):
        audit_record(actor=user, action="read", category="clinical", patient_id=patient_id)
    if ended:
        grant.ended_at = timezone.now()
        grant.save()
    return grant


def grant_state(grant: Any) -> tuple[Any, ...]:
    grant.refresh_from_db()
    return (grant.reviewed_by_id, grant.reviewed_at, grant.review_note)


def test_anonymous_is_sent_to_login():
    grant = used_grant(make_staff("nurse"), patient_id=1)
    before = AuditEvent.objects.count()
    assert Client().get(LIST).status_code == 302
    response = Client().post(review_url(grant), {"note": "ok"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert grant_state(grant) == (None, None, "")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", ROLES)
def test_list_and_review_by_role(role):
    grant = used_grant(make_staff("nurse"), patient_id=1)
    client = logged_in_client(make_staff(role))
    before = AuditEvent.objects.count()
    listing = client.get(LIST)
    review = client.post(review_url(grant), {"note": "Justified: emergency documented."})
    if role in MAY_REVIEW:
        assert (listing.status_code, review.status_code) == (200, 302)
        assert grant_state(grant)[2] == "Justified: emergency documented."
        assert AuditEvent.objects.count() == before + 2  # the list view and the review
    else:
        assert (listing.status_code, review.status_code) == (403, 403)
        assert grant_state(grant) == (None, None, "")
        assert AuditEvent.objects.count() == before


def test_list_shows_each_grant_with_its_window_reason_and_events():
    nurse = make_staff("nurse", first_name="Nina", last_name="Nurse")
    patient: Any = PatientFactory(mrn="T0000999")
    audit_record(actor=nurse, action="read", category="clinical", patient_id=patient.pk)  # before
    grant = used_grant(nurse, patient_id=patient.pk, reads=2)
    after = audit_record(actor=nurse, action="read", category="clinical", patient_id=patient.pk)
    officer = make_staff("privacy_officer")
    client = logged_in_client(officer)

    response = client.get(LIST)

    assert response.status_code == 200
    [entry] = response.context["entries"]
    assert entry["grant"] == grant
    assert [(event.sequence, mrn) for event, mrn in entry["events"]] == [
        (2, "T0000999"),
        (3, "T0000999"),
    ]
    assert after.emergency_access is False
    html = response.content.decode()
    assert "Nina Nurse" in html
    assert "Patient collapsed at check-in; allergy list needed (synthetic)" in html
    assert "Events under this grant (2)" in html
    assert f'<label for="id_grant{grant.pk}_note">Review note:</label>' in html
    newest = AuditEvent.objects.order_by("-sequence").first()
    assert newest is not None
    assert (newest.actor_id, newest.action, newest.category, newest.object_type, newest.detail) == (
        officer.pk,
        "read",
        "audit",
        "emergency_access",
        {"report": "emergency_access", "filters": [], "page": 1},
    )


def test_status_filter_and_unknown_status():
    nurse = make_staff("nurse")
    pending = used_grant(nurse, patient_id=1)
    reviewed = used_grant(nurse, patient_id=2)
    officer = make_staff("privacy_officer")
    emergency_grant_review(reviewer=officer, grant_id=reviewed.pk, note="Checked.")
    client = logged_in_client(officer)

    def listed(status: str) -> list[int]:
        return [
            entry["grant"].pk for entry in client.get(LIST, {"status": status}).context["entries"]
        ]

    assert listed("pending") == [pending.pk]
    assert listed("reviewed") == [reviewed.pk]
    assert sorted(listed("all")) == sorted([pending.pk, reviewed.pk])
    before = AuditEvent.objects.count()
    assert client.get(LIST, {"status": "everything"}).status_code == 400
    assert AuditEvent.objects.count() == before


def test_list_query_count_does_not_grow_with_grants():
    client = logged_in_client(make_staff("privacy_officer"))
    used_grant(make_staff("nurse"), patient_id=1, reads=1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for number in range(6):
        used_grant(make_staff("provider"), patient_id=number + 2, reads=3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_review_records_who_when_and_the_note_and_is_audited():
    grant = used_grant(make_staff("nurse"), patient_id=1)
    officer = make_staff("privacy_officer")
    client = logged_in_client(officer)
    before = AuditEvent.objects.count()

    response = client.post(review_url(grant), {"note": "  Justified; chart note confirms.  "})

    assert response.status_code == 302 and response["Location"] == LIST
    reviewer_id, reviewed_at, note = grant_state(grant)
    assert (reviewer_id, note) == (officer.pk, "Justified; chart note confirms.")
    assert reviewed_at is not None
    [row] = AuditEvent.objects.filter(sequence__gt=before)
    assert (row.actor_id, row.action, row.category, row.object_type, row.object_id, row.detail) == (
        officer.pk,
        "update",
        "security",
        "emergency_access_grant",
        str(grant.pk),
        {"review": "completed", "grant_user_id": grant.user_id},
    )
    assert "chart note" not in str(row.detail)
    followed = client.get(LIST, {"status": "reviewed"}).content.decode()
    assert "Justified; chart note confirms." in followed


def test_empty_note_is_an_error_beside_the_field_and_nothing_changes():
    grant = used_grant(make_staff("nurse"), patient_id=1)
    client = logged_in_client(make_staff("privacy_officer"))
    before = AuditEvent.objects.count()
    response = client.post(review_url(grant), {"note": "   "})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f'<ul class="errorlist" id="id_grant{grant.pk}_note_error"><li>This field is required.</li></ul>'
        in html
    )
    assert grant_state(grant) == (None, None, "")
    # Only the re-rendered list view is recorded, not a review.
    assert list(
        AuditEvent.objects.filter(sequence__gt=before).values_list("action", "category")
    ) == [("read", "audit")]


def test_review_refusals_change_nothing():
    nurse = make_staff("nurse")
    officer = make_staff("privacy_officer")
    in_force = used_grant(nurse, patient_id=1, ended=False)
    done = used_grant(make_staff("provider"), patient_id=2)
    emergency_grant_review(reviewer=officer, grant_id=done.pk, note="First review.")
    done_state = grant_state(done)
    before = AuditEvent.objects.count()

    with pytest.raises(Conflict) as still_in_force:
        emergency_grant_review(reviewer=officer, grant_id=in_force.pk, note="Too early.")
    with pytest.raises(Conflict) as twice:
        emergency_grant_review(reviewer=officer, grant_id=done.pk, note="Second review.")
    with pytest.raises(ValidationFailed) as no_note:
        emergency_grant_review(reviewer=officer, grant_id=done.pk, note="")
    with pytest.raises(NotFound):
        emergency_grant_review(reviewer=officer, grant_id=999_999, note="Missing.")
    with pytest.raises(NotFound):  # a role that may not review sees no grants at all
        emergency_grant_review(reviewer=make_staff("practice_manager"), grant_id=done.pk, note="x")

    assert (still_in_force.value.code, twice.value.code, no_note.value.fields) == (
        "in_force",
        "reviewed",
        {"note": ["Write what the review found."]},
    )
    assert grant_state(in_force) == (None, None, "")
    assert grant_state(done) == done_state
    assert AuditEvent.objects.count() == before


def test_nobody_reviews_their_own_emergency_access():
    admin = make_staff("admin")
    own = used_grant(admin, patient_id=1)
    with pytest.raises(PermissionDenied):
        emergency_grant_review(reviewer=admin, grant_id=own.pk, note="Fine by me.")
    assert grant_state(own) == (None, None, "")


def test_review_over_http_of_an_unknown_grant_is_404_and_a_conflict_is_shown():
    officer = make_staff("privacy_officer")
    client = logged_in_client(officer)
    assert client.post(review_url(424242), {"note": "x"}).status_code == 404
    in_force = used_grant(make_staff("nurse"), patient_id=1, ended=False)
    response = client.post(review_url(in_force), {"note": "Too early."}, follow=True)
    assert "This emergency access is still in force; review it once it has ended." in (
        response.content.decode()
    )
    assert grant_state(in_force) == (None, None, "")


def test_review_needs_post():
    grant = used_grant(make_staff("nurse"), patient_id=1)
    client = logged_in_client(make_staff("privacy_officer"))
    assert client.get(review_url(grant)).status_code == 405
    assert grant_state(grant) == (None, None, "")
