"""Patients, their phones, insurance coverages, per-visit verifications and merges.

Fields line up with FHIR R4 US Core Patient and Coverage; codes are stored as the standard's values.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models

from frontdesk.core.fields import EncryptedTextField
from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.patients.choices import (
    CoveragePriority,
    CoverageStatus,
    GenderIdentity,
    GuarantorKind,
    PhoneType,
    SexAtBirth,
    SubscriberRelationship,
)
from frontdesk.practice.models import Address, Payer, Plan


class PatientQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # Confidential records (staff members, VIPs) are hidden unless the role may see them or a
        # break-glass grant is in force (then every access is flagged in the audit log).
        if user.can("patient.view_restricted"):
            return self
        from django.utils import timezone

        from frontdesk.audit.models import EmergencyAccessGrant

        now = timezone.now()
        in_force = EmergencyAccessGrant.objects.filter(
            user_id=user.pk, ended_at__isnull=True, started_at__lte=now, expires_at__gt=now
        ).exists()
        if in_force:
            return self
        return self.filter(is_restricted=False)

    def active(self) -> Self:
        return self.filter(merged_into__isnull=True, is_active=True)


def _photo_path(instance: Patient, filename: str) -> str:
    import uuid

    return f"patients/photos/{uuid.uuid4().hex}"


def _card_path(instance: Coverage, filename: str) -> str:
    import uuid

    return f"patients/cards/{uuid.uuid4().hex}"


class Patient(Address, TimeStampedModel):
    """A person who receives care at the practice (FHIR US Core Patient).

    ``*_key`` and ``*_phonetic`` columns are derived from the names for indexed, typo-tolerant search;
    the service that writes names keeps them current.
    """

    mrn = models.CharField("MRN", max_length=20, unique=True)
    prefix = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=60)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60)
    suffix = models.CharField(max_length=20, blank=True)
    preferred_name = models.CharField(max_length=60, blank=True)
    previous_last_name = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(
        max_length=3, choices=SexAtBirth.choices, default=SexAtBirth.UNKNOWN
    )
    gender_identity = models.CharField(max_length=20, choices=GenderIdentity.choices, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    ssn = EncryptedTextField("SSN", blank=True)
    ssn_last4 = models.CharField(max_length=4, blank=True)
    email = models.EmailField(blank=True)
    preferred_language = models.CharField(
        max_length=16, default="en", help_text="BCP-47 code, e.g. en, es, zh-Hant."
    )
    interpreter_needed = models.BooleanField(default=False)
    sms_consent_at = models.DateField("SMS consent given", null=True, blank=True)
    email_consent_at = models.DateField("e-mail consent given", null=True, blank=True)
    voice_consent_at = models.DateField("voice consent given", null=True, blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_relationship = models.CharField(max_length=40, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    guarantor_kind = models.CharField(
        max_length=10, choices=GuarantorKind.choices, default=GuarantorKind.SELF
    )
    guarantor_patient = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="guaranteed_patients"
    )
    guarantor_name = models.CharField(max_length=120, blank=True)
    guarantor_relationship = models.CharField(
        max_length=2, choices=SubscriberRelationship.choices, blank=True
    )
    guarantor_phone = models.CharField(max_length=20, blank=True)
    guarantor_address = models.CharField(max_length=250, blank=True)
    employer_name = models.CharField(max_length=120, blank=True)
    employer_phone = models.CharField(max_length=20, blank=True)
    photo = models.FileField(upload_to=_photo_path, blank=True)
    is_active = models.BooleanField(default=True)
    is_restricted = models.BooleanField(
        default=False,
        help_text="Confidential record (e.g. a staff member): hidden without break-glass.",
    )
    deceased_on = models.DateField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Derived search columns (lower-case ASCII letters only; phonetic = Double-Metaphone-like key).
    last_name_key = models.CharField(max_length=60, db_index=True, editable=False, default="")
    first_name_key = models.CharField(max_length=60, db_index=True, editable=False, default="")
    last_name_phonetic = models.CharField(max_length=12, editable=False, default="")
    first_name_phonetic = models.CharField(max_length=12, editable=False, default="")

    objects = PatientQuerySet.as_manager()

    # Not columns: set by the selectors that load a patient for display (patient_get, search hits).
    primary_coverage: Coverage | None
    recent_verifications: list[Verification]

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        indexes = [
            models.Index(fields=["last_name_key", "first_name_key"], name="patient_name_key"),
            models.Index(fields=["first_name_key", "last_name_key"], name="patient_first_last_key"),
            models.Index(fields=["date_of_birth", "last_name_key"], name="patient_dob_name"),
            models.Index(
                fields=["last_name_phonetic", "first_name_phonetic"], name="patient_phonetic"
            ),
            # Duplicate check: "sounds like the same last name, born the same year".
            models.Index(
                fields=["last_name_phonetic", "date_of_birth"], name="patient_phonetic_dob"
            ),
            models.Index(fields=["email"], name="patient_email"),
            models.Index(fields=["ssn_last4", "date_of_birth"], name="patient_ssn4_dob"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sex_at_birth__in=SexAtBirth.values), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(guarantor_kind=GuarantorKind.PATIENT)
                | models.Q(guarantor_patient__isnull=False),
                name="patient_guarantor_patient_set",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="patient_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return f"Patient {self.mrn}"

    @property
    def full_name(self) -> str:
        parts = [self.first_name, self.middle_name, self.last_name, self.suffix]
        return " ".join(part for part in parts if part)

    @property
    def display_name(self) -> str:
        """Last, First (Preferred) — the way front-desk lists show a patient."""
        name = f"{self.last_name}, {self.first_name}"
        if self.preferred_name and self.preferred_name != self.first_name:
            name += f" ({self.preferred_name})"
        return name

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""


class PatientPhone(models.Model):
    """A patient's phone number in E.164, with its use and whether it can receive SMS."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=20, help_text="E.164, e.g. +12025550123.")
    digits = models.CharField(
        max_length=15, db_index=True, editable=False, help_text="National digits, for search."
    )
    digits_reversed = models.CharField(
        max_length=15,
        db_index=True,
        editable=False,
        default="",
        help_text="National digits reversed: 'ends with 5550123' becomes an indexed prefix range.",
    )
    phone_type = models.CharField(
        max_length=10, choices=PhoneType.choices, default=PhoneType.MOBILE
    )
    sms_capable = models.BooleanField(default=False)
    rank = models.PositiveSmallIntegerField(default=1, help_text="1 = preferred.")

    class Meta:
        ordering = ["patient", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"], name="patient_phone_unique")
        ]


