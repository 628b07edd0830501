from django.urls import path

from frontdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("mfa/", views.mfa_view, name="mfa"),
    path("logout/", views.logout_view, name="logout"),
]
