"""URLs of the ways in and out: the fax provider's webhooks and the correspondence log.

Included from ``documents/urls.py`` without a namespace of its own, so the names are
``documents:fax_inbound``, ``documents:correspondence``, ...
"""

from django.urls import path

from frontdesk.documents import intake_views

urlpatterns = [
    path("fax/inbound/", intake_views.fax_inbound, name="fax_inbound"),
    path("fax/status/", intake_views.fax_status, name="fax_status"),
    path("correspondence/", intake_views.correspondence_log, name="correspondence"),
    path(
        "correspondence/<int:pk>/route/",
        intake_views.correspondence_route,
        name="correspondence_route",
    ),
    path(
        "correspondence/<int:pk>/handled/",
        intake_views.correspondence_handled,
        name="correspondence_handled",
    ),
    path("chart/<int:document_id>/fax/", intake_views.document_fax, name="document_fax"),
    path(
        "chart/<int:document_id>/secure-email/",
        intake_views.document_secure_email,
        name="document_secure_email",
    ),
    path(
        "secure-links/<int:pk>/revoke/",
        intake_views.secure_link_revoke,
        name="secure_link_revoke",
    ),
    # Public: the recipient of a secure e-mail has no account (the token and a phoned code instead).
    path("secure/<str:token>/", intake_views.secure_pickup, name="secure_pickup"),
]
