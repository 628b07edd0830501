"""URLs of eligibility (ids only in URLs)."""

from django.urls import path

from frontdesk.eligibility import views

app_name = "eligibility"

urlpatterns = [
    path("", views.check_list, name="checks"),
    path("coverages/<int:coverage_id>/panel/", views.panel, name="panel"),
    path("coverages/<int:coverage_id>/check/", views.check_run, name="check_run"),
    path("checks/<int:check_id>/", views.check_detail, name="check"),
    path("checks/<int:check_id>/retry/", views.check_retry, name="check_retry"),
    path("checks/<int:check_id>/271.x12", views.check_raw, name="check_raw"),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("estimates/patients/<int:patient_id>/", views.estimate, name="estimate"),
    path(
        "estimates/appointments/<int:appointment_id>/panel/",
        views.appointment_estimate,
        name="appointment_estimate",
    ),
    path(
        "estimates/patients/<int:patient_id>/good-faith-estimate/",
        views.good_faith_estimate,
        name="good_faith_estimate",
    ),
]
