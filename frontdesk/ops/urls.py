"""Operations screens (read-only)."""

from django.urls import path

from frontdesk.ops import views

app_name = "ops"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
