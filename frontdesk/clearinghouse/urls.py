"""URLs of clearinghouse (ids only in URLs)."""

from django.urls import path  # noqa: F401

app_name = "clearinghouse"

urlpatterns: list = []
