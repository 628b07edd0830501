from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "frontdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from frontdesk.accounts.middleware import stamp_login_time

        # A module-level receiver: signals hold receivers weakly, and a nested function would be
        # garbage-collected (the absolute-lifetime clock would then never start).
        user_logged_in.connect(stamp_login_time, dispatch_uid="frontdesk_stamp_login_time")
