from django.db import models


class Role(models.TextChoices):
    """Staff roles from the domain primer; what each may do lives in ``policy.POLICY``."""

    FRONT_DESK = "front_desk", "Front desk / medical office assistant"
    SCHEDULER = "scheduler", "Scheduler / call center"
    BILLING = "billing", "Billing specialist"
    NURSE = "nurse", "Nurse / clinical triage"
    PROVIDER = "provider", "Provider"
    PRACTICE_MANAGER = "practice_manager", "Practice manager"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    ADMIN = "admin", "Administrator"
