"""Remittance screens (ids only in URLs)."""

from django.urls import path

from frontdesk.remittance import views

app_name = "remittance"

urlpatterns = [
    path("", views.remittance_list, name="list"),
    path("import/", views.era_import_view, name="import"),
    path("<int:remittance_id>/", views.remittance_detail, name="detail"),
    path("denials/", views.denial_list, name="denials"),
    path("denials/<int:denial_id>/", views.denial_detail, name="denial"),
    path("denials/<int:denial_id>/assign/", views.denial_assign, name="denial_assign"),
    path("denials/<int:denial_id>/action/", views.denial_action, name="denial_action"),
]
