"""Waitlist screens for staff (ids in URLs, never patient details)."""

from django.urls import path

from frontdesk.waitlist import views

app_name = "waitlist"

urlpatterns = [
    path("", views.entry_list, name="entries"),
    path("add/", views.entry_add, name="entry_add"),
    path("add/patients/", views.patient_pick, name="patient_pick"),
    path("entries/<int:pk>/cancel/", views.entry_cancel, name="entry_cancel"),
    path("offers/", views.offer_list, name="offers"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
]
