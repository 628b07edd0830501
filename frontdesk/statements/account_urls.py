"""The patient account page under /accounts/<id>/ (the staff-login URLs share the prefix)."""

from django.urls import path

from frontdesk.statements import views

app_name = "patient_accounts"

urlpatterns = [
    path("<int:account_id>/", views.account_detail, name="detail"),
    path("patient/<int:patient_id>/", views.patient_account, name="for_patient"),
    path("<int:account_id>/charge/", views.charge_new, name="charge"),
    path("<int:account_id>/adjust/", views.adjustment_new, name="adjust"),
    path("<int:account_id>/entries/<int:entry_id>/reverse/", views.entry_reverse, name="reverse"),
    path("<int:account_id>/plan/", views.plan_new, name="plan"),
]
