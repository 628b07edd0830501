"""Encounter-form (superbill) configuration: the favourite codes a provider or specialty ticks."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Lower

from frontdesk.core.models import TimeStampedModel
from frontdesk.core.queryset import RestrictedQuerySet


class EncounterFormConfig(TimeStampedModel):
    """The checkbox sections printed on an encounter form, for one provider or for one specialty.

    A provider's own configuration wins over the one of their specialty (matched case-insensitively
    to ``Provider.specialty``). ``sections`` is a list of
    ``{"kind": "procedure"|"diagnosis", "title": str, "codes": [{"code", "label", "modifier"}]}``,
    validated by ``services.parse_code_lines`` before it is stored.
    """

    provider = models.OneToOneField(
        "practice.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="encounter_form_config",
    )
    specialty = models.CharField(max_length=80, blank=True)
    sections = models.JSONField(default=list)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["specialty", "provider_id"]
        constraints = [
            # Exactly one owner: a provider, or a specialty.
            models.CheckConstraint(
                condition=(models.Q(provider__isnull=False) & models.Q(specialty=""))
                | (models.Q(provider__isnull=True) & ~models.Q(specialty="")),
                name="encounterformconfig_one_owner",
            ),
            models.UniqueConstraint(
                Lower("specialty"),
                condition=models.Q(provider__isnull=True),
                name="encounterformconfig_unique_specialty",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter form {self.pk}"

    @property
    def owner_label(self) -> str:
        if self.provider_id is not None:
            provider: Any = self.provider
            return f"Provider: {provider.display_name}"
        return f"Specialty: {self.specialty}"
