"""Base models shared by every domain app."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """A row that knows when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class Counter(models.Model):
    """A named, gap-tolerant number sequence (MRNs, receipt numbers) advanced under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
