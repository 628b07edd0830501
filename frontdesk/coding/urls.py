"""URLs of coding (ids only in URLs)."""

from django.urls import path  # noqa: F401

app_name = "coding"

urlpatterns: list = []
