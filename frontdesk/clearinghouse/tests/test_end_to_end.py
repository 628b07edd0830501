"""The whole loop through the services and the simulated payer: a real-time 270/271, and an 837P
whose 999, 277CA and 835 arrive at the next poll and reach the handlers registered for them."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.clearinghouse import handlers
from frontdesk.clearinghouse.choices import ExchangeStatus, Kind
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.services import exchange_realtime, exchange_send, inbox_poll
from frontdesk.clearinghouse.tests.claim_samples import file_837
from frontdesk.clearinghouse.tests.test_simulated_payer import _270
from frontdesk.disclosures.models import Disclosure
from frontdesk.standards.x12.eligibility import read_271
from frontdesk.standards.x12.remittance import read_835
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


def test_realtime_eligibility_through_the_simulated_payer(simulated, biller):
    patient = PatientFactory()
    request, response = exchange_realtime(
        actor=biller, payload=_270("ZX1234525"), patient_ids=[patient.pk]
    )
    assert request.status == ExchangeStatus.SENT
    assert response.status == ExchangeStatus.RECEIVED
    (answer,) = read_271(response.read_bytes())
    assert answer.active is True
    disclosure = Disclosure.objects.get(patient=patient)
    assert disclosure.recipient == "SIMULATED HEALTH PLAN (via simulated payer)"


def test_realtime_failure_through_the_simulated_payer(simulated, biller):
    request, response = exchange_realtime(
        actor=biller,
        payload=_270("ZX1234525", payer_id="SIMDOWN"),
        patient_ids=[PatientFactory().pk],
    )
    assert request.status == ExchangeStatus.FAILED
    assert response.status == ExchangeStatus.FAILED
    assert response.error == "The clearinghouse is not answering (simulated outage)."
    assert Disclosure.objects.count() == 0


def test_claims_out_and_acknowledgments_and_remittance_in(simulated, biller):
    seen: dict[str, list[int]] = {}

    def handler(exchange: Exchange) -> None:
        seen.setdefault(exchange.kind, []).append(exchange.pk)
        if exchange.kind == Kind.REMITTANCE:
            assert read_835(exchange.read_bytes())

    for kind in ("999", "277CA", "835"):
        handlers.register_handler(kind, handler)
    patients = [PatientFactory(), PatientFactory()]
    sent = exchange_send(
        actor=biller, kind=Kind.CLAIM, payload=file_837(), patient_ids=[p.pk for p in patients]
    )
    assert sent.status == ExchangeStatus.SENT
    assert Disclosure.objects.filter(reference=f"exchange:{sent.pk}").count() == 2
    received = inbox_poll(actor=biller)
    assert sorted(e.kind for e in received) == ["277CA", "835", "999"]
    assert all(e.status == ExchangeStatus.PROCESSED for e in received)
    assert sorted(seen) == ["277CA", "835", "999"]
    assert inbox_poll(actor=biller) == []
    # The same claims sent again: new acknowledgments, and an 835 with the same check number
    # (the remittance import recognises the duplicate).
    exchange_send(actor=biller, kind=Kind.CLAIM, payload=file_837(number=777))
    again = {e.kind: e for e in inbox_poll(actor=biller)}
    first_835 = Exchange.objects.filter(kind="835").order_by("pk").first()
    assert read_835(again["835"].read_bytes())[0].trace_number == (
        read_835(first_835.read_bytes())[0].trace_number
    )
