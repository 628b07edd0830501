"""Electronic remittance advice (835) as received, what it matched, and the denial worklist.

A ``Remittance`` is one 835 transaction (one payment: a check or an EFT) as the payer sent it. The
same payment posts once: (payer identifier, trace number) is unique, so a second import of the file,
or a clearinghouse that delivers it twice, finds the first and posts nothing. Each CLP loop is a
``ClaimRemittance`` matched to our ``billing.Claim`` by CLP01 (the patient control number we sent in
CLM01), or kept unmatched (never posted to a patient). Each SVC loop is a ``ServiceRemittance``
matched to a claim line. ``RemittanceAdjustment`` rows are the CAS amounts, with what FrontDesk did
with each (written off, moved to the patient, left open for a secondary payer, denied).
``RemittancePosting`` links every ledger entry an import wrote, so the detail screen shows what was
posted where, and a reversal (CLP02 = 22) knows what to reverse. ``ProviderLevelAdjustment`` (PLB)
is practice-level money: recorded here, never posted to a patient account. ``Denial`` rows are the
worklist a billing specialist works (appeal, correct, write off, bill the patient, resolve), with
``DenialNote`` history.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.remittance.choices import (
    AdjustmentGroup,
    AdjustmentLevel,
    ClaimMatch,
    DenialStatus,
    LineMatch,
    PostingRole,
    RemittanceStatus,
    Treatment,
)


class RemittanceQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # Visible when one of its claims is: a remittance paying only a confidential patient's claim
        # stays hidden from roles that may not see that patient.
        return self.filter(pk__in=ClaimRemittance.objects.scope_for(user).values("remittance_id"))


class Remittance(models.Model):
    """One 835 transaction: a payer's payment (check or EFT) and the claims it pays."""

    payer = models.ForeignKey(
        "practice.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payer_name = models.CharField(max_length=120)
    payer_identifier = models.CharField(max_length=80)  # as sent (N1*PR REF*2U / TRN03)
    trace_number = models.CharField(max_length=80)  # TRN02: the check or EFT trace number
    trace_originator = models.CharField(max_length=20, blank=True)  # TRN03
    control_number = models.CharField(max_length=9, blank=True)  # ST02
    payment_method = models.CharField(max_length=3, blank=True)  # BPR04: CHK, ACH, NON, ...
    credit_debit = models.CharField(max_length=1, blank=True)
    total_paid = MoneyField()
    payment_date = models.DateField()
    payee_name = models.CharField(max_length=120, blank=True)
    payee_npi = models.CharField(max_length=10, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64)
    # The clearinghouse Exchange the file arrived in (by id: the clearinghouse knows nothing of us).
    exchange_pk = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RemittanceStatus.choices)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    claim_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)

    objects = RemittanceQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer_identifier", "trace_number"], name="remittance_posts_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RemittanceStatus.values), name="remittance_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"835 {self.payer_identifier} {self.trace_number}"


class ClaimRemittanceQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.patients.models import Patient

        # Unmatched claims name no patient of ours: visible to whoever may see remittances.
        return self.filter(
            Q(claim__isnull=True)
            | Q(claim__patient__in=Patient.objects.scope_for(user).values("pk"))
        )


class ClaimRemittance(models.Model):
    """One CLP loop: a payer's decision on one claim."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(
        "billing.Claim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remittances",
    )
    patient_control_number = models.CharField(max_length=38)  # CLP01
    status_code = models.CharField(max_length=2)  # CLP02
    status_meaning = models.CharField(max_length=120)
    total_charge = MoneyField()
    paid = MoneyField()
    patient_responsibility = MoneyField(null=True, blank=True)
    filing_indicator = models.CharField(max_length=2, blank=True)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    frequency_code = models.CharField(max_length=1, blank=True)
    match = models.CharField(max_length=10, choices=ClaimMatch.choices)
    # A CLP02 = 22 reversal points at the earlier posting it took back.
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    message = models.CharField(max_length=300, blank=True)  # why unmatched / not posted

    objects = ClaimRemittanceQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(match__in=ClaimMatch.values), name="claim_remittance_match_valid"
            ),
            models.CheckConstraint(
                condition=Q(match=ClaimMatch.UNMATCHED) | Q(claim__isnull=False),
                name="claim_remittance_matched_has_claim",
            ),
        ]
        indexes = [models.Index(fields=["claim", "match"])]

    def __str__(self) -> str:
        return f"CLP {self.patient_control_number} {self.status_code}"


class ServiceRemittance(models.Model):
    """One SVC loop: the payer's decision on one service line."""

    claim_remittance = models.ForeignKey(
        ClaimRemittance, on_delete=models.PROTECT, related_name="lines"
    )
    claim_line = models.ForeignKey(
        "billing.ClaimLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remittances",
    )
    procedure_code = models.CharField(max_length=48)
    modifiers = models.CharField(max_length=20, blank=True)  # space-separated
    submitted_procedure_code = models.CharField(max_length=48, blank=True)  # SVC06
    charge = MoneyField()
    paid = MoneyField()
    allowed = MoneyField(null=True, blank=True)
    units = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    service_date = models.DateField(null=True, blank=True)
    line_control_number = models.CharField(max_length=50, blank=True)  # REF*6R
    matched_by = models.CharField(max_length=20, choices=LineMatch.choices)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"SVC {self.procedure_code} {self.paid}"


