"""Value sets of billing; values are the X12 codes where X12 has a code set (frequency, SBR01)."""

from __future__ import annotations

from django.db import models


class EncounterStatus(models.TextChoices):
    """Where a visit's charge entry stands."""

    DRAFT = "draft", "Draft (entered, not posted)"
    READY = "ready", "Posted, ready to bill"
    BILLED = "billed", "Billed (claim created)"


class ClaimStatus(models.TextChoices):
    """A claim's life: created, scrubbed (ready or held), sent, acknowledged, adjudicated."""

    CREATED = "created", "Created"
    READY = "ready", "Ready to send"
    HELD = "held", "Held (scrubber errors)"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Accepted by the clearinghouse (999)"
    ACCEPTED = "accepted", "Accepted by the payer (277CA)"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    DENIED = "denied", "Denied"
    VOID = "void", "Void"


_ADJUDICATED = {ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED}
_IN_FLIGHT = {ClaimStatus.SENT, ClaimStatus.ACKNOWLEDGED, ClaimStatus.ACCEPTED}

# Which status may follow which. A payer may re-adjudicate (an 835 reversal and re-payment), so
# adjudicated statuses may follow each other; a rejected claim is fixed and scrubbed again; a void
# claim is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.CREATED: frozenset({ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.VOID}),
    ClaimStatus.READY: frozenset(
        {ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.SENT, ClaimStatus.VOID}
    ),
    ClaimStatus.HELD: frozenset({ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.VOID}),
    ClaimStatus.SENT: frozenset(
        {ClaimStatus.ACKNOWLEDGED, ClaimStatus.ACCEPTED, ClaimStatus.REJECTED, *_ADJUDICATED}
    ),
    ClaimStatus.ACKNOWLEDGED: frozenset(
        {ClaimStatus.ACCEPTED, ClaimStatus.REJECTED, *_ADJUDICATED}
    ),
    ClaimStatus.ACCEPTED: frozenset({ClaimStatus.REJECTED, *_ADJUDICATED, ClaimStatus.VOID}),
    ClaimStatus.REJECTED: frozenset({ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.VOID}),
    ClaimStatus.PAID: frozenset({*_ADJUDICATED, ClaimStatus.VOID}),
    ClaimStatus.PARTIALLY_PAID: frozenset({*_ADJUDICATED, ClaimStatus.VOID}),
    ClaimStatus.DENIED: frozenset({*_ADJUDICATED, ClaimStatus.VOID}),
    ClaimStatus.VOID: frozenset(),
}

# Statuses of a claim that has gone (or is going) to the payer: a new claim for the same services
# would be a duplicate.
BILLED_STATUSES = frozenset(
    {ClaimStatus.READY, ClaimStatus.SENT, *_IN_FLIGHT, *_ADJUDICATED, ClaimStatus.HELD}
)


class FrequencyCode(models.TextChoices):
    """CLM05-3 claim frequency type code."""

    ORIGINAL = "1", "Original"
    CORRECTED = "7", "Replacement (corrected)"
    VOID = "8", "Void / cancel"


class ResponsibilitySequence(models.TextChoices):
    """SBR01 payer responsibility sequence number code."""

    PRIMARY = "P", "Primary"
    SECONDARY = "S", "Secondary"
    TERTIARY = "T", "Tertiary"


class StatusSource(models.TextChoices):
    """Who or what moved a claim's status."""

    USER = "user", "User"
    SCRUBBER = "scrubber", "Scrubber"
    SYSTEM = "system", "System"
    ACK_999 = "999", "999 acknowledgment"
    ACK_277CA = "277CA", "277CA acknowledgment"
    ERA_835 = "835", "835 remittance"
    ACK_TA1 = "TA1", "TA1 interchange acknowledgment"


class Severity(models.TextChoices):
    ERROR = "error", "Error (holds the claim)"
    WARNING = "warning", "Warning"


class BatchStatus(models.TextChoices):
    BUILT = "built", "Built"
    SENT = "sent", "Sent"
    EXPORTED = "exported", "Exported to a file"
    REJECTED = "rejected", "Rejected (TA1 or 999)"
    ACKNOWLEDGED = "acknowledged", "Acknowledged (999)"
