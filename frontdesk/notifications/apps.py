from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "frontdesk.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Fills the SMS reply registry (C / R / X) with the orchestrating handlers.
        from frontdesk.notifications import reply_actions  # noqa: F401
