"""Vocabularies of chart prep (readiness, authorizations, consents) and no-show follow-up."""

from __future__ import annotations

from django.db import models


class AuthorizationKind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    PRIOR_AUTH = "prior_auth", "Prior authorization"


class AuthorizationStatus(models.TextChoices):
    """Where the payer's decision stands (a pending or denied one covers nothing)."""

    ACTIVE = "active", "Approved / on file"
    PENDING = "pending", "Requested, pending"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"


class ConsentKind(models.TextChoices):
    PRIVACY_NOTICE = "privacy_notice", "Notice of privacy practices"
    FINANCIAL_POLICY = "financial_policy", "Financial policy"
    TREATMENT_CONSENT = "treatment_consent", "Consent to treatment"
    ASSIGNMENT_OF_BENEFITS = "assignment_of_benefits", "Assignment of benefits"


class ConsentMethod(models.TextChoices):
    PAPER = "paper", "On paper"
    ELECTRONIC = "electronic", "Electronically"


class ItemStatus(models.TextChoices):
    OK = "ok", "OK"
    MISSING = "missing", "Missing"
    UNKNOWN = "unknown", "Unknown"


class ReadinessItem(models.TextChoices):
    """The checklist, in the order the worklist shows it."""

    COVERAGE = "coverage", "Active coverage"
    ELIGIBILITY = "eligibility", "Eligibility verified"
    CONSENTS = "consents", "Forms and consents"
    AUTHORIZATION = "authorization", "Referral / prior authorization"
    RECORDS = "records", "Outside records"
    BALANCE = "balance", "Balance due"


class CaseKind(models.TextChoices):
    NO_SHOW = "no_show", "No-show"
    SAME_DAY_CANCEL = "same_day_cancel", "Same-day cancellation"
    LATE_CANCEL = "late_cancel", "Late cancellation"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CaseOutcome(models.TextChoices):
    """How a no-show / late-cancel follow-up ended."""

    REBOOKED = "rebooked", "Rebooked"
    DECLINED = "declined", "Patient declined to rebook"
    UNREACHABLE = "unreachable", "Could not reach the patient"
    ARRIVED_LATE = "arrived_late", "Arrived late (no-show undone)"
    OTHER = "other", "Other"


class OutreachChannel(models.TextChoices):
    CALL = "call", "Phone call"
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class OutreachOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    VOICEMAIL = "voicemail", "Left voicemail"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    REBOOKED = "rebooked", "Rebooked"
    DECLINED = "declined", "Declined"
    SENT = "sent", "Message sent"
