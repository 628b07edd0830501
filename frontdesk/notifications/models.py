"""Messages sent to patients (reminders, offers), SMS replies received, and follow-ups they create."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from frontdesk.notifications.choices import Channel, FollowUpKind, MessageStatus, ReplyAction


class Message(models.Model):
    """One e-mail or SMS to a patient, with its delivery status.

    The body holds the minimum: practice name, date/time, location and reply instructions — never a
    diagnosis or visit reason. ``idempotency_key`` makes a repeated send (a retried task, a second
    reminder run) a no-op.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=40)
    to_address = models.CharField(max_length=254, help_text="E-mail address or E.164 number.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    ics = models.BinaryField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Delivery attempts made (sent or failed)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="message_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "send_after"])]

    def __str__(self) -> str:
        return f"Message {self.pk} ({self.channel}, {self.status})"


class InboundMessage(models.Model):
    """One SMS reply received at the webhook, who it matched and what it did."""

    from_number = models.CharField(max_length=20)
    body = models.CharField(max_length=1600)
    received_at = models.DateTimeField(default=timezone.now)
    provider_message_id = models.CharField(max_length=200, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=24, choices=ReplyAction.choices)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"Inbound SMS {self.pk} ({self.action})"


class FollowUpTask(models.Model):
    """Something the front desk must do because of a patient's reply (e.g. call back to reschedule).

    Open until done; a staff member may claim it first (so two people do not phone the same patient)
    and closes it with a short note of what was done.
    """

    kind = models.CharField(max_length=30, choices=FollowUpKind.choices)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(
        max_length=500, blank=True, help_text="What was done (scheduling only; nothing clinical)."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(done_by__isnull=False),
                name="followup_done_has_who",
            ),
            models.CheckConstraint(
                condition=models.Q(claimed_by__isnull=True, claimed_at__isnull=True)
                | models.Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="followup_claim_complete",
            ),
        ]
        indexes = [models.Index(fields=["done_at", "created_at"])]

    def __str__(self) -> str:
        return f"Follow-up {self.pk} ({self.kind})"
