"""The JSON API (django-ninja) under /api/v1/. Each domain app contributes a router from its ``api.py``.

The OpenAPI document is served at /api/v1/openapi.json and the interactive docs at /api/v1/docs.
Every operation's ``auth`` is ``frontdesk.api.auth.requires(<policy action>)``; the default below
fails closed for an operation that forgets it (and ``operations()`` lets a test find it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ninja import NinjaAPI

from frontdesk.api import errors
from frontdesk.api.auth import declared_action, requires_nothing_declared

api = NinjaAPI(
    title="FrontDesk API",
    version="1.0.0",
    urls_namespace="api",
    description=(
        "FrontDesk's JSON API. Authenticate with `Authorization: Bearer <API key>` (create one with "
        "`frontdesk apikey create --name NAME --role ROLE [--location CODE]`). Ids are strings; "
        'lists answer `{"items": [...], "count": N}`; errors answer '
        '`{"code", "message", "fields"}`.'
    ),
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=requires_nothing_declared(),
)
errors.install(api)


def _add_routers() -> None:
    # Imported here, not at module top: the domain apps' API modules import frontdesk.api.auth and
    # frontdesk.api.errors, and must find them initialised.
    from frontdesk.chartprep.api import router as chartprep_router
    from frontdesk.notifications.api import router as notifications_router
    from frontdesk.patients.api import router as patients_router
    from frontdesk.payments.api import router as payments_router
    from frontdesk.practice.api import router as practice_router
    from frontdesk.scheduling.api import router as scheduling_router
    from frontdesk.visits.api import router as visits_router
    from frontdesk.waitlist.api import router as waitlist_router

    api.add_router("/", patients_router)
    api.add_router("/", practice_router)
    api.add_router("/", scheduling_router)
    api.add_router("/", waitlist_router)
    api.add_router("/", notifications_router)
    api.add_router("/", chartprep_router)
    api.add_router("/", visits_router)
    api.add_router("/", payments_router)
    from frontdesk.payments.drawer_api import router as drawer_router

    api.add_router("/", drawer_router)
    from frontdesk.billing.api import router as billing_router
    from frontdesk.clearinghouse.api import router as clearinghouse_router
    from frontdesk.coding.api import router as coding_router
    from frontdesk.disclosures.api import router as disclosures_router
    from frontdesk.eligibility.api import router as eligibility_router
    from frontdesk.remittance.api import router as remittance_router

    api.add_router("/", coding_router)
    api.add_router("/", disclosures_router)
    api.add_router("/", clearinghouse_router)
    api.add_router("/", eligibility_router)
    api.add_router("/", billing_router)
    api.add_router("/", remittance_router)
    from frontdesk.documents.api import router as documents_router

    api.add_router("/", documents_router)


_add_routers()


@dataclass(frozen=True)
class ApiOperation:
    """One HTTP method on one path of the API, with the policy action it declared (None if none)."""

    method: str
    path: str
    name: str
    action: str | None


def operations() -> Iterator[ApiOperation]:
    """Every operation the API serves (the authorization matrix and the meta-test walk this)."""
    for bound_router in api._get_bound_routers():
        for path, path_view in bound_router.path_operations.items():
            full_path = "/api/v1/" + "/".join(
                part.strip("/") for part in (bound_router.prefix, path) if part.strip("/")
            )
            for operation in path_view.operations:
                for method in operation.methods:
                    yield ApiOperation(
                        method=method,
                        path=full_path,
                        name=operation.view_func.__name__,
                        action=declared_action(operation.auth_callbacks),
                    )
