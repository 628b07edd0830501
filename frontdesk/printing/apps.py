from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "frontdesk.printing"
    label = "printing"
    verbose_name = "Printing and downtime"
