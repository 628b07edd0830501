"""TA1, 999 and 277CA acknowledgments: whole-batch rejection, per-claim answers, unknown claims, repeats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from frontdesk.billing import ack_services, batch_services
from frontdesk.billing.choices import BatchStatus, ClaimStatus
from frontdesk.billing.errors import AckImportError
from frontdesk.billing.models import Claim, ClaimBatch
from frontdesk.standards.x12 import acks
from frontdesk.standards.x12.envelope import EnvelopeHeader

from .conftest import NOW


def _header(functional_id: str, version: str) -> EnvelopeHeader:
    return EnvelopeHeader(
        sender_id="CLEARINGHOUSE",
        receiver_id="FRONTDESK",
        interchange_control_number=501,
        group_control_number=501,
        functional_id=functional_id,
        version=version,
        created_at=NOW,
    )


def _sent_batch(clinic: Any, count: int = 2) -> tuple[ClaimBatch, list[Claim]]:
    claims = [clinic.claim(clinic.visit(hour=9 + n)) for n in range(count)]
    built = batch_services.claims_export(actor=clinic.biller)
    (batch,) = built.batches
    for claim in claims:
        claim.refresh_from_db()
    return batch, claims


def _999(batch: ClaimBatch, status: str, group: str | None = None) -> str:
    error = acks.AckError(
        segment_id="NM1",
        segment_position=12,
        loop="2010BA",
        code="8",
        element_position=9,
        element_code="67",
        bad_value="",
        message="NM109 (member ID) is missing in loop 2010BA.",
    )
    transaction = acks.TransactionAck(
        transaction_code="837",
        control_number=batch.transaction_control_number,
        status=status,
        errors=(error,) if status == "R" else (),
    )
    ack = acks.acknowledge(
        functional_id="HC",
        group_control_number=group or batch.group_control_number,
        version="005010X222A1",
        transactions=[transaction],
    )
    return acks.write_999([ack], _header("FA", acks.VERSION_999))


def test_999_rejecting_the_batch_rejects_every_claim_with_the_reason(clinic: Any) -> None:
    batch, claims = _sent_batch(clinic)

    result = ack_services.acks_import(actor=clinic.biller, data=_999(batch, "R"))

    assert sorted(result.rejected) == sorted(c.claim_id for c in claims)
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.REJECTED
        event = claim.events.last()
        assert event is not None and event.source == "999"
        assert "NM109" in event.detail
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REJECTED


def test_999_accepting_the_batch_acknowledges_the_claims_once(clinic: Any) -> None:
    batch, claims = _sent_batch(clinic)
    data = _999(batch, "A")

    first = ack_services.acks_import(actor=clinic.biller, data=data)
    again = ack_services.acks_import(actor=clinic.biller, data=data)

    assert len(first.accepted) == 2 and again.accepted == [] and len(again.unchanged) == 2
    assert "already applied" in again.summary
    assert {Claim.objects.get(pk=c.pk).status for c in claims} == {ClaimStatus.ACKNOWLEDGED}


def test_999_for_a_batch_never_sent_changes_nothing(clinic: Any) -> None:
    batch, claims = _sent_batch(clinic)

    with pytest.raises(AckImportError) as caught:
        ack_services.acks_import(actor=clinic.biller, data=_999(batch, "A", group="987654"))

    assert "987654" in caught.value.message
    assert {Claim.objects.get(pk=c.pk).status for c in claims} == {ClaimStatus.SENT}


def _277(claims: list[tuple[str, bool]], *, number: str = "PAYER-9") -> str:
    acked = []
    for claim_id, ok in claims:
        status = (
            acks.ClaimStatus(category="A2", code="20", action="WQ")
            if ok
            else acks.ClaimStatus(category="A7", code="33", entity="IL", action="U")
        )
        acked.append(
            acks.ClaimAck(
                patient_control_number=claim_id,
                payer_claim_number=f"{number}-{claim_id[-3:]}" if ok else "",
                statuses=(status,),
                service_date=dt.date(2026, 12, 7),
                total_charge=Decimal("140.00"),
                patient_last_name="Zzexample",
                patient_first_name="Testpat",
                member_id="XM00000001",
            )
        )
    report = acks.ClaimAckReport(
        control_number="0001",
        payer_name="Example Health Plan",
        payer_id="EXHP1",
        receiver_name="Example Family Medicine",
        batch_statuses=(),
        claims=tuple(acked),
    )
    return acks.write_277ca([report], _header("HN", acks.VERSION_277CA))


def test_277ca_accepts_and_rejects_claim_by_claim(clinic: Any) -> None:
    _, (good, bad) = _sent_batch(clinic)

    result = ack_services.acks_import(
        actor=clinic.biller, data=_277([(good.claim_id, True), (bad.claim_id, False)])
    )

    assert result.accepted == [good.claim_id] and result.rejected == [bad.claim_id]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == ClaimStatus.ACCEPTED
    assert good.payer_claim_number == f"PAYER-9-{good.claim_id[-3:]}"
    assert bad.status == ClaimStatus.REJECTED
    detail = bad.events.last().detail  # type: ignore[union-attr]
    assert detail.startswith("277CA: rejected by Example Health Plan:")
    assert "A7" in detail or "ubscriber" in detail or "33" in detail


def test_277ca_naming_an_unknown_claim_applies_nothing(clinic: Any) -> None:
    _, (good, _other) = _sent_batch(clinic)

    with pytest.raises(AckImportError) as caught:
        ack_services.acks_import(
            actor=clinic.biller,
            data=_277([(good.claim_id, True), ("FD000099990", True)]),
        )

    assert "FD000099990" in caught.value.message
    good.refresh_from_db()
    assert good.status == ClaimStatus.SENT and good.payer_claim_number == ""


def test_a_file_that_is_no_acknowledgment_is_refused(clinic: Any) -> None:
    with pytest.raises(AckImportError):
        ack_services.acks_import(actor=clinic.biller, data=b"ISA*garbage~")


def test_front_desk_may_not_import(clinic: Any) -> None:
    from frontdesk.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        ack_services.acks_import(actor=clinic.clerk, data=b"")


def test_cli_acks_import(clinic: Any, tmp_path: Path) -> None:
    batch, claims = _sent_batch(clinic, count=1)
    path = tmp_path / "ack.999"
    path.write_text(_999(batch, "R"))

    call_command("acks_import", str(path))

    assert Claim.objects.get(pk=claims[0].pk).status == ClaimStatus.REJECTED
    with pytest.raises(CommandError):
        call_command("acks_import", str(tmp_path / "missing.999"))


def test_clearinghouse_handlers_are_registered() -> None:
    from frontdesk.clearinghouse.handlers import handler_for

    assert handler_for("999") is ack_services.ack_handler
    assert handler_for("277CA") is ack_services.ack_handler


def test_the_simulated_payer_answers_a_sent_batch_and_the_inbox_applies_it(clinic: Any) -> None:
    """The whole loop with real X12: 837P out, 999 and 277CA back through the clearinghouse inbox."""
    from frontdesk.clearinghouse.services import inbox_poll

    claim = clinic.claim()
    result = batch_services.claims_send(actor=clinic.biller)
    assert result.sent, result.error

    inbox_poll(actor=None)

    from frontdesk.clearinghouse.models import Exchange

    inbound = {e.kind: (e.status, e.error) for e in Exchange.objects.filter(direction="in")}
    assert inbound["999"][0] == "processed", inbound
    assert inbound["277CA"][0] == "processed", inbound
    claim.refresh_from_db()
    sources = list(claim.events.values_list("source", flat=True))
    assert "277CA" in sources
    assert ClaimBatch.objects.get().status == BatchStatus.ACKNOWLEDGED
    # The simulated payer's 835 arrives in the same poll and is posted: the plan pays its share,
    # the patient owes the rest (PR), nothing is refused, so the claim is paid
    # (docs/simulated-payer.md).
    assert inbound["835"][0] == "processed", inbound
    assert claim.status == ClaimStatus.PAID
    assert [s for s in sources if s in ("277CA", "835")] == ["277CA", "835"]
    if claim.status == ClaimStatus.ACCEPTED:
        assert claim.payer_claim_number


def _ta1(batch: ClaimBatch, code: str, note: str) -> str:
    from frontdesk.standards.x12.ta1 import InterchangeAck, write_ta1

    ack = InterchangeAck(batch.interchange_control_number, NOW.date(), "0915", code, note)
    return write_ta1(ack, _header("", ""))


def test_ta1_rejecting_the_interchange_rejects_its_claims_with_the_reason(clinic: Any) -> None:
    batch, claims = _sent_batch(clinic)

    result = ack_services.acks_import(actor=clinic.biller, data=_ta1(batch, "R", "025"))

    detail = (
        f"TA1: the batch {batch.reference} (interchange {batch.interchange_control_number} was "
        "rejected: Duplicate interchange control number (TA105 025))."
    )
    assert (result.kind, sorted(result.rejected)) == ("TA1", sorted(c.claim_id for c in claims))
    assert result.messages == [detail]
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.REJECTED
        event = claim.events.last()
        assert (event.source, event.detail) == ("TA1", detail)
    batch.refresh_from_db()
    assert (batch.status, batch.ack_detail) == (BatchStatus.REJECTED, detail)
    # The same TA1 again changes nothing.
    again = ack_services.acks_import(actor=clinic.biller, data=_ta1(batch, "R", "025"))
    assert (again.rejected, sorted(again.unchanged)) == ([], sorted(c.claim_id for c in claims))


def test_ta1_accepting_the_interchange_notes_it_and_waits_for_the_999(clinic: Any) -> None:
    batch, claims = _sent_batch(clinic, count=1)
    status_before = batch.status

    result = ack_services.acks_import(actor=clinic.biller, data=_ta1(batch, "A", "000"))

    assert (result.accepted, result.rejected) == ([], [])
    batch.refresh_from_db()
    assert batch.status == status_before
    assert batch.ack_detail == (
        f"TA1: the batch {batch.reference} (interchange {batch.interchange_control_number} was "
        "accepted)."
    )
    claims[0].refresh_from_db()
    assert claims[0].status == ClaimStatus.SENT


def test_ta1_for_an_interchange_never_sent_is_refused_and_changes_nothing(clinic: Any) -> None:
    from frontdesk.standards.x12.ta1 import InterchangeAck, write_ta1

    _batch, claims = _sent_batch(clinic, count=1)
    stranger = InterchangeAck("000099999", NOW.date(), "0915", "R", "022")

    with pytest.raises(AckImportError) as caught:
        ack_services.acks_import(actor=clinic.biller, data=write_ta1(stranger, _header("", "")))

    assert caught.value.message == (
        "The TA1 answers interchange 000099999, which FrontDesk never sent."
    )
    claims[0].refresh_from_db()
    assert claims[0].status == ClaimStatus.SENT


def test_the_inbox_applies_a_ta1(clinic: Any, settings: Any, tmp_path: Path) -> None:
    from frontdesk.clearinghouse.models import Exchange
    from frontdesk.clearinghouse.services import inbox_poll

    batch, claims = _sent_batch(clinic, count=1)
    settings.FRONTDESK_CLEARINGHOUSE = f"files:{tmp_path}"
    (tmp_path / "inbox").mkdir(parents=True)
    (tmp_path / "inbox" / "answer.ta1").write_text(_ta1(batch, "R", "006"))

    (exchange,) = inbox_poll()

    assert (exchange.kind, exchange.status) == ("TA1", "processed")
    assert Exchange.objects.get(pk=exchange.pk).error == ""
    claims[0].refresh_from_db()
    assert claims[0].status == ClaimStatus.REJECTED
    assert "Invalid interchange sender ID (TA105 006)" in claims[0].events.last().detail
