from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "frontdesk.eligibility"
    label = "eligibility"
    verbose_name = "Insurance eligibility"

    def ready(self) -> None:
        # 271 files arriving in the clearinghouse inbox answer the checks waiting for them.
        from frontdesk.clearinghouse.handlers import register_handler
        from frontdesk.eligibility.services import inbound_271_handle

        register_handler("271", inbound_271_handle)
