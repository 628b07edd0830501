from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "frontdesk.remittance"
    label = "remittance"
    verbose_name = "Remittance (835) posting and the denial worklist"

    def ready(self) -> None:
        # Inbound 835 files collected by the clearinghouse are posted by era_import. The
        # clearinghouse knows nothing of remittance: we register with it (arrows point one way).
        try:
            from frontdesk.clearinghouse.handlers import register_handler
        except ImportError:  # the clearinghouse branch has not landed yet
            return
        from frontdesk.remittance.services import exchange_835_handle

        register_handler("835", exchange_835_handle)
