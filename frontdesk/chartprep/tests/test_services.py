# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""Chart prep writes: authorizations (validation, constraints), consents, records, stored readiness
(constant queries, recompute on our own writes), owners, billing tasks and forms outreach."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.chartprep import selectors, services
from frontdesk.chartprep.models import Authorization, Readiness, RecordsRequest
from frontdesk.chartprep.tests.helpers import ready_patient, visit
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.notifications.models import FollowUpTask, Message
from frontdesk.scheduling.models import Appointment
from tests.factories import LocationFactory, PatientFactory, UserFactory, assign

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


def desk(location, role=Role.FRONT_DESK):
    return assign(UserFactory(role=role), location)


def auth_data(**kw):
    base = {"kind": "prior_auth", "valid_from": timezone.localdate(), "units_approved": 3}
    return {**base, **kw}


def stored(appointment):
    return Readiness.objects.get(appointment=appointment)


def test_adding_a_prior_authorization_makes_the_visit_ready(location):
    user = desk(location)
    appointment = visit(location, needs_prior_auth=True)
    services.readiness_recompute()
    assert stored(appointment).missing == ["authorization"]
    before = AuditEvent.objects.count()

    authorization = services.authorization_create(
        actor=user,
        patient=appointment.patient,
        data=auth_data(number="PA-1", referring_provider_npi="1234567893"),
        appointment_types=[appointment.appointment_type],
    )

    assert authorization.units_left == 3
    assert list(authorization.appointment_types.all()) == [appointment.appointment_type]
    row = stored(appointment)
    assert (row.is_ready, row.missing) == (True, [])
    assert list(
        AuditEvent.objects.order_by("sequence")[before:].values_list("action", "object_type")
    ) == [("create", "authorization")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (auth_data(kind="other"), "kind", services.MSG_KIND),
        (
            auth_data(valid_until=timezone.localdate() - dt.timedelta(days=1)),
            "valid_until",
            services.MSG_DATES,
        ),
        (auth_data(units_used=4), "units_used", services.MSG_USED),
        (auth_data(units_approved=-1), "units_approved", services.MSG_UNITS),
        (
            auth_data(referring_provider_npi="1234567890"),
            "referring_provider_npi",
            services.MSG_NPI,
        ),
        (auth_data(cpt_codes=["992"]), "cpt_codes", services.MSG_CPT),
        ({"kind": "referral"}, "valid_from", services.MSG_VALID_FROM),
    ],
)
def test_bad_authorization_input_writes_nothing(location, data, field, message):
    user = desk(location)
    patient = PatientFactory()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.authorization_create(actor=user, patient=patient, data=data)
    assert caught.value.fields == {field: [message]}
    assert Authorization.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_the_database_refuses_used_over_approved_and_reversed_dates(location):
    user = desk(location)
    patient = PatientFactory()
    common = {"patient": patient, "kind": "referral", "created_by": user}
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.create(**common, valid_from=TODAY, units_approved=1, units_used=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.create(
            **common, valid_from=TODAY, valid_until=TODAY - dt.timedelta(days=1)
        )


def test_roles_without_the_action_are_refused(location):
    scheduler = desk(location, Role.SCHEDULER)
    with pytest.raises(PermissionDenied):
        services.authorization_create(actor=scheduler, patient=PatientFactory(), data=auth_data())
    nurse = desk(location, Role.NURSE)
    with pytest.raises(PermissionDenied):
        services.consent_acknowledge(actor=nurse, patient=PatientFactory(), kind="privacy_notice")


def test_update_tracks_units_and_recomputes(location):
    user = desk(location)
    appointment = visit(location, needs_prior_auth=True)
    authorization = services.authorization_create(
        actor=user, patient=appointment.patient, data=auth_data(units_approved=1)
    )
    assert stored(appointment).is_ready is True
    services.authorization_update(
        actor=user, authorization=authorization, data=auth_data(units_approved=1, units_used=1)
    )
    row = stored(appointment)
    assert row.missing == ["authorization"]
    assert row.items[3]["message"] == "Prior authorization required: no units (visits) left."


def test_paper_consent_today_clears_the_forms_item(location):
    user = desk(location)
    patient = PatientFactory()
    from tests.factories import CoverageFactory

    CoverageFactory(patient=patient, effective_on=dt.date(2020, 1, 1))
    appointment = visit(location, patient=patient)
    services.readiness_recompute()
    assert stored(appointment).missing == ["consents"]
    services.consent_acknowledge(actor=user, patient=patient, kind="privacy_notice")
    assert stored(appointment).items[2]["message"] == "Financial policy never acknowledged."
    services.consent_acknowledge(actor=user, patient=patient, kind="financial_policy")
    assert stored(appointment).is_ready is True
    with pytest.raises(ValidationFailed) as caught:
        services.consent_acknowledge(actor=user, patient=patient, kind="tattoo")
    assert caught.value.fields == {"kind": [services.MSG_CONSENT_KIND]}


def test_records_requested_then_received(location):
    user = desk(location)
    appointment = visit(location)
    record = services.records_request_create(
        actor=user, patient=appointment.patient, requested_from="Zz Radiology"
    )
    assert stored(appointment).missing == ["records"]
    services.records_request_mark_received(actor=user, record=record)
    assert stored(appointment).is_ready is True
    assert RecordsRequest.objects.get().received_by == user
    with pytest.raises(Conflict):
        services.records_request_mark_received(actor=user, record=record)
    with pytest.raises(ValidationFailed) as caught:
        services.records_request_create(actor=user, patient=appointment.patient, requested_from=" ")
    assert caught.value.fields == {"requested_from": [services.MSG_REQUESTED_FROM]}


def test_recompute_runs_a_constant_number_of_queries(location, django_assert_num_queries):
    for hour in (9, 10):
        visit(location, hour=hour, needs_prior_auth=True)
    with django_assert_num_queries(14) as small:
        services.readiness_recompute()
    for hour in range(8, 18):
        visit(location, hour=hour, needs_prior_auth=hour % 2 == 0)
    for appointment in Appointment.objects.order_by("pk")[:3]:
        RecordsRequest.objects.create(
            patient=appointment.patient,
            requested_from="Zz Lab",
            requested_at=timezone.now(),
            requested_by=desk(location),
        )
    with django_assert_num_queries(len(small.captured_queries)):
        assert services.readiness_recompute() == 12
    assert Readiness.objects.count() == 12


def test_recompute_drops_cancelled_visits_and_keeps_owners(location):
    user = desk(location)
    appointment = visit(location, needs_prior_auth=True)
    services.readiness_recompute()
    services.readiness_owner_set(
        actor=user, appointment=appointment, item="authorization", owner="me"
    )
    services.readiness_recompute()
    assert stored(appointment).owners == {
        "authorization": {"user_id": user.pk, "name": user.display_name}
    }
    type(appointment).objects.filter(pk=appointment.pk).update(
        status="cancelled", cancellation_reason="other", cancelled_by="practice"
    )
    services.readiness_recompute()
    assert Readiness.objects.count() == 0


def test_owner_bad_input(location):
    user = desk(location)
    appointment = visit(location)
    with pytest.raises(ValidationFailed) as caught:
        services.readiness_owner_set(actor=user, appointment=appointment, item="nope", owner="me")
    assert caught.value.fields == {"item": [services.MSG_ITEM]}
    with pytest.raises(ValidationFailed) as caught:
        services.readiness_owner_set(
            actor=user, appointment=appointment, item="records", owner="bob"
        )
    assert caught.value.fields == {"owner": [services.MSG_OWNER]}


def test_billing_task_once_per_visit_and_billing_owns_the_item(location):
    user = desk(location)
    appointment = visit(location, needs_prior_auth=True)
    first = services.readiness_billing_task(
        actor=user, appointment=appointment, item="authorization"
    )
    again = services.readiness_billing_task(
        actor=user, appointment=appointment, item="authorization"
    )
    assert first.pk == again.pk
    assert FollowUpTask.objects.get().kind == "chart_prep_billing"
    assert stored(appointment).owners == {"authorization": {"role": "billing", "name": "Billing"}}
    with pytest.raises(ValidationFailed):
        services.readiness_billing_task(actor=user, appointment=appointment, item="consents")


def test_forms_outreach_sends_no_clinical_detail_once_a_day(
    location, django_capture_on_commit_callbacks
):
    user = desk(location)
    patient = ready_patient(email_consent_at=dt.date(2026, 1, 1))
    appointment = visit(location, patient=patient)
    assert services.readiness_forms_outreach(actor=user, appointment=appointment) == 1
    assert services.readiness_forms_outreach(actor=user, appointment=appointment) == 1
    message = Message.objects.get()
    assert (message.channel, message.purpose) == ("email", "forms_request")
    assert appointment.appointment_type.name not in message.body
    assert message.body.startswith(f"{location.name}: please complete your forms")
    nobody = visit(location, hour=11)
    with pytest.raises(ValidationFailed) as caught:
        services.readiness_forms_outreach(actor=user, appointment=nobody)
    assert caught.value.message == services.MSG_NO_ADDRESS


def test_worklist_is_scoped_to_the_users_locations_and_runs_constant_queries(
    location, django_assert_num_queries
):
    user = desk(location)
    other = LocationFactory()
    mine = visit(location, needs_prior_auth=True)
    visit(other, needs_prior_auth=True)
    services.readiness_recompute()
    start, end = selectors.upcoming_window()
    rows = selectors.readiness_worklist(user=user, start=start, end=end)
    assert [r.appointment.pk for r in rows] == [mine.pk]
    # Unstored (just booked) visits are computed for the page without writing.
    fresh = visit(location, hour=14, needs_prior_auth=True)
    with django_assert_num_queries(17) as captured:
        rows = selectors.readiness_worklist(user=user, start=start, end=end)
    assert [r.appointment.pk for r in rows] == [mine.pk, fresh.pk]
    assert rows[1].computed_at is None
    assert not Readiness.objects.filter(appointment=fresh).exists()
    for hour in (15, 16, 17):
        visit(location, hour=hour, needs_prior_auth=True)
    with django_assert_num_queries(len(captured.captured_queries)):
        assert len(selectors.readiness_worklist(user=user, start=start, end=end)) == 5
    ready = selectors.readiness_worklist(user=user, start=start, end=end, item="records")
    assert ready == []


def test_confidential_patients_stay_off_the_worklist(location):
    user = desk(location)
    hidden = ready_patient(is_restricted=True)
    visit(location, patient=hidden, needs_prior_auth=True)
    services.readiness_recompute()
    start, end = selectors.upcoming_window()
    assert selectors.readiness_worklist(user=user, start=start, end=end) == []
    manager = desk(location, Role.PRACTICE_MANAGER)
    assert selectors.readiness_worklist(user=manager, start=start, end=end) == []


def test_a_prior_balance_on_the_ledger_makes_the_visit_not_ready(location):
    from frontdesk.ledger.services import charge_post

    appointment = visit(location)
    services.readiness_recompute()
    assert stored(appointment).missing == []
    charge_post(
        actor=desk(location, role=Role.BILLING),
        patient=appointment.patient,
        location=location,
        code="visit",
        amount="45.10",
    )
    services.readiness_recompute()
    assert stored(appointment).missing == ["balance"]
    item = next(i for i in stored(appointment).items if i["key"] == "balance")
    assert item["message"] == (
        "Prior balance $45.10 due: collect it at check-in or offer a payment plan."
    )
