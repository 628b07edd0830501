from __future__ import annotations

from django.db import models


class Delivery(models.TextChoices):
    PRINT = "print", "Printed and mailed"
    EMAIL = "email", "E-mailed (consented address)"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PlanFrequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    BIWEEKLY = "biweekly", "Every two weeks"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"
