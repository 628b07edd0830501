"""URLs of disclosures (ids only in URLs)."""

from django.urls import path

from frontdesk.disclosures import views

app_name = "disclosures"

urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_disclosures, name="patient"),
]
