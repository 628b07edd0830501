"""Statements, runs, payment plans and collections (ids only in URLs)."""

from django.urls import path

from frontdesk.statements import views

app_name = "statements"

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("<int:statement_id>/pdf/", views.statement_pdf, name="pdf"),
    path("plans/<int:plan_id>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("collections/", views.collections, name="collections"),
]
