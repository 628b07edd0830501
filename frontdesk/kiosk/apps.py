from django.apps import AppConfig, apps


class KioskConfig(AppConfig):
    name = "frontdesk.kiosk"
    label = "kiosk"
    verbose_name = "Self check-in kiosk"

    def ready(self) -> None:
        # Reminder e-mails carry the check-in code as a QR image. Notifications sits below the kiosk
        # and must not import it: the kiosk hands it the code provider instead.
        if apps.is_installed("frontdesk.notifications"):
            from frontdesk.kiosk.codes import kiosk_code_or_none
            from frontdesk.notifications.checkin_code import register

            register(kiosk_code_or_none)
