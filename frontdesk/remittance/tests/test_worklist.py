# mypy: disable-error-code="arg-type, attr-defined, misc, union-attr"
"""The denial worklist: assign, appeal, corrected, write off, bill to patient, resolve — audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.remittance import services
from frontdesk.remittance.choices import DenialStatus
from frontdesk.remittance.errors import DenialClosed
from frontdesk.remittance.models import Denial
from frontdesk.remittance.selectors import denial_list
from frontdesk.remittance.tests.helpers import (
    World,
    adj,
    balances,
    claim_payment,
    era,
    make_claim,
    service,
)
from tests.factories import LocationFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


def denied(world: World) -> Denial:
    claim = make_claim(world, [("99213", [], "150.00")])
    (line,) = claim.lines.all()
    payment = claim_payment(
        claim, [service(line, "0.00", adj("CO", "50", "150.00"), remarks=["N115"])], status="4"
    )
    services.era_import(actor=world.biller, data=era(world, [payment]), filename="d.835")
    return Denial.objects.get(claim=claim)


def test_write_off_posts_an_adjustment_and_closes_the_denial() -> None:
    world = World()
    denial = denied(world)
    events = AuditEvent.objects.count()
    services.denial_write_off(actor=world.biller, denial=denial, reason="Not worth appealing")
    denial.refresh_from_db()
    assert denial.status == DenialStatus.WRITTEN_OFF
    assert balances(denial.claim.patient) == (Decimal("0.00"), Decimal("0.00"))
    note = denial.notes.get()
    assert (note.action, note.entry.amount) == ("written_off", Decimal("-150.00"))
    assert AuditEvent.objects.count() > events
    with pytest.raises(DenialClosed):
        services.denial_appeal(actor=world.biller, denial=denial, note="too late")


def test_bill_to_patient_moves_the_amount_to_the_patient() -> None:
    world = World()
    denial = denied(world)
    services.denial_bill_patient(actor=world.biller, denial=denial, reason="Non-covered service")
    denial.refresh_from_db()
    assert denial.status == DenialStatus.BILLED_TO_PATIENT
    assert balances(denial.claim.patient) == (Decimal("0.00"), Decimal("150.00"))


def test_appeal_corrected_resolve_and_history() -> None:
    world = World()
    denial = denied(world)
    with pytest.raises(ValidationFailed):
        services.denial_appeal(actor=world.biller, denial=denial, note="")
    services.denial_appeal(actor=world.biller, denial=denial, note="Appeal faxed with notes")
    services.denial_corrected(actor=world.biller, denial=denial, note="Corrected claim sent")
    services.denial_resolve(actor=world.biller, denial=denial, note="Paid on appeal")
    denial.refresh_from_db()
    assert denial.status == DenialStatus.RESOLVED
    assert [n.action for n in denial.notes.order_by("pk")] == ["appealed", "corrected", "resolved"]
    # Nothing moved on the ledger.
    assert balances(denial.claim.patient) == (Decimal("150.00"), Decimal("0.00"))


def test_assign_and_filters() -> None:
    world = World()
    denial = denied(world)
    other = assign(UserFactory(role=Role.BILLING), world.location)
    services.denial_assign(actor=world.biller, denial=denial, assignee=other)
    denial.refresh_from_db()
    assert denial.assigned_to == other
    assert denial_list(user=other, assigned="me") == [denial]
    assert denial_list(user=world.biller, assigned="me") == []
    assert denial_list(user=world.biller, carc="CO-50") == [denial]
    assert denial_list(user=world.biller, carc="CO-97") == []
    with pytest.raises(ValidationFailed):
        services.denial_assign(actor=world.biller, denial=denial, assignee=world.front_desk)


def test_denials_are_out_of_reach_for_other_roles_and_locations() -> None:
    world = World()
    denial = denied(world)
    with pytest.raises(PermissionDenied):
        services.denial_write_off(actor=world.front_desk, denial=denial, reason="x")
    elsewhere = assign(UserFactory(role=Role.BILLING), LocationFactory())
    assert isinstance(denial_list(user=elsewhere), list)
    if denial not in denial_list(user=elsewhere):
        with pytest.raises(NotFound):
            services.denial_write_off(actor=elsewhere, denial=denial, reason="x")
    assert Denial.objects.get(pk=denial.pk).status == DenialStatus.OPEN
