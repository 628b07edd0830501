from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DEFERRED = "deferred", "Deferred (quiet hours)"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Purpose(models.TextChoices):
    REMINDER_72H = "reminder_72h", "Reminder 72 h before"
    REMINDER_24H = "reminder_24h", "Reminder 24 h before"
    RUNNING_LATE = "running_late", "Running late"
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"
    FORMS_REQUEST = "forms_request", "Forms to complete before a visit"
    OTHER = "other", "Other"


class ReplyAction(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    RESCHEDULE_REQUESTED = "reschedule_requested", "Reschedule requested"
    CANCELLED = "cancelled", "Cancelled"
    UNKNOWN_SENDER = "unknown_sender", "Unknown sender"
    NO_APPOINTMENT = "no_appointment", "No reminded appointment"
    NOT_UNDERSTOOD = "not_understood", "Not understood"
    FAILED = "failed", "Failed"


class FollowUpKind(models.TextChoices):
    RESCHEDULE_CALLBACK = "reschedule_callback", "Call back to reschedule"
    CHART_PREP_BILLING = "chart_prep_billing", "Chart prep: insurance / authorization to resolve"
