"""URLs of disclosures (ids only in URLs)."""

from django.urls import path  # noqa: F401

app_name = "disclosures"

urlpatterns: list = []
