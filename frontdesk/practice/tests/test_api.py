# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""The practice reference-data API: locations (scoped to the caller's assignments), providers, payers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.audit.models import AuditEvent
from tests.factories import LocationFactory, PayerFactory, PlanFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _location_json(location) -> dict:
    return {
        "id": str(location.pk),
        "code": location.code,
        "name": location.name,
        "timezone": location.timezone,
        "phone": location.phone,
        "fax": location.fax,
        "address_line1": location.address_line1,
        "address_line2": location.address_line2,
        "city": location.city,
        "state": location.state,
        "postal_code": location.postal_code,
        "country": location.country,
        "place_of_service": location.place_of_service,
        "is_active": location.is_active,
    }


def test_locations_list_only_the_callers_locations() -> None:
    north = LocationFactory(name="North Clinic", timezone="America/Chicago", phone="+12025550100")
    south = LocationFactory(name="South Clinic")
    LocationFactory(name="West Clinic")
    caller = key_client_for(Role.FRONT_DESK, north, south)
    response = caller.get("/api/v1/locations")
    assert response.status_code == 200
    assert response.json() == {"items": [_location_json(north), _location_json(south)], "count": 2}


def test_practice_wide_roles_see_every_location() -> None:
    locations = [LocationFactory(name=f"Clinic {letter}") for letter in "ABC"]
    caller = key_client_for(Role.PRACTICE_MANAGER)
    response = caller.get("/api/v1/locations")
    assert response.json() == {"items": [_location_json(loc) for loc in locations], "count": 3}


def test_a_key_bound_to_no_location_sees_none() -> None:
    LocationFactory()
    caller = key_client_for(Role.FRONT_DESK)
    assert caller.get("/api/v1/locations").json() == {"items": [], "count": 0}


def test_one_location_in_and_out_of_scope() -> None:
    mine, other = LocationFactory(), LocationFactory()
    caller = key_client_for(Role.SCHEDULER, mine)
    assert caller.get(f"/api/v1/locations/{mine.pk}").json() == _location_json(mine)
    response = caller.get(f"/api/v1/locations/{other.pk}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_providers_answer_exact_json_with_location_ids() -> None:
    north, south = LocationFactory(), LocationFactory()
    doctor = ProviderFactory(first_name="Ada", last_name="Example", credentials="MD")
    doctor.locations.set([south, north])
    nurse_practitioner = ProviderFactory(
        first_name="Bo", last_name="Sample", credentials="", is_active=False
    )
    caller = key_client_for(Role.NURSE, north)
    response = caller.get("/api/v1/providers")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": str(doctor.pk),
                "first_name": "Ada",
                "middle_name": "",
                "last_name": "Example",
                "suffix": "",
                "credentials": "MD",
                "display_name": "Ada Example, MD",
                "npi": doctor.npi,
                "taxonomy_code": "207Q00000X",
                "specialty": "Family Medicine",
                "location_ids": sorted([str(north.pk), str(south.pk)], key=int),
                "is_active": True,
            },
            {
                "id": str(nurse_practitioner.pk),
                "first_name": "Bo",
                "middle_name": "",
                "last_name": "Sample",
                "suffix": "",
                "credentials": "",
                "display_name": "Bo Sample",
                "npi": nurse_practitioner.npi,
                "taxonomy_code": "207Q00000X",
                "specialty": "Family Medicine",
                "location_ids": [],
                "is_active": False,
            },
        ],
        "count": 2,
    }


def test_payers_answer_exact_json_with_plans() -> None:
    acme = PayerFactory(name="Acme Health (synthetic)", payer_id="ACME1", payer_type="commercial")
    gold = PlanFactory(payer=acme, name="Gold PPO", plan_type="12")
    bronze = PlanFactory(payer=acme, name="Bronze HMO", plan_type="HM", requires_referral=True)
    medicare = PayerFactory(name="Medicare (synthetic)", payer_id="MCR01", payer_type="medicare")
    caller = key_client_for(Role.BILLING)
    response = caller.get("/api/v1/payers")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": str(acme.pk),
                "name": "Acme Health (synthetic)",
                "payer_id": "ACME1",
                "payer_type": "commercial",
                "phone": "",
                "is_active": True,
                "plans": [
                    {
                        "id": str(bronze.pk),
                        "name": "Bronze HMO",
                        "plan_type": "HM",
                        "requires_referral": True,
                        "is_active": True,
                    },
                    {
                        "id": str(gold.pk),
                        "name": "Gold PPO",
                        "plan_type": "12",
                        "requires_referral": False,
                        "is_active": True,
                    },
                ],
            },
            {
                "id": str(medicare.pk),
                "name": "Medicare (synthetic)",
                "payer_id": "MCR01",
                "payer_type": "medicare",
                "phone": "",
                "is_active": True,
                "plans": [],
            },
        ],
        "count": 2,
    }


def test_reference_data_reads_are_not_audited() -> None:
    LocationFactory()
    caller = key_client_for(Role.PRACTICE_MANAGER)
    before = AuditEvent.objects.count()
    for path in ("/api/v1/locations", "/api/v1/providers", "/api/v1/payers"):
        assert caller.get(path).status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("path", ["/api/v1/locations", "/api/v1/providers", "/api/v1/payers"])
def test_lists_run_a_constant_number_of_queries(path) -> None:
    caller = key_client_for(Role.PRACTICE_MANAGER)

    def grow() -> None:
        location = LocationFactory()
        ProviderFactory().locations.set([location])
        PlanFactory()

    grow()
    caller.get(path)  # warm up
    with CaptureQueriesContext(connection) as small:
        caller.get(path)
    for _ in range(4):
        grow()
    with CaptureQueriesContext(connection) as large:
        assert caller.get(path).json()["count"] == 5
    assert len(large) == len(small)
