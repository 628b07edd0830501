"""URL map. Each app owns its URLs; the JSON API lives under /api/v1/."""

from django.urls import include, path

from frontdesk.api.root import api

urlpatterns = [
    path("", include("frontdesk.web.urls")),
    path("accounts/", include("frontdesk.accounts.urls")),
    path("audit/", include("frontdesk.audit.urls")),
    path("practice/", include("frontdesk.practice.urls")),
    path("patients/", include("frontdesk.patients.urls")),
    path("scheduling/", include("frontdesk.scheduling.urls")),
    path("api/v1/", api.urls),
    path("waitlist/", include("frontdesk.waitlist.urls")),
    path("front-desk/", include("frontdesk.visits.urls")),
    path("payments/", include("frontdesk.payments.urls")),
    path("w/", include("frontdesk.waitlist.public_urls")),
    path("", include("frontdesk.notifications.urls")),
    path("chartprep/", include("frontdesk.chartprep.urls")),
    path("noshows/", include("frontdesk.chartprep.noshow_urls")),
    path("printing/", include("frontdesk.printing.urls")),
    path("kiosk/", include("frontdesk.kiosk.urls")),
    path("ops/", include("frontdesk.ops.urls")),
    path("accounts/", include("frontdesk.statements.account_urls")),
    path("statements/", include("frontdesk.statements.urls")),
    path("drawers/", include("frontdesk.payments.drawer_urls")),
    path("codes/", include("frontdesk.coding.urls")),
    path("clearinghouse/", include("frontdesk.clearinghouse.urls")),
    path("eligibility/", include("frontdesk.eligibility.urls")),
    path("billing/", include("frontdesk.billing.urls")),
    path("disclosures/", include("frontdesk.disclosures.urls")),
    path("remittance/", include("frontdesk.remittance.urls")),
    path("documents/", include("frontdesk.documents.urls")),
]
