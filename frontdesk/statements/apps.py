from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "frontdesk.statements"
    label = "statements"
    verbose_name = "Patient accounts, statements, payment plans and collections"
