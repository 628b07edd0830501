from __future__ import annotations

from django.db import models


class ProcedureKind(models.TextChoices):
    """The code system of a procedure code (X12 SV101-1 qualifier HC covers both)."""

    CPT = "cpt", "CPT (AMA, licensed by the practice)"
    HCPCS = "hcpcs", "HCPCS Level II (CMS)"


class CheckStatus(models.TextChoices):
    """The verdict of ``icd10_check`` on one code for one date of service."""

    OK = "ok", "Billable"
    WARNING = "warning", "Billable, checked against another release"
    HEADER = "header", "Category header, not billable"
    UNKNOWN = "unknown", "Not an ICD-10-CM code"
    NOT_VALID_ON_DATE = "not_valid_on_date", "Not valid on the date of service"
