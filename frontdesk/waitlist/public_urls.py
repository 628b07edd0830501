"""The patient's offer page, linked from offer messages: /w/<token>/ (no login; see views)."""

from django.urls import path

from frontdesk.waitlist import views

app_name = "waitlist_public"

urlpatterns = [
    path("<str:token>/", views.public_offer, name="offer"),
]
