from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "frontdesk.payments"
    label = "payments"
    verbose_name = "Payments, receipts, cash drawers and the day close"
