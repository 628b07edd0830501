from __future__ import annotations

from django.db import models


class TenderKind(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    CARD = "card", "Card"
    HSA_FSA = "hsa_fsa", "HSA/FSA card"
    CREDIT = "credit", "Patient credit"  # credit already on the account: no new money


# Tenders that go through the card processor.
CARD_TENDERS = frozenset({TenderKind.CARD, TenderKind.HSA_FSA})


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending (card in flight)"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    VOIDED = "voided", "Voided"


class CardAttemptStatus(models.TextChoices):
    PENDING = "pending", "Sent, no answer yet"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    TIMEOUT = "timeout", "Timed out (reconcile before retrying)"
    REVERSED = "reversed", "Reversed at the processor"


class DrawerStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING_APPROVAL = "pending_approval", "Counted: variance awaiting a manager"
    CLOSED = "closed", "Closed"


class RefundMethod(models.TextChoices):
    CASH = "cash", "Cash from the drawer"
    CHECK = "check", "Practice check (mailed)"
    CARD = "card", "Back to the original card"


# US currency denominations counted in a drawer (value in dollars, label).
DENOMINATIONS: tuple[tuple[str, str], ...] = (
    ("100.00", "$100 bills"),
    ("50.00", "$50 bills"),
    ("20.00", "$20 bills"),
    ("10.00", "$10 bills"),
    ("5.00", "$5 bills"),
    ("2.00", "$2 bills"),
    ("1.00", "$1 bills/coins"),
    ("0.25", "Quarters"),
    ("0.10", "Dimes"),
    ("0.05", "Nickels"),
    ("0.01", "Pennies"),
)
