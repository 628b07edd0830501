"""Kiosk URLs: the tablet's screens (device cookie, no staff login) and the staff screens."""

from django.urls import path

from frontdesk.kiosk import views

app_name = "kiosk"

urlpatterns = [
    path("", views.start, name="start"),
    path("enroll/", views.enroll, name="enroll"),
    path("confirm/", views.confirm, name="confirm"),
    path("update/", views.update, name="update"),
    path("consents/", views.consents, name="consents"),
    path("done/", views.done, name="done"),
    path("reset/", views.reset, name="reset"),
    path("devices/", views.devices, name="devices"),
    path("devices/<int:pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("devices/<int:pk>/unlock/", views.device_unlock, name="device_unlock"),
    path("changes/", views.changes, name="changes"),
    path("changes/<int:pk>/apply/", views.change_apply, name="change_apply"),
    path("changes/<int:pk>/reject/", views.change_reject, name="change_reject"),
    path("changes/<int:pk>/card/<str:side>/", views.change_card, name="change_card"),
    path("code/<int:pk>/", views.check_in_code, name="code"),
]
