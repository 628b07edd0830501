"""No-show and late-cancellation fees: off by default, once per appointment, reversed on undo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.chartprep import noshow_services
from frontdesk.ledger.choices import ChargeCode, EntryKind
from frontdesk.ledger.models import LedgerEntry
from frontdesk.scheduling.choices import AppointmentStatus, CancellationReason, CancelledBy
from tests.factories import AppointmentFactory

D = Decimal


@pytest.fixture
def missed(location: Any) -> Any:
    starts = (timezone.now() - dt.timedelta(minutes=40)).replace(second=0, microsecond=0)
    return AppointmentFactory(location=location, starts_at=starts)


def _fees(code: str = ChargeCode.NO_SHOW_FEE) -> list[tuple[Any, ...]]:
    return list(
        LedgerEntry.objects.filter(code=code)
        .order_by("pk")
        .values_list("kind", "amount", "appointment_id", "reverses_id")
    )


def test_no_fee_without_a_policy(missed: Any, settings: Any) -> None:
    settings.FRONTDESK_NOSHOW_FEE = ""
    assert noshow_services.noshows_mark_due() == 1
    assert LedgerEntry.objects.count() == 0


def test_a_noshow_fee_is_posted_once_and_reversed_when_undone(
    missed: Any, settings: Any, make_user: Any, location: Any
) -> None:
    settings.FRONTDESK_NOSHOW_FEE = "25.00"
    assert noshow_services.noshows_mark_due() == 1
    missed.refresh_from_db()
    assert missed.status == AppointmentStatus.NOSHOW
    assert _fees() == [(EntryKind.CHARGE, D("25.00"), missed.pk, None)]
    fee = LedgerEntry.objects.get()
    assert fee.account.holder == missed.patient
    assert fee.service_date == missed.starts_at.astimezone(location.tzinfo).date()
    # The hook is idempotent: a second call for the same appointment posts nothing.
    from frontdesk.statements import fees

    fees.noshow_marked(actor=noshow_services.noshow_system_user(), appointment=missed)
    assert len(_fees()) == 1
    desk = make_user(Role.FRONT_DESK, location)
    noshow_services.appointment_undo_no_show(actor=desk, appointment=missed)
    assert _fees() == [
        (EntryKind.CHARGE, D("25.00"), missed.pk, None),
        (EntryKind.CHARGE, D("-25.00"), missed.pk, fee.pk),
    ]
    assert LedgerEntry.objects.get(reverses=fee).reason == "No-show undone: the patient arrived"


def test_a_late_cancel_fee_follows_the_late_cancel_policy(location: Any, settings: Any) -> None:
    settings.FRONTDESK_LATE_CANCEL_FEE = "15"
    starts = timezone.now() + dt.timedelta(hours=3)
    late = AppointmentFactory(
        location=location,
        starts_at=starts,
        status=AppointmentStatus.CANCELLED,
        cancelled_by=CancelledBy.PATIENT,
        is_late_cancel=True,
        cancellation_reason=CancellationReason.PATIENT_REQUEST,
    )
    AppointmentFactory(
        location=location,
        starts_at=starts + dt.timedelta(hours=1),
        status=AppointmentStatus.CANCELLED,
        cancelled_by=CancelledBy.PATIENT,
        is_late_cancel=False,
        cancellation_reason=CancellationReason.PATIENT_REQUEST,
    )
    assert noshow_services.late_cancels_track() == 1
    assert noshow_services.late_cancels_track() == 0
    assert _fees(ChargeCode.LATE_CANCEL_FEE) == [(EntryKind.CHARGE, D("15.00"), late.pk, None)]


def test_a_malformed_fee_setting_posts_nothing(missed: Any, settings: Any) -> None:
    settings.FRONTDESK_NOSHOW_FEE = "twenty"
    assert noshow_services.noshows_mark_due() == 1
    assert LedgerEntry.objects.count() == 0
