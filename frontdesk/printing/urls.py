"""Printing screens: the Print page and its PDFs, encounter-form setup, the downtime packet.

URLs carry ids and dates only (no PHI).
"""

from django.urls import path

from frontdesk.printing import views

app_name = "printing"

urlpatterns = [
    path("", views.print_page, name="print"),
    path("schedule.pdf", views.schedule_pdf, name="schedule_pdf"),
    path("encounter-forms.pdf", views.encounter_forms_pdf, name="encounter_forms_pdf"),
    path("batches/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_page, name="batch"),
    path("batches/<int:pk>/forms.pdf", views.batch_download, name="batch_download"),
    path("encounter-forms/setup/", views.config_list, name="config_list"),
    path("encounter-forms/setup/new/", views.config_edit, name="config_new"),
    path("encounter-forms/setup/<int:pk>/", views.config_edit, name="config_edit"),
    path("encounter-forms/setup/<int:pk>/delete/", views.config_delete, name="config_delete"),
    path("downtime/", views.downtime_page, name="downtime"),
    path("downtime/packet.pdf", views.downtime_download, name="downtime_download"),
]
