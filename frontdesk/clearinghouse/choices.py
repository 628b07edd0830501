from __future__ import annotations

from django.db import models


class Direction(models.TextChoices):
    OUT = "out", "Sent"
    IN = "in", "Received"


class Kind(models.TextChoices):
    """The X12 transaction a file carries (the 277 is always the claim acknowledgment, 277CA)."""

    ELIGIBILITY_INQUIRY = "270", "270 eligibility inquiry"
    ELIGIBILITY_RESPONSE = "271", "271 eligibility response"
    CLAIM = "837P", "837P professional claims"
    ACK_999 = "999", "999 implementation acknowledgment"
    ACK_277CA = "277CA", "277CA claim acknowledgment"
    REMITTANCE = "835", "835 remittance advice"
    TA1 = "TA1", "TA1 interchange acknowledgment"
    UNKNOWN = "unknown", "Unrecognised file"


class ExchangeStatus(models.TextChoices):
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received, waiting to be processed"
    FAILED = "failed", "Failed"
    PROCESSED = "processed", "Processed"
    ERROR = "error", "Processing error"
