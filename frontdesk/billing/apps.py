from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "frontdesk.billing"
    label = "billing"
    verbose_name = "Charges, claims and remittances"

    def ready(self) -> None:
        # The clearinghouse hands inbound 999 and 277CA files to billing (it knows nothing of claims).
        from frontdesk.billing.ack_services import ack_handler
        from frontdesk.clearinghouse.handlers import register_handler

        register_handler("TA1", ack_handler)
        register_handler("999", ack_handler)
        register_handler("277CA", ack_handler)
