"""Schedule screens (ids and dates in URLs, never patient details)."""

from django.urls import path

from frontdesk.scheduling import views

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
]
