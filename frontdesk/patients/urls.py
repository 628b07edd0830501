from django.urls import path

from frontdesk.patients import views

app_name = "patients"

# Only numeric ids in paths; search text travels in POST bodies (no PHI in URLs or access logs).
urlpatterns = [
    path("", views.search, name="search"),
    path("results/", views.search_results, name="search_results"),
    path("register/", views.register, name="register"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/photo/", views.photo, name="photo"),
    path("<int:pk>/coverages/new/", views.coverage_create, name="coverage_create"),
    path("<int:pk>/coverages/<int:coverage_pk>/edit/", views.coverage_edit, name="coverage_edit"),
    path(
        "<int:pk>/coverages/<int:coverage_pk>/card/<str:side>/",
        views.coverage_card,
        name="coverage_card",
    ),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/merge/", views.merge, name="merge"),
]
