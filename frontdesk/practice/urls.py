from django.urls import path

from frontdesk.practice import views

app_name = "practice"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("organization/", views.organization_edit, name="organization_edit"),
    path("locations/", views.location_list, name="location_list"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/", views.location_detail, name="location_detail"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location_edit"),
    path("locations/<int:location_pk>/rooms/new/", views.room_create, name="room_create"),
    path("rooms/<int:pk>/edit/", views.room_edit, name="room_edit"),
    path(
        "locations/<int:location_pk>/equipment/new/",
        views.equipment_create,
        name="equipment_create",
    ),
    path("equipment/<int:pk>/edit/", views.equipment_edit, name="equipment_edit"),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/new/", views.provider_create, name="provider_create"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider_edit"),
    path("payers/", views.payer_list, name="payer_list"),
    path("payers/new/", views.payer_create, name="payer_create"),
    path("payers/<int:pk>/", views.payer_detail, name="payer_detail"),
    path("payers/<int:pk>/edit/", views.payer_edit, name="payer_edit"),
    path("payers/<int:payer_pk>/plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
]
