"""URLs of billing (ids only in URLs)."""

from django.urls import path

from frontdesk.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.encounters, name="encounters"),
    path("appointments/<int:appointment_id>/charges/", views.charge_entry, name="charge_entry"),
    path("encounters/<int:encounter_id>/", views.encounter, name="encounter"),
    path("encounters/<int:encounter_id>/post/", views.encounter_post, name="encounter_post"),
    path("icd10-search/", views.icd10_search, name="icd10_search"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:claim_id>/", views.claim, name="claim"),
    path("claims/<int:claim_id>/scrub/", views.claim_scrub, name="claim_scrub"),
    path("claims/<int:claim_id>/lines/<int:line_number>/", views.claim_line, name="claim_line"),
    path("claims/<int:claim_id>/correct/", views.claim_correct, name="claim_correct"),
    path("claims/<int:claim_id>/void/", views.claim_void, name="claim_void"),
    path("batches/", views.batches, name="batches"),
    path("acks/", views.acks_import, name="acks_import"),
    path("payers/", views.payer_settings, name="payer_settings"),
]
