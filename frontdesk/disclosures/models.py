"""The accounting-of-disclosures log: every time PHI of a patient left the practice, to whom and why.

Append-only: rows are never changed or deleted (on PostgreSQL a trigger refuses UPDATE and DELETE,
migration 0002); a wrong row is answered by a later row saying so, never by rewriting history.
A disclosure names the patient, when, the recipient (a payer, a clearinghouse, a person) with an
identifier (payer id, NPI), the purpose, what was sent in words, and a reference to the thing that
carried it ("exchange:45", "claim:CLM123").
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from frontdesk.core.queryset import Actor, RestrictedQuerySet
from frontdesk.disclosures.choices import Purpose


class DisclosureQuerySet(RestrictedQuerySet):
    def scope_for(self, user: Actor) -> Self:
        # A disclosure is visible exactly when its patient's record is (restricted records stay hidden).
        from frontdesk.patients.models import Patient

        return self.filter(patient__in=Patient.objects.scope_for(user).values("pk"))


class Disclosure(models.Model):
    """One disclosure of one patient's PHI to someone outside the practice. Append-only."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="disclosures"
    )
    disclosed_at = models.DateTimeField()
    recipient = models.CharField(max_length=200)
    recipient_identifier = models.CharField(max_length=80, blank=True)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    description = models.CharField(max_length=500)
    reference = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, editable=False)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ("-disclosed_at", "-pk")
        indexes = [models.Index(fields=["patient", "disclosed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="disclosure_purpose_valid"
            ),
            models.CheckConstraint(condition=~Q(recipient=""), name="disclosure_recipient_given"),
            models.CheckConstraint(
                condition=~Q(description=""), name="disclosure_description_given"
            ),
        ]

    def __str__(self) -> str:
        return f"Disclosure {self.pk} ({self.purpose})"
