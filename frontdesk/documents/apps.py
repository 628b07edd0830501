from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "frontdesk.documents"
    label = "documents"
    verbose_name = "Document inbox"
