from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "frontdesk.waitlist"
    label = "waitlist"
    verbose_name = "Waitlist"
