from django.db import models


class CodeSectionKind(models.TextChoices):
    """What the codes of an encounter-form section are."""

    PROCEDURE = "procedure", "Procedures (CPT / HCPCS)"
    DIAGNOSIS = "diagnosis", "Diagnoses (ICD-10-CM)"
