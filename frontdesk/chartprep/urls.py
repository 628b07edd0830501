"""Chart prep: the not-ready worklist and a patient's chart-prep page (ids in URLs only)."""

from django.urls import path

from frontdesk.chartprep import views

app_name = "chartprep"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("appointments/<int:pk>/owner/", views.owner_set, name="owner_set"),
    path("appointments/<int:pk>/forms-message/", views.forms_outreach, name="forms_outreach"),
    path("appointments/<int:pk>/billing-task/", views.billing_task, name="billing_task"),
    path("patients/<int:pk>/", views.patient_prep, name="patient"),
    path(
        "patients/<int:pk>/authorizations/new/",
        views.authorization_create,
        name="authorization_create",
    ),
    path("authorizations/<int:pk>/edit/", views.authorization_edit, name="authorization_edit"),
    path("patients/<int:pk>/consents/", views.consent_paper, name="consent_paper"),
    path("patients/<int:pk>/records/", views.records_request, name="records_request"),
    path("records/<int:pk>/received/", views.records_received, name="records_received"),
]
