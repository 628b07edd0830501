"""A drawer is not counted while a card payment in it waits for the processor: counting first asks
the processor, and a payment it still cannot settle holds the close."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from frontdesk.core.errors import Conflict
from frontdesk.payments import drawer_services as ds
from frontdesk.payments.choices import DrawerStatus, PaymentStatus
from frontdesk.payments.processor import ProcessorTimeout, TestProcessor
from frontdesk.payments.services import payment_take
from frontdesk.payments.tests.pay_fixtures import *  # noqa: F403 (fixtures)
from frontdesk.payments.tests.pay_fixtures import card, key

D = Decimal
pytestmark = pytest.mark.django_db

FLOAT = {"20.00": 5, "1.00": 50}  # the factory drawer's $150 float


def test_a_timed_out_card_is_settled_before_the_count(
    clerk: Any, location: Any, patient: Any, drawer: Any
) -> None:
    pending = payment_take(
        actor=clerk,
        location=location,
        patient=patient,
        tenders=[card("30.00", token="tok_timeout")],
        idempotency_key=key(),
    )
    assert pending.status == PaymentStatus.PENDING
    closed = ds.drawer_count_close(
        actor=clerk, drawer=drawer, cash_counts=FLOAT, checks=[], card_batch_total="30.00"
    )
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.COMPLETED  # the processor had approved it
    assert (closed.status, closed.variance) == (DrawerStatus.CLOSED, D("0.00"))
    assert closed.expected["card"] == "30.00"


def test_a_card_still_unanswered_holds_the_close(
    clerk: Any, location: Any, patient: Any, drawer: Any, monkeypatch: Any
) -> None:
    pending = payment_take(
        actor=clerk,
        location=location,
        patient=patient,
        tenders=[card("30.00", token="tok_timeout")],
        idempotency_key=key(),
    )

    def still_down(self: Any, reference: str) -> Any:
        raise ProcessorTimeout("no answer")

    monkeypatch.setattr(TestProcessor, "lookup", still_down)
    with pytest.raises(Conflict) as caught:
        ds.drawer_count_close(
            actor=clerk, drawer=drawer, cash_counts=FLOAT, checks=[], card_batch_total="30.00"
        )
    assert caught.value.code == "drawer_pending_payments"
    drawer.refresh_from_db()
    pending.refresh_from_db()
    assert (drawer.status, pending.status) == (DrawerStatus.OPEN, PaymentStatus.PENDING)
