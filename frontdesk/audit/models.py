"""The append-only, hash-chained audit log and the field-level change history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import RestrictedQuerySet


class AuditEventQuerySet(RestrictedQuerySet):
    """Audit rows are practice-wide: whoever may view the log sees all of it (no location scope)."""


class EmergencyAccessGrantQuerySet(RestrictedQuerySet):
    """Grants are practice-wide: the privacy officer reviews every location's break-glass use."""


class AuditEvent(models.Model):
    """One business event involving PHI or security: who did what to which patient's data, when, from where.

    Rows are never updated or deleted. ``sequence`` is gapless and ``row_hash`` is an HMAC over the row's
    content and ``prev_hash`` (the previous row's ``row_hash``), so an edited, deleted, inserted or
    reordered row breaks the chain at a sequence number that ``frontdesk audit verify`` names.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200, help_text="Frozen at the time of the event.")
    actor_role = models.CharField(max_length=32, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    category = models.CharField(max_length=32, choices=AuditCategory.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(
        max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    emergency_access = models.BooleanField(
        default=False, help_text="Made under a break-glass grant."
    )
    emergency_grant_id = models.BigIntegerField(null=True, blank=True)
    detail = models.JSONField(
        default=dict, blank=True, help_text="Codes and identifiers only, never PHI."
    )
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            models.Index(fields=["patient_id", "occurred_at"], name="audit_patient_time"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="audit_sequence_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=AuditCategory.values), name="audit_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.category} by {self.actor_name}"


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence and hash; locked to append (serializes writers)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_singleton")
        ]


class FieldChange(models.Model):
    """A field's value before and after one audited change (patient and coverage history).

    Sensitive fields (SSN) are recorded masked; the audit event it belongs to says who and when.
    """

    audit_event = models.ForeignKey(
        AuditEvent, on_delete=models.PROTECT, related_name="field_changes"
    )
    patient_id = models.BigIntegerField(db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    field = models.CharField(max_length=64)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["-audit_event__sequence", "field"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="fieldchange_object")]


class EmergencyAccessGrant(TimeStampedModel):
    """A time-boxed "break-glass" grant: access to restricted records in an emergency, with a reason.

    Every access made while it is in force is flagged in the audit log; the privacy officer reviews
    each grant.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_grants"
    )
    reason = models.TextField()
    patient_id = models.BigIntegerField(
        null=True, blank=True, help_text="The patient, when one was named."
    )
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    objects = EmergencyAccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("started_at")),
                name="grant_expires_after_start",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="grant_reason_required"),
        ]

    def is_in_force(self, at: object = None) -> bool:
        now = at or timezone.now()
        return self.ended_at is None and self.started_at <= now < self.expires_at  # type: ignore[operator]
