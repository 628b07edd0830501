"""URLs of coding: code search, the code/fee import and fee schedules (ids only in URLs)."""

from django.urls import path

from frontdesk.coding import views

app_name = "coding"

urlpatterns = [
    path("", views.search, name="search"),
    path("import/", views.codes_import, name="import"),
    path("fee-schedules/", views.schedule_list, name="schedules"),
    path("fee-schedules/new/", views.schedule_create, name="schedule_create"),
    path("fee-schedules/<int:schedule_id>/", views.schedule_detail, name="schedule"),
    path("fee-schedules/<int:schedule_id>/edit/", views.schedule_edit, name="schedule_edit"),
    path("fee-schedules/<int:schedule_id>/prices/", views.entry_set, name="entry_set"),
    path(
        "fee-schedules/<int:schedule_id>/prices/<int:entry_id>/delete/",
        views.entry_delete,
        name="entry_delete",
    ),
]
