"""JSON API for the practice's reference data: locations, providers, payers (with their plans).

Thin: each operation names its policy action (``requires``), calls one selector and shapes the answer.
Reference data is not PHI, so these reads are not audited.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Schema

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import COMMON_ERRORS, READ_ERRORS
from frontdesk.api.schemas import ID_PATH, list_answer
from frontdesk.practice import selectors
from frontdesk.practice.choices import PayerType, PlanType

router = Router(tags=["practice"])


class LocationOut(Schema):
    id: str
    code: str
    name: str
    timezone: str
    phone: str
    fax: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    country: str
    place_of_service: str
    is_active: bool


class LocationList(Schema):
    items: list[LocationOut]
    count: int


class ProviderOut(Schema):
    id: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    credentials: str
    display_name: str
    npi: str
    taxonomy_code: str
    specialty: str
    location_ids: list[str]
    is_active: bool


class ProviderList(Schema):
    items: list[ProviderOut]
    count: int


class PlanOut(Schema):
    id: str
    name: str
    plan_type: PlanType
    requires_referral: bool
    is_active: bool


class PayerOut(Schema):
    id: str
    name: str
    payer_id: str
    payer_type: PayerType
    phone: str
    is_active: bool
    plans: list[PlanOut]


class PayerList(Schema):
    items: list[PayerOut]
    count: int


def _location(location: Any) -> dict[str, Any]:
    return {
        "id": str(location.pk),
        **{field: getattr(location, field) for field in LocationOut.model_fields if field != "id"},
    }


@router.get(
    "/locations",
    auth=requires(A.PRACTICE_VIEW),
    response={200: LocationList, **COMMON_ERRORS},
    summary="List the locations the caller works at",
    operation_id="location_list",
)
def location_list(request: HttpRequest) -> dict[str, Any]:
    """Locations in scope: those the caller is assigned to (practice-wide roles see all)."""
    items = [_location(location) for location in selectors.location_list(user=api_user(request))]
    return list_answer(items)


@router.get(
    "/locations/{location_id}",
    auth=requires(A.PRACTICE_VIEW),
    response={200: LocationOut, **READ_ERRORS},
    summary="Read one location",
    operation_id="location_get",
)
def location_get(request: HttpRequest, location_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """One location in scope; a location the caller is not assigned to answers 404."""
    return _location(selectors.location_get(user=api_user(request), location_id=location_id))


@router.get(
    "/providers",
    auth=requires(A.PRACTICE_VIEW),
    response={200: ProviderList, **COMMON_ERRORS},
    summary="List providers",
    operation_id="provider_list",
)
def provider_list(request: HttpRequest) -> dict[str, Any]:
    """Every provider of the practice with the ids of the locations they work at."""
    items = [
        {
            "id": str(provider.pk),
            "first_name": provider.first_name,
            "middle_name": provider.middle_name,
            "last_name": provider.last_name,
            "suffix": provider.suffix,
            "credentials": provider.credentials,
            "display_name": provider.display_name,
            "npi": provider.npi,
            "taxonomy_code": provider.taxonomy_code,
            "specialty": provider.specialty,
            "location_ids": sorted(
                (str(location.pk) for location in provider.locations.all()), key=int
            ),
            "is_active": provider.is_active,
        }
        for provider in selectors.provider_list(user=api_user(request))
    ]
    return list_answer(items)


@router.get(
    "/payers",
    auth=requires(A.PRACTICE_VIEW),
    response={200: PayerList, **COMMON_ERRORS},
    summary="List payers and their plans",
    operation_id="payer_list",
)
def payer_list(request: HttpRequest) -> dict[str, Any]:
    """Every payer with its plans (coverages name a payer id and, optionally, a plan id)."""
    payers = selectors.payer_list(user=api_user(request)).prefetch_related("plans")
    items = [
        {
            "id": str(payer.pk),
            "name": payer.name,
            "payer_id": payer.payer_id,
            "payer_type": payer.payer_type,
            "phone": payer.phone,
            "is_active": payer.is_active,
            "plans": [
                {
                    "id": str(plan.pk),
                    "name": plan.name,
                    "plan_type": plan.plan_type,
                    "requires_referral": plan.requires_referral,
                    "is_active": plan.is_active,
                }
                for plan in sorted(payer.plans.all(), key=lambda plan: (plan.name, plan.pk))
            ],
        }
        for payer in payers
    ]
    return list_answer(items)
