"""Document inbox screens (ids only in URLs)."""

from django.urls import include, path

from frontdesk.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("upload/", views.upload, name="upload"),
    path("<int:item_id>/", views.item_detail, name="item"),
    path("<int:item_id>/download/", views.item_download, name="download"),
    path("cover-sheet/<int:patient_id>/", views.cover_sheet, name="cover_sheet"),
    path("", include("frontdesk.documents.intake_urls")),
    path("", include("frontdesk.documents.review_urls")),
]
