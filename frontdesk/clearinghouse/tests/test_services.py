"""Exchanges: send and realtime record what happened (or why not), the inbox is recorded once per file,
handlers run all-or-nothing, files are encrypted at rest, disclosures follow what was sent."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.clearinghouse import handlers
from frontdesk.clearinghouse.choices import Direction, ExchangeStatus, Kind
from frontdesk.clearinghouse.envelopes import envelope_header, next_control_numbers
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.services import (
    exchange_download,
    exchange_realtime,
    exchange_send,
    inbox_poll,
)
from frontdesk.clearinghouse.tests.samples import tiny_270, tiny_271, tiny_835, tiny_999
from frontdesk.core.errors import ValidationFailed
from frontdesk.disclosures.models import Disclosure
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


def test_send_records_submits_and_discloses(drop_box, biller):
    patients = [PatientFactory(), PatientFactory()]
    exchange = exchange_send(
        actor=biller,
        kind=Kind.ELIGIBILITY_INQUIRY,
        payload=tiny_270(),
        patient_ids=[p.pk for p in patients],
    )
    assert exchange.status == ExchangeStatus.SENT
    assert exchange.direction == Direction.OUT
    assert exchange.control_number == "000000101"
    assert exchange.transport == f"files:{drop_box}"
    sent = list((drop_box / "outbox").iterdir())
    assert [p.name for p in sent] == [exchange.filename]
    assert sent[0].read_text() == tiny_270()
    # Stored encrypted: the bytes in storage are not the file, but read back as it.
    with default_storage.open(exchange.stored_name, "rb") as handle:
        assert b"TESTPATIENT" not in handle.read()
    assert exchange.read_text() == tiny_270()
    assert set(exchange.patients.values_list("pk", flat=True)) == {p.pk for p in patients}
    disclosures = Disclosure.objects.order_by("patient_id")
    assert [d.patient_id for d in disclosures] == sorted(p.pk for p in patients)
    first = disclosures[0]
    assert first.purpose == "payment"
    assert first.reference == f"exchange:{exchange.pk}"
    assert first.recipient == "SIMULATED HEALTH PLAN (via clearinghouse)"
    assert first.recipient_identifier == "SIM01"
    assert first.actor == biller
    assert (
        AuditEvent.objects.filter(object_type="exchange", object_id=str(exchange.pk)).count() == 1
    )
    assert AuditEvent.objects.filter(object_type="disclosure", action="disclose").count() == 1


def test_send_failure_is_recorded_not_raised_and_discloses_nothing(drop_box, biller):
    drop_box.parent.mkdir(exist_ok=True)
    drop_box.write_text("a file where the folder should be")
    exchange = exchange_send(
        actor=biller, kind=Kind.CLAIM, payload=tiny_270(), patient_ids=[PatientFactory().pk]
    )
    assert exchange.status == ExchangeStatus.FAILED
    assert "cannot be used" in exchange.error
    assert exchange.read_text() == tiny_270()  # what we tried to send is kept
    assert Disclosure.objects.count() == 0


def test_send_refuses_inbound_kinds_and_empty_files(drop_box, biller):
    with pytest.raises(ValidationFailed):
        exchange_send(actor=biller, kind=Kind.REMITTANCE, payload=tiny_835())
    with pytest.raises(ValidationFailed):
        exchange_send(actor=biller, kind=Kind.CLAIM, payload="  ")
    with pytest.raises(ValidationFailed):
        exchange_send(actor=biller, kind=Kind.CLAIM, payload=tiny_270(), patient_ids=["x"])
    assert Exchange.objects.count() == 0


def test_realtime_over_files_records_request_and_response(drop_box, biller):
    patient = PatientFactory()
    inbox = drop_box / "inbox"
    inbox.mkdir(parents=True)

    def payer() -> None:
        time.sleep(0.3)
        (inbox / "000000101.271").write_text(tiny_271(trace="TRACE101"))

    thread = threading.Thread(target=payer)
    thread.start()
    request, response = exchange_realtime(
        actor=biller, payload=tiny_270(101), patient_ids=[patient.pk], timeout=5
    )
    thread.join()
    assert request.status == ExchangeStatus.SENT
    assert response.status == ExchangeStatus.RECEIVED
    assert response.request == request
    assert response.kind == Kind.ELIGIBILITY_RESPONSE
    assert response.read_text() == tiny_271(trace="TRACE101")
    assert Disclosure.objects.get().reference == f"exchange:{request.pk}"


def test_realtime_timeout_is_a_failed_response_with_the_reason(drop_box, biller):
    patient = PatientFactory()
    request, response = exchange_realtime(
        actor=biller, payload=tiny_270(), patient_ids=[patient.pk], timeout=0.3
    )
    assert request.status == ExchangeStatus.SENT  # it reached the drop box
    assert response.status == ExchangeStatus.FAILED
    assert response.error == "The clearinghouse did not answer within 0.3 s."
    assert response.stored_name == ""
    # Delivered, so disclosed.
    assert Disclosure.objects.filter(patient=patient).count() == 1
    # Failing twice records twice (no uniqueness on empty failed answers).
    exchange_realtime(actor=biller, payload=tiny_270(), timeout=0.1)
    assert Exchange.objects.filter(status=ExchangeStatus.FAILED).count() == 2


def test_realtime_with_a_misconfigured_transport_fails_softly(settings, biller):
    settings.FRONTDESK_CLEARINGHOUSE = "carrier-pigeon"
    request, response = exchange_realtime(
        actor=biller, payload=tiny_270(), patient_ids=[PatientFactory().pk]
    )
    assert request.status == ExchangeStatus.FAILED
    assert "must be 'simulated'" in request.error
    assert response.status == ExchangeStatus.FAILED
    assert Disclosure.objects.count() == 0


def _drop(drop_box: Any, name: str, content: str | bytes) -> None:
    inbox = drop_box / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    (inbox / name).write_bytes(data)


def test_poll_records_each_file_once_and_moves_it_to_processed(drop_box):
    _drop(drop_box, "a.999", tiny_999())
    _drop(drop_box, "b.835", tiny_835())
    first = inbox_poll()
    assert sorted((e.kind, e.status) for e in first) == [
        ("835", ExchangeStatus.RECEIVED),
        ("999", ExchangeStatus.RECEIVED),
    ]
    assert sorted(p.name for p in (drop_box / "inbox" / "processed").iterdir()) == [
        "a.999",
        "b.835",
    ]
    # The same file dropped again (another name): recorded once, still taken out of the inbox.
    _drop(drop_box, "a-again.999", tiny_999())
    assert inbox_poll() == []
    assert Exchange.objects.filter(kind="999").count() == 1
    assert not (drop_box / "inbox" / "a-again.999").exists()


def test_poll_dispatches_to_the_registered_handler(drop_box):
    seen: list[str] = []
    handlers.register_handler("835", lambda exchange: seen.append(exchange.read_text()))
    _drop(drop_box, "b.835", tiny_835())
    (exchange,) = inbox_poll()
    assert exchange.status == ExchangeStatus.PROCESSED
    assert exchange.processed_at is not None
    assert seen == [tiny_835()]


def test_acknowledgments_are_applied_before_the_remittance_collected_with_them(drop_box):
    # The 835 reached the inbox first (older file) and sorts first by name; the 999 that
    # acknowledges the same batch is still applied before it.
    import os

    seen: list[str] = []
    handlers.register_handler("835", lambda exchange: seen.append("835"))
    handlers.register_handler("999", lambda exchange: seen.append("999"))
    _drop(drop_box, "a.835", tiny_835())
    _drop(drop_box, "b.999", tiny_999())
    os.utime(drop_box / "inbox" / "a.835", (1_700_000_000, 1_700_000_000))
    os.utime(drop_box / "inbox" / "b.999", (1_700_000_100, 1_700_000_100))

    recorded = inbox_poll()

    assert [e.kind for e in recorded] == ["835", "999"]  # as collected, oldest first
    assert seen == ["999", "835"]  # as applied


def test_a_failing_handler_marks_the_exchange_and_rolls_its_writes_back(drop_box):
    def handler(exchange: Exchange) -> None:
        PatientFactory(last_name="Halfwritten")
        raise ValueError("Claim CLM9 is unknown")

    handlers.register_handler("835", handler)
    _drop(drop_box, "b.835", tiny_835())
    (exchange,) = inbox_poll()
    assert exchange.status == ExchangeStatus.ERROR
    assert exchange.error == "Claim CLM9 is unknown"
    assert exchange.read_text() == tiny_835()  # the file is kept
    from frontdesk.patients.models import Patient

    assert not Patient.objects.filter(last_name="Halfwritten").exists()
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.ERROR


def test_files_waiting_for_a_handler_are_dispatched_once_one_is_registered(drop_box):
    _drop(drop_box, "a.999", tiny_999())
    (exchange,) = inbox_poll()
    assert exchange.status == ExchangeStatus.RECEIVED
    handlers.register_handler("999", lambda exchange: None)
    assert inbox_poll() == []
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.PROCESSED


def test_garbage_in_the_inbox_is_recorded_as_unknown_with_an_error(drop_box):
    _drop(drop_box, "junk.txt", b"\x00\x01 not x12")
    (exchange,) = inbox_poll()
    assert exchange.kind == Kind.UNKNOWN
    assert exchange.status == ExchangeStatus.ERROR
    assert "not an X12 interchange" in exchange.error


def test_register_handler_refuses_unknown_kinds():
    with pytest.raises(ValueError, match="Unknown exchange kind"):
        handlers.register_handler("834", lambda exchange: None)


def test_download_is_audited(drop_box, biller):
    exchange = exchange_send(actor=biller, kind=Kind.CLAIM, payload=tiny_270())
    assert exchange_download(actor=biller, exchange=exchange) == tiny_270().encode()
    event = AuditEvent.objects.filter(object_type="exchange").order_by("-sequence").first()
    assert event.detail["event"] == "download"


def test_control_numbers_increase_and_headers_come_from_settings(settings):
    settings.FRONTDESK_X12_SENDER_ID = "PRACTICE01"
    settings.FRONTDESK_X12_RECEIVER_ID = "CLEARHOUSE"
    settings.FRONTDESK_X12_USAGE = "P"
    first = next_control_numbers()
    header = envelope_header("270", "HS", "005010X279A1")
    assert header.interchange_control_number == first.interchange + 1
    assert header.group_control_number == first.group + 1
    assert (header.sender_id, header.receiver_id, header.usage) == (
        "PRACTICE01",
        "CLEARHOUSE",
        "P",
    )
    assert header.functional_id == "HS"
    assert header.version == "005010X279A1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="constraint race on PostgreSQL")
def test_the_database_refuses_a_second_record_of_the_same_inbound_file(drop_box):
    from django.db import IntegrityError, transaction

    _drop(drop_box, "a.999", tiny_999())
    (exchange,) = inbox_poll()
    with pytest.raises(IntegrityError), transaction.atomic():
        Exchange.objects.create(
            direction="in",
            kind="999",
            sha256=exchange.sha256,
            status="received",
            created_at=exchange.created_at,
        )


def test_realtime_timeout_comes_from_settings(settings, drop_box, biller):
    settings.FRONTDESK_CLEARINGHOUSE_TIMEOUT = "0.2"
    _request, response = exchange_realtime(actor=biller, payload=tiny_270())
    assert response.error == "The clearinghouse did not answer within 0.2 s."
