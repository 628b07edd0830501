from django.urls import URLPattern, path

from frontdesk.audit import views

app_name = "audit"

urlpatterns: list[URLPattern] = [
    path("", views.report, name="report"),
    path("export.csv", views.export, name="export"),
    path("emergency-access/", views.emergency_access, name="emergency_access"),
    path(
        "emergency-access/<int:grant_id>/review/",
        views.emergency_review,
        name="emergency_review",
    ),
]
