from django.db import models


class CodeSectionKind(models.TextChoices):
    """What the codes of an encounter-form section are."""

    PROCEDURE = "procedure", "Procedures (CPT / HCPCS)"
    DIAGNOSIS = "diagnosis", "Diagnoses (ICD-10-CM)"


class BatchStatus(models.TextChoices):
    """Where a background encounter-form batch is."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
