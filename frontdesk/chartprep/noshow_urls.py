"""The no-show worklist (ids in URLs only)."""

from django.urls import path

from frontdesk.chartprep import noshow_views

app_name = "noshows"

urlpatterns = [
    path("", noshow_views.case_list, name="list"),
    path("<int:pk>/attempt/", noshow_views.attempt, name="attempt"),
    path("<int:pk>/close/", noshow_views.close, name="close"),
    path("<int:pk>/undo/", noshow_views.undo, name="undo"),
]
