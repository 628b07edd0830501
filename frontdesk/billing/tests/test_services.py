"""Charge entry, claims, status history, the scrubber run, corrected/void and secondary claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from frontdesk.billing import services
from frontdesk.billing.choices import ClaimStatus, EncounterStatus, FrequencyCode, StatusSource
from frontdesk.billing.errors import ChargesAlreadyEntered, TransitionRefused
from frontdesk.billing.models import ChargeLine, Claim, ClaimLine, ClaimStatusEvent, Encounter
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.ledger.choices import Bucket
from frontdesk.ledger.models import LedgerEntry
from tests.factories import CoverageFactory, PayerFactory

from .conftest import DOS


def test_charge_entry_posts_each_line_once_to_the_insurance_bucket(clinic: Any) -> None:
    appointment = clinic.visit()

    encounter = clinic.enter(appointment)

    entries = LedgerEntry.objects.filter(appointment=appointment).order_by("pk")
    assert [(e.amount, e.bucket, e.service_date) for e in entries] == [
        (Decimal("125.00"), Bucket.INSURANCE, DOS),
        (Decimal("15.00"), Bucket.INSURANCE, DOS),
    ]
    assert encounter.status == EncounterStatus.BILLED
    assert encounter.diagnoses == ["E119", "I10"]
    assert [line.ledger_entry_id for line in encounter.lines.all()] == [e.pk for e in entries]
    claim = Claim.objects.get(encounter=encounter)
    assert claim.status == ClaimStatus.READY
    assert claim.total_charge == Decimal("140.00")
    assert claim.claim_id.startswith("FD") and len(claim.claim_id) <= 20
    assert services.claim_id_valid(claim.claim_id)
    assert [line.line_control_number for line in claim.lines.all()] == [
        f"{claim.claim_id}-1",
        f"{claim.claim_id}-2",
    ]
    assert list(claim.events.values_list("status", flat=True)) == ["created", "ready"]

    with pytest.raises(ChargesAlreadyEntered):
        clinic.enter(appointment)
    assert LedgerEntry.objects.filter(appointment=appointment).count() == 2
    assert Encounter.objects.count() == 1


def test_self_pay_charges_go_to_the_patient_bucket_without_a_claim(clinic: Any) -> None:
    appointment = clinic.visit(clinic.patient(insured=False))

    encounter = clinic.enter(appointment)

    assert set(LedgerEntry.objects.values_list("bucket", flat=True)) == {Bucket.PATIENT}
    assert encounter.status == EncounterStatus.READY
    assert not Claim.objects.exists()


def test_coverage_not_yet_in_force_on_the_date_of_service_bills_the_patient(clinic: Any) -> None:
    patient = clinic.patient(insured=False)
    CoverageFactory(patient=patient, payer=clinic.payer, effective_on=dt.date(2026, 12, 8))

    clinic.enter(clinic.visit(patient))

    assert set(LedgerEntry.objects.values_list("bucket", flat=True)) == {Bucket.PATIENT}


def test_a_provider_enters_a_draft_and_billing_posts_it(clinic: Any) -> None:
    appointment = clinic.visit()

    encounter = clinic.enter(appointment, actor=clinic.doctor_user)

    assert encounter.status == EncounterStatus.DRAFT
    assert not LedgerEntry.objects.exists()
    with pytest.raises(PermissionDenied):
        services.encounter_post(actor=clinic.doctor_user, encounter=encounter)

    services.encounter_post(actor=clinic.biller, encounter=encounter)
    with pytest.raises(Conflict):
        services.encounter_post(actor=clinic.biller, encounter=encounter)
    assert LedgerEntry.objects.count() == 2


def test_front_desk_may_not_enter_charges(clinic: Any) -> None:
    with pytest.raises(PermissionDenied):
        clinic.enter(clinic.visit(), actor=clinic.clerk)
    assert not Encounter.objects.exists()


def test_a_booked_visit_that_has_not_happened_takes_no_charges(clinic: Any) -> None:
    with pytest.raises(Conflict):
        clinic.enter(clinic.visit(status="booked"))
    assert not LedgerEntry.objects.exists()


def test_bad_input_names_each_field_and_writes_nothing(clinic: Any) -> None:
    lines = (services.LineInput("9921", "abc", "0", ("X", "25", "59", "76", "77"), (1, 9)),)
    with pytest.raises(ValidationFailed) as caught:
        clinic.enter(clinic.visit(), diagnoses=("E11.9",), lines=lines)
    fields = caught.value.fields
    assert set(fields) >= {
        "line_1_procedure_code",
        "line_1_charge",
        "line_1_units",
        "line_1_modifiers",
        "line_1_pointers",
    }
    assert not Encounter.objects.exists() and not LedgerEntry.objects.exists()


def test_more_than_twelve_diagnoses_are_refused(clinic: Any) -> None:
    codes = tuple(f"E11.{n}" for n in range(13))
    with pytest.raises(ValidationFailed) as caught:
        clinic.enter(clinic.visit(), diagnoses=codes)
    assert "diagnoses" in caught.value.fields


def test_database_refuses_pointer_out_of_range(clinic: Any) -> None:
    encounter = clinic.enter(clinic.visit())
    line = ChargeLine.objects.filter(encounter=encounter).first()
    assert line is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        ChargeLine.objects.filter(pk=line.pk).update(pointer_2=13)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.filter(charge_line=line).update(charge=Decimal("-1.00"))


def test_status_history_and_refused_transitions(clinic: Any) -> None:
    claim = clinic.claim()
    with pytest.raises(TransitionRefused):
        services.claim_status_set(
            actor=clinic.biller, claim=claim, status=ClaimStatus.PAID, source=StatusSource.USER
        )
    services.claim_status_set(
        actor=clinic.biller, claim=claim, status=ClaimStatus.SENT, source=StatusSource.USER
    )
    services.claim_status_set(
        actor=None, claim=claim, status=ClaimStatus.PAID, source=StatusSource.ERA_835, detail="Paid"
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert list(claim.events.values_list("previous_status", "status", "source")) == [
        ("", "created", "user"),
        ("created", "ready", "scrubber"),
        ("ready", "sent", "user"),
        ("sent", "paid", "835"),
    ]


def test_scrub_holds_a_claim_with_an_error_and_lists_field_and_fix(clinic: Any) -> None:
    clinic.organization.postal_code = "62701"
    clinic.organization.save()

    claim = clinic.claim()

    assert claim.status == ClaimStatus.HELD
    finding = claim.findings.get(code="billing_zip9")
    assert finding.field == "billing_provider.postal_code"
    assert "ZIP+4" in finding.fix

    clinic.organization.postal_code = "62701-1234"
    clinic.organization.save()
    services.claim_scrub(actor=clinic.biller, claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY
    assert not claim.findings.exists()


def test_header_icd10_code_holds_the_claim(clinic: Any) -> None:
    claim = clinic.claim(diagnoses=("E11", "I10"))

    assert claim.status == ClaimStatus.HELD
    finding = claim.findings.get(code="diagnosis_invalid")
    assert finding.field == "diagnoses[1]"
    assert "header" in finding.message


def test_duplicate_claim_is_detected(clinic: Any) -> None:
    patient = clinic.patient()
    first = clinic.claim(clinic.visit(patient, hour=9))
    second = clinic.claim(clinic.visit(patient, hour=11))

    assert first.status == ClaimStatus.READY
    assert second.status == ClaimStatus.HELD
    finding = second.findings.get(code="duplicate_claim")
    assert first.claim_id in finding.message


def _sent(clinic: Any, claim: Claim, payer_claim_number: str = "PCN-1") -> Claim:
    services.claim_status_set(
        actor=clinic.biller, claim=claim, status=ClaimStatus.SENT, source=StatusSource.USER
    )
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number=payer_claim_number)
    claim.refresh_from_db()
    return claim


def test_corrected_and_void_claims_carry_the_original(clinic: Any) -> None:
    original = _sent(clinic, clinic.claim())

    corrected = services.claim_correct(actor=clinic.biller, claim=original, reason="Wrong units")
    void = services.claim_void(actor=clinic.biller, claim=original, reason="Billed in error")

    assert (corrected.frequency_code, corrected.original_claim_id) == (
        FrequencyCode.CORRECTED,
        original.pk,
    )
    assert corrected.original_payer_claim_number == "PCN-1"
    assert void.frequency_code == FrequencyCode.VOID
    corrected.refresh_from_db()
    assert corrected.status == ClaimStatus.READY  # a replacement is not a duplicate
    assert LedgerEntry.objects.count() == 2  # no new charges
    with pytest.raises(Conflict):
        services.claim_void(actor=clinic.biller, claim=original, reason="again")


def test_void_without_the_payer_claim_number_is_held(clinic: Any) -> None:
    original = _sent(clinic, clinic.claim(), payer_claim_number="")

    void = services.claim_void(actor=clinic.biller, claim=original, reason="Billed in error")

    void.refresh_from_db()
    assert void.status == ClaimStatus.HELD
    assert void.findings.filter(code="original_claim_number_missing").exists()


def test_a_claim_not_yet_sent_cannot_be_corrected(clinic: Any) -> None:
    claim = clinic.claim()
    with pytest.raises(Conflict):
        services.claim_correct(actor=clinic.biller, claim=claim, reason="x")


def test_secondary_claim_from_primary_adjudication(clinic: Any) -> None:
    patient = clinic.patient()
    second_payer = PayerFactory(name="Example Secondary Plan", payer_id="EXSEC")
    CoverageFactory(patient=patient, payer=second_payer, priority=2)
    primary = _sent(clinic, clinic.claim(clinic.visit(patient)))
    line = primary.lines.get(line_number=1)
    adjudication = {
        "payer_id": "EXHP1",
        "paid": "80.00",
        "adjudicated_on": "2026-12-07",
        "adjustments": [{"group": "PR", "reason": "2", "amount": "20.00"}],
        "lines": [
            {
                "line_control_number": line.line_control_number,
                "procedure_code": "99213",
                "units": "1",
                "paid": Decimal("80.00"),
                "adjustments": [{"group": "CO", "reason": "45", "amount": "25.00"}],
            }
        ],
    }

    secondary = services.claim_secondary_create(
        actor=clinic.biller, primary_claim=primary, adjudication=adjudication
    )

    assert secondary is not None
    assert (secondary.responsibility, secondary.payer_id) == ("S", second_payer.pk)
    assert secondary.primary_claim_id == primary.pk
    assert secondary.prior_adjudication["lines"][0]["paid"] == "80.00"
    assert secondary.status == ClaimStatus.READY
    again = services.claim_secondary_create(
        actor=clinic.biller, primary_claim=primary, adjudication=adjudication
    )
    assert again is not None and again.pk == secondary.pk


def test_no_secondary_coverage_means_no_secondary_claim(clinic: Any) -> None:
    primary = _sent(clinic, clinic.claim())
    result = services.claim_secondary_create(
        actor=clinic.biller,
        primary_claim=primary,
        adjudication={"paid": "1.00", "adjudicated_on": "2026-12-07"},
    )
    assert result is None


def test_status_events_are_append_only_on_postgresql(clinic: Any) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigger only on PostgreSQL")
    claim = clinic.claim()
    with pytest.raises(Exception), transaction.atomic():
        ClaimStatusEvent.objects.filter(claim=claim).update(detail="rewritten")


def test_a_blank_charge_comes_from_the_fee_schedule(clinic: Any) -> None:
    lines = (services.LineInput("99213", "", "1", (), (1,)),)
    encounter = clinic.enter(clinic.visit(), diagnoses=("I10",), lines=lines)
    assert [line.charge for line in encounter.lines.all()] == [Decimal("125.00")]


def test_a_blank_charge_without_a_fee_names_the_code(clinic: Any) -> None:
    lines = (services.LineInput("36415", "", "1", (), (1,)),)
    with pytest.raises(ValidationFailed) as caught:
        clinic.enter(clinic.visit(), diagnoses=("I10",), lines=lines)
    assert "36415" in caught.value.fields["line_1_charge"][0]


def test_a_code_not_in_the_practice_list_holds_the_claim(clinic: Any) -> None:
    lines = (services.LineInput("99999", "50.00", "1", (), (1,)),)
    claim = clinic.claim(diagnoses=("I10",), lines=lines)
    assert claim.status == ClaimStatus.HELD
    finding = claim.findings.get(code="procedure_unknown")
    assert finding.message == "CPT 99999 is not in the practice's code list."
    assert "import it" in finding.fix.lower()


def test_the_system_creates_a_secondary_claim_from_an_imported_835(clinic: Any) -> None:
    patient = clinic.patient()
    CoverageFactory(patient=patient, payer=PayerFactory(payer_id="EXSYS"), priority=2)
    primary = _sent(clinic, clinic.claim(clinic.visit(patient)))
    secondary = services.claim_secondary_create(
        actor=None,
        primary_claim=primary,
        adjudication={"payer_id": "EXHP1", "paid": "50.00", "adjudicated_on": "2026-12-07"},
    )
    assert secondary is not None and secondary.responsibility == "S"
    assert secondary.events.first().actor is None  # type: ignore[union-attr]


def test_many_claims_move_at_once_with_history_or_none_do(clinic: Any) -> None:
    first = _sent(clinic, clinic.claim(clinic.visit(hour=9)))
    second = clinic.claim(clinic.visit(hour=11))  # ready, not sent: cannot be paid

    with pytest.raises(TransitionRefused):
        services.claim_status_set_many(
            actor=None,
            updates=[(first, ClaimStatus.PAID, "Paid"), (second, ClaimStatus.PAID, "Paid")],
            source=StatusSource.ERA_835,
        )
    first.refresh_from_db()
    assert first.status == ClaimStatus.SENT

    moved = services.claim_status_set_many(
        actor=None, updates=[(first, ClaimStatus.DENIED, "CO-50")], source=StatusSource.ERA_835
    )
    first.refresh_from_db()
    assert moved == 1 and first.status == ClaimStatus.DENIED
    assert first.events.last().detail == "CO-50"  # type: ignore[union-attr]


def test_the_check_in_copay_charge_gives_way_to_the_visits_insurance_charges(clinic: Any) -> None:
    from frontdesk.ledger.choices import ChargeCode, EntryKind
    from frontdesk.ledger.selectors import account_balances
    from frontdesk.ledger.services import account_for_patient, charge_post

    appointment = clinic.visit()
    copay = charge_post(
        actor=clinic.biller,
        patient=appointment.patient,
        location=clinic.location,
        code=ChargeCode.COPAY,
        amount="25.00",
        appointment=appointment,
        service_date=DOS,
    )

    clinic.enter(appointment)

    reversal = LedgerEntry.objects.get(reverses=copay)
    assert (reversal.kind, reversal.code, reversal.amount, reversal.bucket) == (
        EntryKind.CHARGE,
        ChargeCode.COPAY,
        Decimal("-25.00"),
        Bucket.PATIENT,
    )
    assert reversal.reason == services.COPAY_REPLACED[:200]
    balances = account_balances(account=account_for_patient(patient=appointment.patient))
    assert (balances.patient, balances.insurance) == (Decimal("0.00"), Decimal("140.00"))


def test_self_pay_visits_keep_their_copay_charge(clinic: Any) -> None:
    from frontdesk.ledger.choices import ChargeCode
    from frontdesk.ledger.services import charge_post

    appointment = clinic.visit(clinic.patient(insured=False))
    copay = charge_post(
        actor=clinic.biller,
        patient=appointment.patient,
        location=clinic.location,
        code=ChargeCode.COPAY,
        amount="25.00",
        appointment=appointment,
        service_date=DOS,
    )

    clinic.enter(appointment)

    assert not LedgerEntry.objects.filter(reverses=copay).exists()
