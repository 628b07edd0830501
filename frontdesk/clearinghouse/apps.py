from django.apps import AppConfig


class ClearinghouseConfig(AppConfig):
    name = "frontdesk.clearinghouse"
    label = "clearinghouse"
    verbose_name = "Clearinghouse exchange"
