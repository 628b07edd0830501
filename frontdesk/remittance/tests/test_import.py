# mypy: disable-error-code="arg-type, attr-defined, misc, union-attr"
"""era_import: posting exact cents, once; unknown claims; bad files; matching; reversals; PLB."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontdesk.billing.models import ClaimStatusEvent
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.ledger.models import Allocation, LedgerEntry
from frontdesk.remittance.choices import ClaimMatch, LineMatch, RemittanceStatus, Treatment
from frontdesk.remittance.errors import RemittanceFileInvalid, UnknownClaims
from frontdesk.remittance.models import (
    ClaimRemittance,
    Denial,
    ProviderLevelAdjustment,
    Remittance,
    RemittanceAdjustment,
    ServiceRemittance,
)
from frontdesk.remittance.services import era_import
from frontdesk.remittance.tests.helpers import (
    World,
    adj,
    balances,
    claim_payment,
    era,
    make_claim,
    service,
)
from frontdesk.standards.x12.remittance import ProviderAdjustment

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Remittance.objects.count(),
        ClaimRemittance.objects.count(),
        LedgerEntry.objects.count(),
        Allocation.objects.count(),
        Denial.objects.count(),
        ClaimStatusEvent.objects.count(),
    )


def _paid_claim(world: World):  # type: ignore[no-untyped-def]
    claim = make_claim(world, [("99213", ["25"], "150.00"), ("85025", [], "80.00")])
    first, second = claim.lines.order_by("line_number")
    payment = claim_payment(
        claim,
        [
            service(first, "90.00", adj("CO", "45", "40.00"), adj("PR", "2", "20.00")),
            service(second, "50.00", adj("CO", "45", "10.00"), adj("PR", "1", "20.00")),
        ],
    )
    return claim, payment


def test_a_fully_adjudicated_claim_posts_exact_cents() -> None:
    world = World()
    claim, payment = _paid_claim(world)

    result = era_import(actor=world.biller, data=era(world, [payment]), filename="a.835")

    assert (result.claims_posted, result.claims_denied, result.unmatched) == (1, 0, [])
    insurance, patient = balances(claim.patient)
    assert insurance == Decimal("0.00")
    assert patient == Decimal("40.00")
    entries = LedgerEntry.objects.filter(account__holder=claim.patient).exclude(kind="charge")
    assert sorted((e.kind, e.code, e.bucket, e.amount) for e in entries) == sorted(
        [
            ("payment", "insurance", "insurance", Decimal("-90.00")),
            ("payment", "insurance", "insurance", Decimal("-50.00")),
            ("adjustment", "contractual", "insurance", Decimal("-40.00")),
            ("adjustment", "contractual", "insurance", Decimal("-10.00")),
            ("transfer", "to_patient", "insurance", Decimal("-20.00")),
            ("transfer", "to_patient", "patient", Decimal("20.00")),
            ("transfer", "to_patient", "insurance", Decimal("-20.00")),
            ("transfer", "to_patient", "patient", Decimal("20.00")),
        ]
    )
    # Every credit is applied to its line's charge: nothing open in the insurance bucket.
    charges = [line.ledger_entry for line in claim.lines.all()]
    for charge in charges:
        applied = sum(a.amount for a in Allocation.objects.filter(debit=charge))
        assert applied == charge.amount
    claim.refresh_from_db()
    assert claim.status == "paid"
    event = ClaimStatusEvent.objects.get(claim=claim)
    assert (event.status, event.source) == ("paid", "835")
    remittance = result.posted[0]
    assert remittance.status == RemittanceStatus.POSTED
    assert remittance.total_paid == Decimal("140.00")
    treatments = sorted(RemittanceAdjustment.objects.values_list("group", "treatment"))
    assert treatments == [
        ("CO", Treatment.WRITTEN_OFF),
        ("CO", Treatment.WRITTEN_OFF),
        ("PR", Treatment.TO_PATIENT),
        ("PR", Treatment.TO_PATIENT),
    ]


def test_the_same_835_twice_posts_once_and_says_so() -> None:
    world = World()
    _claim, payment = _paid_claim(world)
    data = era(world, [payment])
    era_import(actor=world.biller, data=data, filename="a.835")
    before = _counts()

    again = era_import(actor=world.biller, data=data, filename="a-again.835")

    assert _counts() == before
    assert again.posted == [] and len(again.already_posted) == 1
    assert "already posted on" in again.messages[0]
    assert world.biller.get_username() in again.messages[0] or "Staffer" in again.messages[0]


def test_same_payer_and_trace_in_another_file_posts_once() -> None:
    world = World()
    _claim, payment = _paid_claim(world)
    era_import(actor=world.biller, data=era(world, [payment]), filename="a.835")
    before = _counts()
    # Same payment, re-sent in a new interchange (other control numbers, other bytes).
    result = era_import(actor=world.biller, data=era(world, [payment]), filename="b.835")
    assert _counts() == before
    assert len(result.already_posted) == 1


def test_an_835_for_unknown_claims_names_them_and_posts_nothing() -> None:
    world = World()
    claim, payment = _paid_claim(world)
    unknown = [
        claim_payment(claim, payment.service_lines, claim_id="NOPE0001"),
        claim_payment(claim, payment.service_lines, claim_id="NOPE0002"),
    ]
    before = _counts()
    with pytest.raises(UnknownClaims) as caught:
        era_import(actor=world.biller, data=era(world, unknown), filename="x.835")
    assert "NOPE0001" in caught.value.message and "NOPE0002" in caught.value.message
    assert _counts() == before


def test_unknown_claims_next_to_known_ones_are_kept_unmatched_never_posted() -> None:
    world = World()
    claim, payment = _paid_claim(world)
    stray = claim_payment(claim, payment.service_lines, claim_id="NOPE0003")
    result = era_import(actor=world.biller, data=era(world, [payment, stray]), filename="x.835")
    assert result.unmatched == ["NOPE0003"]
    assert any("NOPE0003" in m for m in result.messages)
    row = ClaimRemittance.objects.get(patient_control_number="NOPE0003")
    assert (row.match, row.claim_id, row.postings.count()) == (ClaimMatch.UNMATCHED, None, 0)
    assert result.posted[0].status == RemittanceStatus.PARTIAL
    # The known claim posted exactly as alone.
    assert balances(claim.patient) == (Decimal("0.00"), Decimal("40.00"))


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_file_is_refused_and_nothing_is_written(cut: float) -> None:
    world = World()
    _claim, payment = _paid_claim(world)
    data = era(world, [payment])
    before = _counts()
    with pytest.raises(RemittanceFileInvalid) as caught:
        era_import(actor=world.biller, data=data[: int(len(data) * cut)], filename="cut.835")
    assert "Nothing was posted" in caught.value.message
    assert _counts() == before


def test_an_empty_file_is_refused() -> None:
    world = World()
    with pytest.raises(RemittanceFileInvalid):
        era_import(actor=world.biller, data=b"  ", filename="empty.835")


def test_a_role_without_remittance_posting_is_refused() -> None:
    world = World()
    _claim, payment = _paid_claim(world)
    before = _counts()
    with pytest.raises(PermissionDenied):
        era_import(actor=world.front_desk, data=era(world, [payment]), filename="a.835")
    assert _counts() == before


def test_a_claim_an_835_cannot_move_is_refused_before_anything_is_written() -> None:
    world = World()
    claim, payment = _paid_claim(world)
    claim.status = "void"
    claim.save(update_fields=["status"])
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        era_import(actor=world.biller, data=era(world, [payment]), filename="v.835")
    assert claim.claim_id in str(caught.value.fields)
    assert _counts() == before


def test_a_failure_while_posting_rolls_everything_back(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World()
    _claim, payment = _paid_claim(world)
    other = make_claim(world, [("99214", [], "200.00")])
    (line,) = other.lines.all()
    second = claim_payment(other, [service(line, "150.00", adj("CO", "45", "50.00"))])
    from frontdesk.remittance import services

    def failing(**kwargs):  # type: ignore[no-untyped-def]
        # Called after the ledger entries, allocations and denials are written.
        assert LedgerEntry.objects.filter(kind="payment").exists()
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_status_set", failing)
    before = _counts()
    with pytest.raises(RuntimeError):
        era_import(actor=world.biller, data=era(world, [payment, second]), filename="a.835")
    assert _counts() == before


def test_lines_match_when_the_payer_drops_a_modifier_or_the_control_number() -> None:
    world = World()
    claim = make_claim(world, [("99213", ["25"], "150.00"), ("99213", ["59", "XS"], "150.00")])
    first, second = claim.lines.order_by("line_number")
    payment = claim_payment(
        claim,
        [
            # No REF*6R, modifier 25 dropped.
            service(first, "100.00", adj("CO", "45", "50.00"), control=False, modifiers=()),
            # No REF*6R, XS dropped; paid under another code, the billed one in SVC06.
            service(
                second,
                "120.00",
                adj("CO", "45", "30.00"),
                control=False,
                modifiers=("59",),
                code="99212",
                submitted_code="99213",
            ),
        ],
    )
    era_import(actor=world.biller, data=era(world, [payment]), filename="m.835")
    rows = list(ServiceRemittance.objects.order_by("pk"))
    assert [(r.claim_line_id, r.matched_by) for r in rows] == [
        (first.pk, LineMatch.MODIFIER_DROPPED),
        (second.pk, LineMatch.SUBMITTED_CODE),
    ]
    assert balances(claim.patient) == (Decimal("0.00"), Decimal("0.00"))


def test_a_denied_line_goes_to_the_worklist_and_stays_open() -> None:
    world = World()
    claim = make_claim(world, [("99213", [], "150.00"), ("97110", [], "60.00")])
    first, second = claim.lines.order_by("line_number")
    payment = claim_payment(
        claim,
        [
            service(first, "100.00", adj("CO", "45", "30.00"), adj("PR", "3", "20.00")),
            service(second, "0.00", adj("CO", "50", "60.00"), remarks=["N115"]),
        ],
    )
    result = era_import(actor=world.biller, data=era(world, [payment]), filename="d.835")
    assert result.claims_posted == 1
    denial = Denial.objects.get()
    assert (denial.claim_line_id, denial.amount, denial.carc_codes) == (
        second.pk,
        Decimal("60.00"),
        "CO-50",
    )
    assert "N115" in denial.rarc_codes
    assert "50" in denial.meaning and denial.meaning.strip()
    assert balances(claim.patient) == (Decimal("60.00"), Decimal("20.00"))
    claim.refresh_from_db()
    assert claim.status == "partially_paid"


def test_a_denied_claim_clp02_4() -> None:
    world = World()
    claim = make_claim(world, [("99213", [], "150.00")])
    (line,) = claim.lines.all()
    payment = claim_payment(
        claim,
        [service(line, "0.00", adj("CO", "29", "150.00"))],
        status="4",
    )
    result = era_import(actor=world.biller, data=era(world, [payment]), filename="d.835")
    assert result.claims_denied == 1
    assert Denial.objects.get().amount == Decimal("150.00")
    claim.refresh_from_db()
    assert claim.status == "denied"
    assert balances(claim.patient) == (Decimal("150.00"), Decimal("0.00"))


def test_a_reversal_takes_back_the_earlier_posting() -> None:
    world = World()
    claim, payment = _paid_claim(world)
    era_import(actor=world.biller, data=era(world, [payment]), filename="a.835")
    first, second = claim.lines.order_by("line_number")
    reversal = claim_payment(
        claim,
        [
            service(first, "-90.00", adj("CO", "45", "-40.00"), adj("PR", "2", "-20.00"), sign=-1),
            service(second, "-50.00", adj("CO", "45", "-10.00"), adj("PR", "1", "-20.00"), sign=-1),
        ],
        status="22",
        sign=-1,
    )
    corrected = claim_payment(
        claim,
        [
            service(first, "100.00", adj("CO", "45", "30.00"), adj("PR", "2", "20.00")),
            service(second, "50.00", adj("CO", "45", "10.00"), adj("PR", "1", "20.00")),
        ],
    )
    result = era_import(
        actor=world.biller,
        data=era(world, [reversal, corrected], trace="TRACE0002"),
        filename="r.835",
    )
    assert result.claims_reversed == 1
    row = ClaimRemittance.objects.get(status_code="22")
    assert row.match == ClaimMatch.REVERSED and row.reverses is not None
    assert row.postings.filter(role="reversal").count() == 8
    # The original payments are reversed, the corrected payment applied: insurance 0, patient 40.
    assert balances(claim.patient) == (Decimal("0.00"), Decimal("40.00"))
    payments = LedgerEntry.objects.filter(account__holder=claim.patient, kind="payment")
    assert sum(p.amount for p in payments) == Decimal("-150.00")


def test_provider_level_adjustments_are_recorded_not_posted_to_a_patient() -> None:
    world = World()
    _claim, payment = _paid_claim(world)
    plbs = [
        ProviderAdjustment(
            provider_id=world.organization.npi,
            fiscal_period_end=payment.service_lines[0].service_date.replace(month=12, day=31),
            reason="WO",
            reference="ICN555",
            amount=Decimal("15.00"),
        ),
        ProviderAdjustment(
            provider_id=world.organization.npi,
            fiscal_period_end=payment.service_lines[0].service_date.replace(month=12, day=31),
            reason="L6",
            reference="INT",
            amount=Decimal("-1.25"),
        ),
    ]
    entries_before = LedgerEntry.objects.count()
    result = era_import(actor=world.biller, data=era(world, [payment], plbs=plbs), filename="p.835")
    rows = list(ProviderLevelAdjustment.objects.order_by("pk"))
    assert [(r.reason, r.amount) for r in rows] == [
        ("WO", Decimal("15.00")),
        ("L6", Decimal("-1.25")),
    ]
    assert rows[0].meaning == "Overpayment recovery"
    assert result.posted[0].total_paid == Decimal("126.25")
    # Only the claim's own entries (8) were posted.
    assert LedgerEntry.objects.count() - entries_before == 8


def test_a_patient_with_secondary_coverage_keeps_pr_open_for_the_secondary() -> None:
    world = World()
    claim = make_claim(world, [("99213", [], "150.00")], secondary=True)
    (line,) = claim.lines.all()
    payment = claim_payment(
        claim, [service(line, "100.00", adj("CO", "45", "30.00"), adj("PR", "2", "20.00"))]
    )
    result = era_import(actor=world.biller, data=era(world, [payment]), filename="s.835")
    assert balances(claim.patient) == (Decimal("20.00"), Decimal("0.00"))
    treatment = RemittanceAdjustment.objects.get(group="PR").treatment
    assert treatment == Treatment.LEFT_OPEN
    assert result.claims_posted == 1


def test_a_line_paid_nothing_because_of_the_deductible_is_not_a_denial() -> None:
    world = World()
    claim = make_claim(world, [("99213", [], "150.00")])
    (line,) = claim.lines.all()
    payment = claim_payment(
        claim, [service(line, "0.00", adj("CO", "45", "40.00"), adj("PR", "1", "110.00"))]
    )

    result = era_import(actor=world.biller, data=era(world, [payment]), filename="ded.835")

    assert (result.claims_posted, result.claims_denied) == (1, 0)
    assert Denial.objects.count() == 0
    assert balances(claim.patient) == (Decimal("0.00"), Decimal("110.00"))
    claim.refresh_from_db()
    assert claim.status == "paid"


def test_a_refusal_next_to_the_contractual_reduction_is_a_denial() -> None:
    world = World()
    claim = make_claim(world, [("99213", [], "150.00")])
    (line,) = claim.lines.all()
    payment = claim_payment(
        claim, [service(line, "0.00", adj("CO", "45", "40.00"), adj("CO", "96", "110.00"))]
    )

    result = era_import(actor=world.biller, data=era(world, [payment]), filename="nc.835")

    assert (result.claims_posted, result.claims_denied) == (0, 1)
    assert Denial.objects.get().carc_codes == "CO-45 CO-96"
