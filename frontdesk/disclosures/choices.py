from __future__ import annotations

from django.db import models


class Purpose(models.TextChoices):
    """Why PHI left the practice (HIPAA 45 CFR 164.506 / 164.512 / 164.528 vocabulary)."""

    PAYMENT = "payment", "Payment"
    TREATMENT = "treatment", "Treatment"
    HEALTH_CARE_OPERATIONS = "health_care_operations", "Health care operations"
    PATIENT_REQUEST = "patient_request", "At the patient's request"
    AUTHORIZATION = "authorization", "Under the patient's authorization"
    LEGAL = "legal", "Required by law / legal process"
    PUBLIC_HEALTH = "public_health", "Public health"
    RESEARCH = "research", "Research"
    OTHER = "other", "Other"
