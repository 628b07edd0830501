"""URLs of clearinghouse (ids only in URLs)."""

from django.urls import path

from frontdesk.clearinghouse import views

app_name = "clearinghouse"

urlpatterns = [
    path("", views.exchange_list, name="exchanges"),
    path("poll/", views.poll, name="poll"),
    path("<int:exchange_id>/", views.exchange_detail, name="exchange"),
    path("<int:exchange_id>/download/", views.exchange_download, name="download"),
    path("<int:exchange_id>/reprocess/", views.reprocess, name="reprocess"),
]