class RemittanceAdjustment(models.Model):
    """One CAS amount (group, reason, amount) at claim or line level, and what FrontDesk did with it."""

    claim_remittance = models.ForeignKey(
        ClaimRemittance, on_delete=models.PROTECT, related_name="adjustments"
    )
    service = models.ForeignKey(
        ServiceRemittance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
    )
    level = models.CharField(max_length=5, choices=AdjustmentLevel.choices)
    group = models.CharField(max_length=2, choices=AdjustmentGroup.choices)
    reason = models.CharField(max_length=5)  # CARC
    amount = MoneyField()
    quantity = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    meaning = models.CharField(max_length=300)
    treatment = models.CharField(max_length=12, choices=Treatment.choices)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} {self.amount}"


class RemittanceRemark(models.Model):
    """A remark code (RARC, MOA/LQ) at claim or line level, with its meaning."""

    claim_remittance = models.ForeignKey(
        ClaimRemittance, on_delete=models.PROTECT, related_name="remarks"
    )
    service = models.ForeignKey(
        ServiceRemittance, on_delete=models.PROTECT, null=True, blank=True, related_name="remarks"
    )
    code = models.CharField(max_length=10)
    meaning = models.CharField(max_length=300)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.code


class RemittancePosting(models.Model):
    """A ledger entry an import (or a denial action) wrote: what was posted where."""

    claim_remittance = models.ForeignKey(
        ClaimRemittance, on_delete=models.PROTECT, related_name="postings"
    )
    service = models.ForeignKey(
        ServiceRemittance, on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    entry = models.ForeignKey("ledger.LedgerEntry", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=PostingRole.choices)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.role} {self.entry_id}"


class ProviderLevelAdjustment(models.Model):
    """A PLB amount: practice-level money (interest, recoupment, forwarding balance), not a patient's.

    Positive amounts reduce the payment (the payer withheld them), negative amounts add to it.
    """

    remittance = models.ForeignKey(
        Remittance, on_delete=models.PROTECT, related_name="provider_adjustments"
    )
    provider_identifier = models.CharField(max_length=50)
    fiscal_period_end = models.DateField()
    reason = models.CharField(max_length=2)
    reference = models.CharField(max_length=50, blank=True)
    amount = MoneyField()
    meaning = models.CharField(max_length=200)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"PLB {self.reason} {self.amount}"


class DenialQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        from frontdesk.patients.models import Patient

        return self.filter(claim__patient__in=Patient.objects.scope_for(user).values("pk"))


class Denial(TimeStampedModel):
    """A denied claim or line on the worklist, until someone appeals, corrects, writes off or bills it."""

    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, related_name="denials")
    claim_line = models.ForeignKey(
        "billing.ClaimLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim_remittance = models.ForeignKey(
        ClaimRemittance, on_delete=models.PROTECT, related_name="denials"
    )
    service = models.ForeignKey(
        ServiceRemittance, on_delete=models.PROTECT, null=True, blank=True, related_name="denials"
    )
    carc_codes = models.CharField(max_length=100)  # "CO-50 CO-16"
    rarc_codes = models.CharField(max_length=100, blank=True)
    meaning = models.TextField()  # the codes in plain words
    amount = MoneyField()  # what the denial leaves open in the insurance bucket
    status = models.CharField(max_length=20, choices=DenialStatus.choices, default="open")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = DenialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DenialStatus.values), name="denial_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Denial {self.pk} {self.carc_codes}"


class DenialNote(models.Model):
    """One step in a denial's history: an action (assign, appeal, write off, ...) and its note."""

    denial = models.ForeignKey(Denial, on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    note = models.CharField(max_length=500, blank=True)
    entry = models.ForeignKey(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"