class Coverage(TimeStampedModel):
    """An insurance policy a patient is covered by, at a coordination-of-benefits priority (FHIR Coverage)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    priority = models.PositiveSmallIntegerField(
        choices=CoveragePriority.choices, default=CoveragePriority.PRIMARY
    )
    status = models.CharField(
        max_length=20, choices=CoverageStatus.choices, default=CoverageStatus.ACTIVE
    )
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="coverages"
    )
    member_id = models.CharField("member ID", max_length=40)
    member_id_key = models.CharField(max_length=40, db_index=True, editable=False, default="")
    group_number = models.CharField(max_length=40, blank=True)
    relationship = models.CharField(
        "patient's relationship to subscriber",
        max_length=2,
        choices=SubscriberRelationship.choices,
        default=SubscriberRelationship.SELF,
    )
    subscriber_patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscribed_coverages",
    )
    subscriber_first_name = models.CharField(max_length=60, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=3, choices=SexAtBirth.choices, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    terminates_on = models.DateField(null=True, blank=True)
    copay_primary_care = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    copay_specialist = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    copay_urgent_care = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    copay_emergency = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    card_front = models.FileField(upload_to=_card_path, blank=True)
    card_back = models.FileField(upload_to=_card_path, blank=True)

    class Meta:
        ordering = ["patient", "status", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "priority"],
                condition=models.Q(status="active"),
                name="coverage_one_active_per_priority",
            ),
            models.CheckConstraint(
                condition=models.Q(terminates_on__isnull=True)
                | models.Q(effective_on__isnull=True)
                | models.Q(terminates_on__gte=models.F("effective_on")),
                name="coverage_terminates_after_effective",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=[1, 2, 3]), name="coverage_priority_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(member_id=""), name="coverage_member_id_required"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CoverageStatus.values), name="coverage_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(relationship__in=SubscriberRelationship.values),
                name="coverage_relationship_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Coverage {self.pk} ({self.get_priority_display()})"


class Verification(models.Model):
    """A visit's confirmation that demographics and insurance were checked with the patient today."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="verifications")
    verified_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    demographics_confirmed = models.BooleanField(default=False)
    insurance_confirmed = models.BooleanField(default=False)
    identity_document = models.CharField(
        max_length=40, blank=True, help_text="e.g. driver's licence, passport."
    )
    changed_fields = models.JSONField(
        default=list, blank=True, help_text="Names of fields updated during this check."
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-verified_at"]
        get_latest_by = "verified_at"


class PatientMerge(models.Model):
    """The record of two patient charts merged into one: the survivor keeps everything."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_in")
    merged = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="merge_out")
    reason = models.TextField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField()
    moved = models.JSONField(
        default=dict, help_text="How many rows of each kind moved to the survivor."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(survivor=models.F("merged")), name="merge_distinct_patients"
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="merge_reason_required"),
        ]


class DuplicateOverride(models.Model):
    """A registration that went ahead despite likely duplicates: who decided, why, and which candidates."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="duplicate_override"
    )
    reason = models.TextField()
    candidate_ids = models.JSONField(default=list)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="override_reason_required")
        ]
