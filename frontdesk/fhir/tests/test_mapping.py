"""Every mapped resource validates against the FHIR R4 models of fhir.resources (a validator we did not write)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.organization import Organization as FhirOrganization
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner

from frontdesk.fhir import mapping
from frontdesk.practice.models import OpeningHours
from tests.factories import (
    CoverageFactory,
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PatientPhoneFactory,
    PayerFactory,
    PlanFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db


def test_patient_maps_to_valid_us_core_patient_without_ssn():
    patient = PatientFactory(
        first_name="Robert",
        middle_name="Q",
        last_name="Testperson",
        preferred_name="Bob",
        date_of_birth=dt.date(1960, 1, 2),
        sex_at_birth="M",
        gender_identity="446151000124109",
        ssn="123456789",
        ssn_last4="6789",
        email="bob.testperson@example.com",
        address_line1="10 Example St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        preferred_language="es",
        emergency_contact_name="Alice Testperson",
        emergency_contact_phone="+12025550111",
    )
    PatientPhoneFactory(
        patient=patient, number="+12025550123", digits="2025550123", phone_type="mobile"
    )

    resource = mapping.patient_resource(patient)
    FhirPatient.model_validate(resource)

    assert resource["gender"] == "male"
    assert resource["birthDate"] == "1960-01-02"
    assert resource["identifier"][0]["value"] == patient.mrn
    assert [n["use"] for n in resource["name"]] == ["official", "usual"]
    assert resource["name"][1]["given"] == ["Bob"]
    assert resource["telecom"] == [
        {"system": "phone", "value": "+12025550123", "use": "mobile", "rank": 1},
        {"system": "email", "value": "bob.testperson@example.com"},
    ]
    assert resource["extension"][0] == {
        "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
        "valueCode": "M",
    }
    assert "6789" not in str(resource)


def test_merged_patient_links_to_survivor():
    survivor = PatientFactory()
    merged = PatientFactory(merged_into=survivor, is_active=False)
    resource = mapping.patient_resource(merged)
    FhirPatient.model_validate(resource)
    assert resource["active"] is False
    assert resource["link"] == [
        {"other": {"reference": f"Patient/{survivor.pk}"}, "type": "replaced-by"}
    ]


def test_coverage_maps_with_relationship_period_class_and_copays():
    payer = PayerFactory(name="Example Mutual")
    plan = PlanFactory(payer=payer, name="Silver HMO")
    coverage = CoverageFactory(
        payer=payer,
        plan=plan,
        member_id="XM123",
        group_number="GRP-9",
        relationship="19",
        subscriber_first_name="Pat",
        subscriber_last_name="Testparent",
        effective_on=dt.date(2026, 1, 1),
        terminates_on=dt.date(2026, 12, 31),
        copay_primary_care=Decimal("25.00"),
    )
    resource = mapping.coverage_resource(coverage)
    FhirCoverage.model_validate(resource)
    assert resource["relationship"]["coding"][0]["code"] == "child"
    assert resource["period"] == {"start": "2026-01-01", "end": "2026-12-31"}
    assert [c["value"] for c in resource["class"]] == ["GRP-9", str(plan.pk)]
    assert resource["costToBeneficiary"][0]["valueMoney"] == {"value": 25.0, "currency": "USD"}
    assert resource["subscriber"] == {"display": "Pat Testparent"}


def test_practice_resources_validate():
    organization = OrganizationFactory(tax_id="123456789", phone="+12025550100")
    location = LocationFactory(organization=organization, phone="+12025550101", fax="+12025550102")
    OpeningHours.objects.create(
        location=location, weekday=0, opens_at=dt.time(8), closes_at=dt.time(17)
    )
    provider = ProviderFactory(credentials="MD")
    payer = PayerFactory()

    FhirOrganization.model_validate(mapping.organization_resource(organization))
    FhirOrganization.model_validate(mapping.payer_resource(payer))
    FhirPractitioner.model_validate(mapping.practitioner_resource(provider))
    location_json = mapping.location_resource(location)
    FhirLocation.model_validate(location_json)
    assert location_json["hoursOfOperation"] == [
        {"daysOfWeek": ["mon"], "openingTime": "08:00:00", "closingTime": "17:00:00"}
    ]
    assert mapping.practitioner_resource(provider)["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": provider.npi}
    ]
