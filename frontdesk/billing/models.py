"""Charges and professional claims.

An ``Encounter`` is the charge entry of one visit (one appointment): who rendered and who bills, where,
on which date of service (the appointment's local date), the diagnoses (ICD-10-CM, stored upper-case
without the dot, in claim order, at most 12) and its ``ChargeLine`` rows (procedure, modifiers, units,
charge, diagnosis pointers), each posted once to the patient ledger.

A ``Claim`` is what is billed to one payer for an encounter (CLM01 = ``claim_id``): its lines are a
snapshot of the charge lines, its status moves through ``TRANSITIONS`` (choices) and every move is a
``ClaimStatusEvent`` (append-only). A ``ClaimBatch`` is one 837P transaction sent or exported.
``ScrubFinding`` rows are the scrubber's current findings for a claim (replaced at every scrub).
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.billing.choices import (
    BatchStatus,
    ClaimStatus,
    EncounterStatus,
    FrequencyCode,
    ResponsibilitySequence,
    Severity,
    StatusSource,
)
from frontdesk.core.models import TimeStampedModel
from frontdesk.core.money import MoneyField
from frontdesk.core.queryset import Actor, RestrictedQuerySet

MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4


class PatientScoped(RestrictedQuerySet):
    """Visible when the patient's record is visible and the row is at one of the user's locations."""

    def scope_for(self, user: Actor) -> Self:
        from frontdesk.patients.models import Patient
        from frontdesk.practice.models import Location

        return self.filter(
            patient__in=Patient.objects.scope_for(user).values("pk"),
            location__in=Location.objects.scope_for(user).values("pk"),
        )


class ClaimChildScoped(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        return self.filter(claim__in=Claim.objects.scope_for(user).values("pk"))


def _pointer_rule(prefix: str) -> Q:
    rule = Q()
    for n in range(1, MAX_POINTERS + 1):
        name = f"{prefix}{n}"
        rule &= Q(**{f"{name}__isnull": True}) | Q(
            **{f"{name}__gte": 1, f"{name}__lte": MAX_DIAGNOSES}
        )
    return rule


class Encounter(TimeStampedModel):
    """The charges of one visit, entered from its encounter form."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="billing_encounter"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    rendering_provider = models.ForeignKey(
        "practice.Provider", on_delete=models.PROTECT, related_name="+"
    )
    billing_organization = models.ForeignKey(
        "practice.Organization", on_delete=models.PROTECT, related_name="+"
    )
    place_of_service = models.CharField(max_length=2)
    service_date = models.DateField()
    # ICD-10-CM codes, upper case without the dot, in claim order (A..L): at most 12.
    diagnoses = models.JSONField(default=list)
    status = models.CharField(
        max_length=8, choices=EncounterStatus.choices, default=EncounterStatus.DRAFT
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PatientScoped.as_manager()

    class Meta:
        ordering = ["-service_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EncounterStatus.values), name="encounter_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(place_of_service__regex=r"^[0-9]{2}$"), name="encounter_pos_format"
            ),
            models.CheckConstraint(
                condition=Q(status=EncounterStatus.DRAFT) | Q(posted_at__isnull=False),
                name="encounter_posted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter {self.pk}"


class ChargeLine(models.Model):
    """One procedure charged on an encounter; ``ledger_entry`` is its charge on the patient ledger."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list)  # up to 4 two-character modifiers
    units = models.DecimalField(max_digits=7, decimal_places=3, default=1)
    charge = MoneyField()
    pointer_1 = models.PositiveSmallIntegerField()
    pointer_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_4 = models.PositiveSmallIntegerField(null=True, blank=True)
    ledger_entry = models.OneToOneField(
        "ledger.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_charge_line",
    )

    class Meta:
        ordering = ["encounter", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter", "line_number"], name="chargeline_number_unique"
            ),
            models.CheckConstraint(condition=Q(charge__gt=0), name="chargeline_charge_positive"),
            models.CheckConstraint(condition=Q(units__gt=0), name="chargeline_units_positive"),
            models.CheckConstraint(
                condition=Q(line_number__gte=1) & Q(line_number__lte=50),
                name="chargeline_number_range",
            ),
            models.CheckConstraint(
                condition=_pointer_rule("pointer_"), name="chargeline_pointer_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Charge line {self.encounter_id}/{self.line_number}"

    @property
    def diagnosis_pointers(self) -> tuple[int, ...]:
        values = (self.pointer_1, self.pointer_2, self.pointer_3, self.pointer_4)
        return tuple(p for p in values if p)


class PayerClaimSettings(TimeStampedModel):
    """Billing settings of one payer: its timely-filing window (days from the date of service)."""

    payer = models.OneToOneField(
        "practice.Payer", on_delete=models.CASCADE, related_name="claim_settings"
    )
    timely_filing_days = models.PositiveSmallIntegerField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(timely_filing_days__gte=1) & Q(timely_filing_days__lte=3650),
                name="payerclaimsettings_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"Claim settings of payer {self.payer_id}"


class ClaimBatch(TimeStampedModel):
    """One 837P transaction set (ST/SE) built from ready claims, sent or exported."""

    payer = models.ForeignKey(
        "practice.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: one batch for the clearinghouse carrying several payers (2010BB per claim)
    receiver_id = models.CharField(max_length=15)
    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.BUILT)
    interchange_control_number = models.CharField(max_length=9)
    group_control_number = models.CharField(max_length=9, db_index=True)
    transaction_control_number = models.CharField(max_length=9)
    reference = models.CharField(max_length=30, unique=True)  # BHT03
    claim_count = models.PositiveIntegerField(default=0)
    total_charge = MoneyField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # The clearinghouse Exchange that carried the file (clearinghouse.Exchange pk), when sent.
    exchange_pk = models.PositiveBigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    ack_detail = models.CharField(max_length=500, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values), name="batch_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(total_charge__gte=0), name="batch_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Claim batch {self.reference}"


class ClaimQuerySet(PatientScoped):
    pass


class Claim(TimeStampedModel):
    """A professional claim (837P CLM loop) billed to one payer for one encounter."""

    claim_id = models.CharField("patient control number", max_length=20, unique=True)  # CLM01
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    coverage = models.ForeignKey("patients.Coverage", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("practice.Payer", on_delete=models.PROTECT, related_name="+")
    responsibility = models.CharField(
        max_length=1,
        choices=ResponsibilitySequence.choices,
        default=ResponsibilitySequence.PRIMARY,
    )
    status = models.CharField(
        max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.CREATED
    )
    frequency_code = models.CharField(
        max_length=1, choices=FrequencyCode.choices, default=FrequencyCode.ORIGINAL
    )
    # For 7/8: the claim replaced or voided and the payer's number for it (REF*F8).
    original_claim = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replacements"
    )
    original_payer_claim_number = models.CharField(max_length=50, blank=True)
    # For a secondary (S/T) claim: the claim whose adjudication it carries (COB) and that data.
    primary_claim = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="secondary_claims"
    )
    prior_adjudication = models.JSONField(default=dict, blank=True)
    rendering_provider = models.ForeignKey(
        "practice.Provider", on_delete=models.PROTECT, related_name="+"
    )
    billing_organization = models.ForeignKey(
        "practice.Organization", on_delete=models.PROTECT, related_name="+"
    )
    place_of_service = models.CharField(max_length=2)
    service_date = models.DateField()
    diagnoses = models.JSONField(default=list)  # as on the encounter: no dot, upper case, <= 12
    total_charge = MoneyField()
    payer_claim_number = models.CharField(max_length=50, blank=True)  # from the 277CA / 835
    batch = models.ForeignKey(
        ClaimBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-service_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency_code__in=FrequencyCode.values), name="claim_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(responsibility__in=ResponsibilitySequence.values),
                name="claim_responsibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(total_charge__gte=0), name="claim_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(frequency_code=FrequencyCode.ORIGINAL)
                | Q(original_claim__isnull=False),
                name="claim_replacement_has_original",
            ),
            models.CheckConstraint(
                condition=Q(place_of_service__regex=r"^[0-9]{2}$"), name="claim_pos_format"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "payer"]),
            models.Index(fields=["patient", "service_date"]),
        ]

    def __str__(self) -> str:
        return f"Claim {self.claim_id}"


class ClaimLine(models.Model):
    """One service line of a claim (2400 loop), a snapshot of its charge line."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    line_control_number = models.CharField(max_length=30, unique=True)  # REF*6R
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list)
    units = models.DecimalField(max_digits=7, decimal_places=3, default=1)
    charge = MoneyField()
    service_date = models.DateField()
    pointer_1 = models.PositiveSmallIntegerField()
    pointer_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    pointer_4 = models.PositiveSmallIntegerField(null=True, blank=True)
    charge_line = models.ForeignKey(
        ChargeLine, on_delete=models.PROTECT, null=True, blank=True, related_name="claim_lines"
    )
    ledger_entry = models.ForeignKey(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ClaimChildScoped.as_manager()

    class Meta:
        ordering = ["claim", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "line_number"], name="claimline_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(charge__gte=0), name="claimline_charge_not_negative"
            ),
            models.CheckConstraint(condition=Q(units__gt=0), name="claimline_units_positive"),
            models.CheckConstraint(
                condition=Q(line_number__gte=1) & Q(line_number__lte=50),
                name="claimline_number_range",
            ),
            models.CheckConstraint(
                condition=_pointer_rule("pointer_"), name="claimline_pointer_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Claim line {self.line_control_number}"

    @property
    def diagnosis_pointers(self) -> tuple[int, ...]:
        values = (self.pointer_1, self.pointer_2, self.pointer_3, self.pointer_4)
        return tuple(p for p in values if p)

    # The charge ledger entry under the contract's name.
    @property
    def charge_entry(self):  # type: ignore[no-untyped-def]
        return self.ledger_entry


class ClaimStatusEvent(models.Model):
    """One move of a claim's status, with where it came from. Append-only."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    previous_status = models.CharField(max_length=16, choices=ClaimStatus.choices, blank=True)
    at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=StatusSource.choices)
    detail = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ClaimChildScoped.as_manager()

    class Meta:
        ordering = ["claim", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claimevent_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=StatusSource.values), name="claimevent_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} -> {self.status}"


class ScrubFinding(models.Model):
    """One current finding of the scrubber on a claim: what field, what is wrong, how to fix it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    code = models.CharField(max_length=40)
    field = models.CharField(max_length=80)
    message = models.CharField(max_length=300)
    fix = models.CharField(max_length=300)
    created_at = models.DateTimeField()

    objects = ClaimChildScoped.as_manager()

    class Meta:
        ordering = ["claim", "severity", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="scrubfinding_severity_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.code} on {self.claim_id}"
