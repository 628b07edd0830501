"""Self check-in kiosks: the tablet's device identity and the changes patients report on it.

A ``KioskDevice`` is a tablet enrolled for one location. It acts through its own service user
("kiosk <name>"), so audit rows, flow events and consent records name the device, never a staff member.
Only hashes of the one-time enrolment code and of the device secret are stored.

A ``KioskChangeRequest`` holds what a patient typed as changed (address, phone, and insurance as
payer, member ID, group number, who holds it, with optional card photos); it never touches the record
until a staff member applies it through the patients services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from frontdesk.core.models import TimeStampedModel
from frontdesk.kiosk.choices import ChangeRequestStatus
from frontdesk.practice.models import LocationScopedQuerySet


def _card_path(instance: KioskChangeRequest, filename: str) -> str:
    import uuid

    return f"kiosk/cards/{uuid.uuid4().hex}"


class KioskDevice(TimeStampedModel):
    """A tablet in a waiting room that patients check themselves in on."""

    name = models.CharField(max_length=60)
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kiosk_device"
    )
    enrol_code_hash = models.CharField(max_length=64, blank=True)
    enrol_code_expires_at = models.DateTimeField(null=True, blank=True)
    secret_hash = models.CharField(max_length=64, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set when too many lookups on this tablet found nobody (a brute-force guard); patients see
    # "please see the front desk" until a manager unlocks it on the kiosk devices page.
    locked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="kiosk_device_name_unique_per_location"
            ),
        ]

    def __str__(self) -> str:
        return f"kiosk {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and bool(self.secret_hash)


class KioskChangeRequest(models.Model):
    """What a patient reported as changed at the kiosk, waiting for staff review."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the appointment for location scoping without a join.
    location = models.ForeignKey("practice.Location", on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(KioskDevice, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=dict)
    # Photos of the insurance card taken on the tablet: kept here, copied to the coverage on apply.
    card_front = models.FileField(upload_to=_card_path, blank=True)
    card_back = models.FileField(upload_to=_card_path, blank=True)
    # The coverage an applied insurance change created or updated (unverified until check-in).
    coverage = models.ForeignKey(
        "patients.Coverage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING
    )
    submitted_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=200, blank=True)

    objects = LocationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ChangeRequestStatus.values),
                name="kiosk_change_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=ChangeRequestStatus.PENDING)
                    & models.Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                )
                | (
                    ~models.Q(status=ChangeRequestStatus.PENDING)
                    & models.Q(reviewed_at__isnull=False, reviewed_by__isnull=False)
                ),
                name="kiosk_change_reviewed_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ChangeRequestStatus.REJECTED)
                | ~models.Q(reject_reason=""),
                name="kiosk_change_rejected_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["location", "status"])]
