from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "frontdesk.ledger"
    label = "ledger"
    verbose_name = "Patient accounts and the ledger"
