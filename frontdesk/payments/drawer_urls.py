"""Cash drawers, the day close and card settlement (ids in URLs only)."""

from django.urls import path

from frontdesk.payments import drawer_views as views

app_name = "drawer"

urlpatterns = [
    path("", views.my_drawer, name="mine"),
    path("<int:drawer_id>/close/", views.drawer_close, name="close"),
    path("<int:drawer_id>/report.pdf", views.drawer_report, name="report"),
    path("<int:drawer_id>/deposit-slip.pdf", views.drawer_deposit, name="deposit"),
    path("approvals/", views.approvals, name="approvals"),
    path("<int:drawer_id>/approve/", views.approve, name="approve"),
    path("day/", views.day, name="day"),
    path("day/close/", views.day_close, name="day_close"),
    path("day/reopen/", views.day_reopen, name="day_reopen"),
    path("day/<int:close_id>/report.pdf", views.day_report, name="day_report"),
    path("settlement/", views.settlement, name="settlement"),
    path("settlement/<int:import_id>/", views.settlement_detail, name="settlement_detail"),
]
