"""Sample rows of printing for tests outside the app (the policy matrix)."""

from __future__ import annotations

from typing import Any

from frontdesk.printing.models import EncounterFormBatch, EncounterFormConfig

SAMPLE_SECTIONS: list[dict[str, Any]] = [
    {
        "kind": "procedure",
        "title": "Office visits",
        "codes": [
            {"code": "99213", "label": "Office visit est, low", "modifier": ""},
            {"code": "99214", "label": "Office visit est, moderate", "modifier": "25"},
        ],
    },
    {
        "kind": "diagnosis",
        "title": "Common diagnoses",
        "codes": [{"code": "E11.9", "label": "Type 2 diabetes w/o complications", "modifier": ""}],
    },
]


def sample_encounter_form_config(provider: Any) -> EncounterFormConfig:
    config, _ = EncounterFormConfig.objects.get_or_create(
        provider=provider, defaults={"sections": SAMPLE_SECTIONS}
    )
    return config


def sample_encounter_form_batch(location: Any) -> EncounterFormBatch:
    """A queued whole-day batch at ``location``, asked for by a front-desk colleague there."""
    import datetime as dt

    from django.utils import timezone

    from frontdesk.accounts.choices import Role
    from tests.factories import UserFactory, assign

    requester = assign(UserFactory(role=Role.FRONT_DESK), location)
    return EncounterFormBatch.objects.create(
        requested_by=requester,
        location=location,
        day=timezone.localdate() + dt.timedelta(days=1),
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )
