from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "frontdesk.practice"
    label = "practice"
    verbose_name = "Practice"
