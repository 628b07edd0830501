from __future__ import annotations

from django.db import models


class RemittanceStatus(models.TextChoices):
    POSTED = "posted", "Posted"
    PARTIAL = "partial", "Partially matched"


class ClaimMatch(models.TextChoices):
    """What became of one CLP loop."""

    POSTED = "posted", "Posted"
    DENIED = "denied", "Denied (on the worklist)"
    REVERSED = "reversed", "Reversal of an earlier payment"
    UNMATCHED = "unmatched", "Unmatched (not posted)"


class LineMatch(models.TextChoices):
    """How a SVC loop was matched to a claim line."""

    CONTROL_NUMBER = "control_number", "Line control number (REF*6R)"
    CODE_DATE = "code_date", "Procedure code, modifiers and date"
    MODIFIER_DROPPED = "modifier_dropped", "Procedure code and date (payer dropped a modifier)"
    SUBMITTED_CODE = "submitted_code", "Original procedure code (SVC06) and date"
    CLAIM_LEVEL = "claim_level", "Claim level (no service lines in the 835)"
    UNMATCHED = "unmatched", "Unmatched"


class AdjustmentLevel(models.TextChoices):
    CLAIM = "claim", "Claim"
    LINE = "line", "Service line"


class AdjustmentGroup(models.TextChoices):
    """CAS01 claim adjustment group codes."""

    CO = "CO", "Contractual obligation"
    PR = "PR", "Patient responsibility"
    OA = "OA", "Other adjustment"
    OI = "OI", "Other insurance (pre-5010 senders)"
    PI = "PI", "Payer-initiated reduction"
    CR = "CR", "Correction and reversal"


class Treatment(models.TextChoices):
    """What FrontDesk did with an adjustment amount (docs/remittance.md)."""

    WRITTEN_OFF = "written_off", "Written off (ledger adjustment)"
    TO_PATIENT = "to_patient", "Moved to patient responsibility"
    LEFT_OPEN = "left_open", "Left open for the secondary payer"
    DENIED = "denied", "Left open on the denial worklist"
    NOT_POSTED = "not_posted", "Not posted (unmatched)"


class PostingRole(models.TextChoices):
    PAYMENT = "payment", "Insurance payment"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER = "transfer", "Transfer to patient"
    REVERSAL = "reversal", "Reversal"


class DenialStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPEALED = "appealed", "Appealed"
    CORRECTED = "corrected", "Corrected claim sent"
    WRITTEN_OFF = "written_off", "Written off"
    BILLED_TO_PATIENT = "billed_to_patient", "Billed to patient"
    RESOLVED = "resolved", "Resolved"


OPEN_DENIAL_STATUSES = (DenialStatus.OPEN, DenialStatus.APPEALED, DenialStatus.CORRECTED)
