"""URLs of eligibility (ids only in URLs)."""

from django.urls import path  # noqa: F401

app_name = "eligibility"

urlpatterns: list = []
