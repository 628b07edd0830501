"""Running checks: the 270 we build, the 271 we read, and every way the exchange can go wrong."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.disclosures.models import Disclosure
from frontdesk.eligibility import selectors, services
from frontdesk.eligibility.errors import ImportMismatch
from frontdesk.eligibility.models import EligibilityBenefit, EligibilityCheck
from frontdesk.eligibility.tests.conftest import NOW, at, header_271, response_for

pytestmark = pytest.mark.django_db


def test_subscriber_270_uses_the_appointments_local_date_and_provider(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient, effective_on=dt.date(2026, 3, 1))
    # 23:30 in New York on 8 December is 9 December in UTC: the date of service is the 8th.
    appointment = clinic.book(patient, at(8, 23, 30))
    check = services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    inquiry = payer.last_inquiry
    assert check.date_of_service == dt.date(2026, 12, 8)
    assert inquiry.date_of_service == dt.date(2026, 12, 8)  # never the policy's effective date
    assert inquiry.trace_number == check.trace_number
    assert (inquiry.payer_id, inquiry.provider_npi) == ("ZZ001", clinic.provider.npi)
    assert inquiry.dependent is None
    assert (inquiry.subscriber.last_name, inquiry.subscriber.member_id) == (
        "Zzexample",
        coverage.member_id,
    )
    assert inquiry.subscriber.date_of_birth == patient.date_of_birth


def test_dependent_270_names_the_subscriber_and_the_patient(now, clinic, clerk, payer):
    parent = clinic.patient(
        first_name="Paul", last_name="Zzparent", date_of_birth=dt.date(1970, 1, 2)
    )
    child = clinic.patient(
        first_name="Cora", last_name="Zzparent", date_of_birth=dt.date(2015, 6, 1)
    )
    coverage = clinic.coverage(child, relationship="19", subscriber_patient=parent)
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    inquiry = payer.last_inquiry
    assert (inquiry.subscriber.first_name, inquiry.subscriber.member_id) == (
        "Paul",
        coverage.member_id,
    )
    assert inquiry.dependent is not None
    assert (inquiry.dependent.first_name, inquiry.dependent.date_of_birth) == (
        "Cora",
        dt.date(2015, 6, 1),
    )
    assert inquiry.relationship == "19"
    # Without an appointment the provider is the practice's group NPI.
    assert inquiry.provider_npi == clinic.location.organization.npi
    assert check.status == "complete" and check.active is True


def test_the_271_becomes_benefits_and_a_summary(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    appointment = clinic.book(patient, at(7, 10))
    before = AuditEvent.objects.count()
    check = services.eligibility_check(actor=clerk, coverage=coverage, appointment=appointment)
    assert (check.status, check.active, check.plan_name) == ("complete", True, "Zz Gold PPO")
    assert (check.group_number, check.group_name) == ("GRP-100", "Zz Example Employer")
    assert (check.coverage_begin, check.coverage_end) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert check.attempts == 1 and check.responded_at is not None
    kinds = sorted(
        EligibilityBenefit.objects.filter(eligibility_check=check).values_list("kind", flat=True)
    )
    assert kinds == sorted(
        [
            "active",
            "copay",
            "coinsurance",
            "deductible",
            "deductible_remaining",
            "out_of_pocket",
            "out_of_pocket_remaining",
        ]
    )
    summary = selectors.summary_of(check)
    assert summary.office_copay == Decimal("25.00")
    assert summary.coinsurance_text == "20"
    assert (summary.deductible, summary.deductible_remaining) == (
        Decimal("1500.00"),
        Decimal("1200.00"),
    )
    assert (summary.out_of_pocket, summary.out_of_pocket_remaining) == (
        Decimal("5000.00"),
        Decimal("4100.00"),
    )
    # The raw 271 is kept for audit, encrypted at rest.
    assert check.response_x12.startswith("ISA")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT response_x12 FROM eligibility_eligibilitycheck WHERE id = %s", [check.pk]
        )
        stored = cursor.fetchone()[0]
    # Ciphertext is base64: it may spell "ISA" by chance, never an X12 segment ("ISA*").
    assert "ISA*" not in stored and "*" not in stored
    events = [
        e["event"]
        for e in AuditEvent.objects.order_by("sequence")[before:].values_list("detail", flat=True)
        if e.get("event", "").startswith("eligibility")
    ]
    assert events == ["eligibility_requested", "eligibility_answered"]
    # Both files are in the clearinghouse's log, and the 270 is a disclosure for payment.
    assert check.request_exchange.kind == "270" and check.response_exchange.kind == "271"
    assert check.response_exchange.read_text() == check.response_x12
    [disclosure] = Disclosure.objects.filter(patient=patient)
    assert disclosure.purpose == "payment"


def test_a_271_for_a_different_member_is_refused(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "wrong_member"
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    assert check.status == "failed"
    assert "different member" in check.failure_reason
    assert check.active is None and check.benefits.count() == 0
    assert check.next_retry_at is None  # a person must look: asking again gives the same answer


def test_transport_down_fails_and_is_retried_later(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "down"
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    assert (check.status, check.failure_reason) == (
        "failed",
        "The clearinghouse did not answer within 20 s.",
    )
    assert check.next_retry_at == NOW + dt.timedelta(minutes=5)
    assert services.eligibility_retry_due() == {"retried": 0, "complete": 0, "failed": 0}
    now.shift(dt.timedelta(minutes=6))
    assert services.eligibility_retry_due() == {"retried": 1, "complete": 0, "failed": 1}
    check.refresh_from_db()
    assert check.attempts == 2
    assert check.next_retry_at == NOW + dt.timedelta(minutes=6 + 15)
    payer.mode = "active"
    now.shift(dt.timedelta(minutes=16))
    assert services.eligibility_retry_due() == {"retried": 1, "complete": 1, "failed": 0}
    check.refresh_from_db()
    assert (check.status, check.active, check.failure_reason, check.next_retry_at) == (
        "complete",
        True,
        "",
        None,
    )


def test_garbage_and_an_answer_to_another_inquiry_fail(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "garbage"
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    assert check.status == "failed"
    assert check.failure_reason.startswith(services.MSG_GARBAGE)
    assert check.next_retry_at is not None
    payer.mode = "other_trace"
    check = services.eligibility_retry(actor=clerk, check=check)
    assert check.status == "failed"
    assert check.trace_number in check.failure_reason


def test_rejected_and_inactive_answers(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "rejected"
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    assert (check.status, check.active) == ("rejected", None)
    assert check.rejections[0]["message"].startswith("Subscriber not found")
    payer.mode = "inactive"
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    assert (check.status, check.active) == ("complete", False)


def test_the_date_must_be_the_appointments_and_roles_are_checked(
    now, clinic, clerk, payer, make_user
):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    appointment = clinic.book(patient, at(8, 10))
    with pytest.raises(ValidationFailed):
        services.eligibility_check(
            actor=clerk,
            coverage=coverage,
            appointment=appointment,
            date_of_service=dt.date(2026, 12, 7),
        )
    nurse = make_user("nurse", clinic.location)
    with pytest.raises(PermissionDenied):
        services.eligibility_check(
            actor=nurse, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
        )
    assert EligibilityCheck.objects.count() == 0 and payer.sent == []


def test_missing_subscriber_fails_without_sending(now, clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient, relationship="01")  # spouse, no subscriber named
    check = services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )
    assert check.status == "failed" and "subscriber" in check.failure_reason
    assert payer.sent == [] and check.next_retry_at is None


def _waiting_check(clinic, clerk, payer):
    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    payer.mode = "down"
    return services.eligibility_check(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 7)
    )


def test_import_271_matches_by_trace_number(now, clinic, clerk, biller, payer):
    from frontdesk.standards.x12.eligibility import read_270, write_271

    check = _waiting_check(clinic, clerk, payer)
    inquiry = read_270(check.request_x12)[0]
    data = write_271([response_for(inquiry)], header_271())
    [imported] = services.eligibility_import_271(actor=biller, data=data.encode())
    assert imported.pk == check.pk
    assert (imported.status, imported.active) == ("complete", True)
    assert imported.benefits.count() == 7
    with pytest.raises(ImportMismatch, match="already answered"):
        services.eligibility_import_271(actor=biller, data=data)


def test_import_refuses_unknown_trace_and_wrong_member_and_garbage(
    now, clinic, clerk, biller, payer
):
    from dataclasses import replace

    from frontdesk.standards.x12.eligibility import read_270, write_271

    check = _waiting_check(clinic, clerk, payer)
    inquiry = read_270(check.request_x12)[0]
    unknown = write_271([response_for(replace(inquiry, trace_number="NOSUCHTRACE7"))], header_271())
    with pytest.raises(ImportMismatch, match="NOSUCHTRACE7"):
        services.eligibility_import_271(actor=biller, data=unknown)
    wrong = write_271([response_for(inquiry, mode="wrong_member")], header_271())
    with pytest.raises(ImportMismatch, match="different member"):
        services.eligibility_import_271(actor=biller, data=wrong)
    with pytest.raises(ImportMismatch, match="Not a readable 271"):
        services.eligibility_import_271(actor=biller, data=b"ISA*garbage")
    check.refresh_from_db()
    assert check.status == "failed" and check.benefits.count() == 0


def test_request_270_writes_without_sending(now, clinic, clerk, payer):
    from frontdesk.standards.x12.eligibility import read_270

    patient = clinic.patient()
    coverage = clinic.coverage(patient)
    text = services.eligibility_request_270(
        actor=clerk, coverage=coverage, date_of_service=dt.date(2026, 12, 9)
    )
    assert read_270(text)[0].date_of_service == dt.date(2026, 12, 9)
    assert payer.sent == [] and EligibilityCheck.objects.count() == 0


def test_a_271_arriving_in_the_inbox_answers_the_waiting_check(now, clinic, clerk, payer):
    from frontdesk.clearinghouse.choices import Kind
    from frontdesk.clearinghouse.handlers import handler_for
    from frontdesk.standards.x12.eligibility import read_270, write_271

    check = _waiting_check(clinic, clerk, payer)
    inquiry = read_270(check.request_x12)[0]
    data = write_271([response_for(inquiry)], header_271()).encode()
    assert handler_for(Kind.ELIGIBILITY_RESPONSE) is services.inbound_271_handle

    class Inbound:
        pk = None

        def read_bytes(self):
            return data

    services.inbound_271_handle(Inbound())
    check.refresh_from_db()
    assert (check.status, check.source, check.active) == ("complete", "import", True)
