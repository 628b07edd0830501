from __future__ import annotations

from django.db import models


class EntryKind(models.TextChoices):
    """What an entry records. Signs: + raises what is owed, - lowers it (see ``SIGN``)."""

    CHARGE = "charge", "Charge"
    PAYMENT = "payment", "Payment"
    ADJUSTMENT = "adjustment", "Adjustment"
    REFUND = "refund", "Refund"
    TRANSFER = "transfer", "Transfer"


# The sign an original (non-reversal) entry of each kind carries; a reversal carries the opposite.
# Adjustments and transfers may go either way (0 = either, never zero itself).
SIGN: dict[str, int] = {
    EntryKind.CHARGE: 1,
    EntryKind.PAYMENT: -1,
    EntryKind.REFUND: 1,
    EntryKind.ADJUSTMENT: 0,
    EntryKind.TRANSFER: 0,
}


class Bucket(models.TextChoices):
    """Who is expected to pay the amount: the patient (guarantor) or insurance."""

    PATIENT = "patient", "Patient"
    INSURANCE = "insurance", "Insurance"


class ChargeCode(models.TextChoices):
    COPAY = "copay", "Copay"
    COINSURANCE = "coinsurance", "Coinsurance estimate"
    DEDUCTIBLE = "deductible", "Deductible estimate"
    VISIT = "visit", "Visit charge"
    NO_SHOW_FEE = "no_show_fee", "No-show fee"
    LATE_CANCEL_FEE = "late_cancel_fee", "Late-cancellation fee"
    RECORDS_FEE = "records_fee", "Records copy fee"
    OTHER = "other", "Other charge"


class AdjustmentCode(models.TextChoices):
    COURTESY = "courtesy", "Courtesy discount"
    SMALL_BALANCE = "small_balance", "Small-balance write-off"
    CONTRACTUAL = "contractual", "Contractual adjustment"
    HARDSHIP = "hardship", "Financial hardship"
    BAD_DEBT = "bad_debt", "Bad debt"
    CORRECTION = "correction", "Correction"


class PaymentSource(models.TextChoices):
    PATIENT = "patient", "Patient payment"
    INSURANCE = "insurance", "Insurance payment"


class RefundCode(models.TextChoices):
    OVERPAYMENT = "overpayment", "Overpayment"
    PREPAYMENT = "prepayment", "Unused prepayment"
    OTHER = "other", "Other"


class TransferCode(models.TextChoices):
    TO_PATIENT = "to_patient", "Moved to patient responsibility"
    TO_INSURANCE = "to_insurance", "Moved to insurance responsibility"


class AllocationPolicy(models.TextChoices):
    OLDEST_FIRST = "oldest_first", "Oldest charge first"
    SPECIFIC = "specific", "Only the charges chosen"


class DayState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
