from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "frontdesk.visits"
    label = "visits"
    verbose_name = "Front desk: check-in and patient flow"
