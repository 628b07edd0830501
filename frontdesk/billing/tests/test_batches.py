"""837P batches: hierarchy, pyx12, corrected/void frequency, COB, sending and exporting."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from frontdesk.billing import batch_services, services
from frontdesk.billing.choices import BatchStatus, ClaimStatus, StatusSource
from frontdesk.billing.errors import NothingToSend
from frontdesk.billing.models import Claim, ClaimBatch
from frontdesk.standards.x12.claims import read_837p
from tests.factories import CoverageFactory, PatientFactory, PayerFactory
from tests.x12.pyx12check import pyx12_errors


def _dependent(clinic: Any) -> Any:
    parent = PatientFactory(
        first_name="Parentia",
        address_line1="12 Sample Street",
        city="Springfield",
        state="IL",
        postal_code="62704",
        sex_at_birth="M",
    )
    child = clinic.patient(insured=False, first_name="Kiddo")
    CoverageFactory(patient=child, payer=clinic.payer, relationship="19", subscriber_patient=parent)
    return child


def test_batch_hierarchy_passes_pyx12(clinic: Any) -> None:
    own = clinic.claim()
    child = clinic.claim(clinic.visit(_dependent(clinic), hour=11))
    assert own.status == child.status == ClaimStatus.READY

    built = batch_services.batch_build(actor=clinic.biller)

    assert pyx12_errors(built.payload) == []
    (batch,) = read_837p(built.payload)
    assert batch.billing_provider.npi == clinic.organization.npi
    assert batch.billing_provider.tax_id == "123456789"
    by_claim = {g.claims[0].claim_id: g for g in batch.groups}
    assert by_claim[own.claim_id].patient is None
    dependent_group = by_claim[child.claim_id]
    assert dependent_group.patient is not None
    assert dependent_group.patient.first_name == "Kiddo"
    assert dependent_group.subscriber.first_name == "Parentia"
    claim = by_claim[own.claim_id].claims[0]
    assert claim.diagnoses == ("E119", "I10")
    assert [(line.procedure_code, line.diagnosis_pointers) for line in claim.lines] == [
        ("99213", (1, 2)),
        ("36415", (1,)),
    ]
    assert claim.total_charge == Decimal("140.00")
    (row,) = built.batches
    assert row.claim_count == 2 and row.total_charge == Decimal("280.00")
    assert Claim.objects.filter(batch=row).count() == 2


def test_held_claims_are_not_batched(clinic: Any) -> None:
    clinic.claim(diagnoses=("E11", "I10"))
    with pytest.raises(NothingToSend):
        batch_services.batch_build(actor=clinic.biller)


def _sent(clinic: Any, claim: Claim, number: str = "PAYER-CLM-1") -> Claim:
    services.claim_status_set(
        actor=clinic.biller, claim=claim, status=ClaimStatus.SENT, source=StatusSource.USER
    )
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number=number)
    claim.refresh_from_db()
    return claim


def test_corrected_and_void_claims_carry_frequency_and_ref_f8(clinic: Any) -> None:
    original = _sent(clinic, clinic.claim())
    services.claim_correct(actor=clinic.biller, claim=original, reason="Units")
    services.claim_void(actor=clinic.biller, claim=original, reason="Error")

    built = batch_services.batch_build(actor=clinic.biller)

    assert pyx12_errors(built.payload) == []
    claims = [c for g in read_837p(built.payload)[0].groups for c in g.claims]
    assert sorted((c.frequency_code, c.original_claim_number) for c in claims) == [
        ("7", "PAYER-CLM-1"),
        ("8", "PAYER-CLM-1"),
    ]
    assert "REF*F8*PAYER-CLM-1" in built.payload


def test_secondary_claim_carries_the_primary_payment(clinic: Any) -> None:
    patient = clinic.patient()
    CoverageFactory(patient=patient, payer=PayerFactory(payer_id="EXSEC2"), priority=2)
    primary = _sent(clinic, clinic.claim(clinic.visit(patient)))
    lines = list(primary.lines.all())
    services.claim_secondary_create(
        actor=clinic.biller,
        primary_claim=primary,
        adjudication={
            "payer_id": "EXHP1",
            "paid": "90.00",
            "adjudicated_on": "2026-12-07",
            "adjustments": [],
            "lines": [
                {
                    "line_control_number": lines[0].line_control_number,
                    "procedure_code": "99213",
                    "units": "1",
                    "paid": "80.00",
                    "adjustments": [{"group": "PR", "reason": "2", "amount": "45.00"}],
                },
                {
                    "line_control_number": lines[1].line_control_number,
                    "procedure_code": "36415",
                    "units": "1",
                    "paid": "10.00",
                    "adjustments": [{"group": "CO", "reason": "45", "amount": "5.00"}],
                },
            ],
        },
    )

    built = batch_services.batch_build(actor=clinic.biller)

    assert pyx12_errors(built.payload) == []
    (claim,) = [c for g in read_837p(built.payload)[0].groups for c in g.claims]
    (other,) = claim.other_payers
    assert other.paid == Decimal("90.00")
    assert other.payer.payer_id == "EXHP1"
    assert [line.prior_adjudications[0].paid for line in claim.lines] == [
        Decimal("80.00"),
        Decimal("10.00"),
    ]


def test_send_moves_claims_to_sent_with_history(clinic: Any, settings: Any, tmp_path: Path) -> None:
    settings.FRONTDESK_CLEARINGHOUSE = f"files:{tmp_path / 'drop'}"
    claim = clinic.claim()

    result = batch_services.claims_send(actor=clinic.biller)

    assert result.sent, result.error
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SENT
    assert claim.events.last().source == "user"  # type: ignore[union-attr]
    batch = ClaimBatch.objects.get()
    assert batch.status == BatchStatus.SENT and batch.exchange_pk == result.exchange_pk
    from frontdesk.disclosures.models import Disclosure

    assert Disclosure.objects.filter(patient_id=claim.patient_id).exists()
    assert list((tmp_path / "drop").rglob("*837*"))


def test_a_failed_send_keeps_the_claims_ready(clinic: Any, settings: Any) -> None:
    settings.FRONTDESK_CLEARINGHOUSE = "nonsense"
    claim = clinic.claim()

    result = batch_services.claims_send(actor=clinic.biller)

    assert not result.sent and result.error
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY
    assert "Not sent" in ClaimBatch.objects.get().ack_detail


def test_front_desk_cannot_send(clinic: Any) -> None:
    from frontdesk.core.errors import PermissionDenied

    claim = clinic.claim()
    with pytest.raises(PermissionDenied):
        batch_services.claims_send(actor=clinic.clerk)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


def test_cli_export_writes_the_batch(clinic: Any, tmp_path: Path) -> None:
    claim = clinic.claim()
    out = tmp_path / "batch.x12"

    call_command("claims_export", "--out", str(out), "--payer", clinic.payer.payer_id)

    text = out.read_text()
    assert pyx12_errors(text) == []
    assert f"CLM*{claim.claim_id}*" in text
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SENT
    assert ClaimBatch.objects.get().status == BatchStatus.EXPORTED
