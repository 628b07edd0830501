from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "frontdesk.kiosk"
    label = "kiosk"
    verbose_name = "Self check-in kiosk"
