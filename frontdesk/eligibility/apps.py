from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "frontdesk.eligibility"
    label = "eligibility"
    verbose_name = "Insurance eligibility"
