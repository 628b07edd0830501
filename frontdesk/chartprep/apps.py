from django.apps import AppConfig


class ChartprepConfig(AppConfig):
    name = "frontdesk.chartprep"
    label = "chartprep"
    verbose_name = "Chart prep and no-shows"
