from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "frontdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        import time

        from django.contrib.auth.signals import user_logged_in

        from frontdesk.accounts.middleware import SESSION_LAST_SEEN, SESSION_LOGIN_AT

        def stamp_login_time(
            sender: object, request: object, user: object, **kwargs: object
        ) -> None:
            # Session bookkeeping only (the absolute-lifetime clock), not business logic.
            session = getattr(request, "session", None)
            if session is not None:
                now = time.time()
                session[SESSION_LOGIN_AT] = now
                session[SESSION_LAST_SEEN] = now

        user_logged_in.connect(
            stamp_login_time, dispatch_uid="frontdesk_stamp_login_time", weak=False
        )
