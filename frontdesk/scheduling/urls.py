"""Schedule screens (ids and dates in URLs, never patient details)."""

from django.urls import path

from frontdesk.scheduling import setup_views, views

app_name = "scheduling"

urlpatterns = [
    path("", views.day_view, name="day"),
    path("grid/", views.day_grid, name="grid"),
    path("changes/", views.changes, name="changes"),
    path("grid.css", views.grid_css, name="grid_css"),
    path("week/", views.week_view, name="week"),
    path("book/", views.book, name="book"),
    path("book/patients/", views.patient_pick, name="patient_pick"),
    path("appointments/<int:pk>/", views.appointment_panel, name="appointment"),
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("print/", views.day_pdf, name="print"),
    # Schedule setup (practice manager: schedule.configure)
    path("setup/", setup_views.setup_home, name="setup"),
    path("setup/types/", setup_views.type_list, name="setup_types"),
    path("setup/types/new/", setup_views.type_create, name="setup_type_create"),
    path("setup/types/<int:pk>/edit/", setup_views.type_edit, name="setup_type_edit"),
    path("setup/types/<int:pk>/active/", setup_views.type_set_active, name="setup_type_active"),
    path("setup/templates/", setup_views.template_list, name="setup_templates"),
    path("setup/templates/new/", setup_views.template_create, name="setup_template_create"),
    path("setup/templates/<int:pk>/edit/", setup_views.template_edit, name="setup_template_edit"),
    path("setup/templates/<int:pk>/end/", setup_views.template_end, name="setup_template_end"),
    path(
        "setup/templates/<int:pk>/delete/",
        setup_views.template_delete,
        name="setup_template_delete",
    ),
    path("setup/impact/", setup_views.impact_check, name="setup_impact"),
    path("setup/time-off/", setup_views.exception_list, name="setup_exceptions"),
    path("setup/time-off/new/", setup_views.exception_create, name="setup_exception_create"),
    path(
        "setup/time-off/<int:pk>/remove/",
        setup_views.exception_remove,
        name="setup_exception_remove",
    ),
]
