from django.db import models


class PayerType(models.TextChoices):
    """Kinds of payer; each maps to an X12 claim filing indicator (standards.x12_codes)."""

    COMMERCIAL = "commercial", "Commercial"
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    SELF_PAY = "self_pay", "Self-pay"


class PlanType(models.TextChoices):
    HMO = "HM", "HMO"
    PPO = "12", "PPO"
    POS = "13", "POS"
    EPO = "EPO", "EPO"
    INDEMNITY = "15", "Indemnity"
    HDHP = "HDHP", "High-deductible health plan"
    MEDICARE_PART_B = "MB", "Medicare Part B"
    MEDICAID = "MC", "Medicaid"
    OTHER = "ZZ", "Other"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class RoomKind(models.TextChoices):
    EXAM = "exam", "Exam room"
    PROCEDURE = "procedure", "Procedure room"
    LAB = "lab", "Lab / draw station"
    IMAGING = "imaging", "Imaging"
    CONSULT = "consult", "Consult room"
    TELEHEALTH = "telehealth", "Telehealth booth"
