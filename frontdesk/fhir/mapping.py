"""Map FrontDesk's practice and patient models to FHIR R4 US Core resources (as JSON-ready dicts).

The models were designed field-for-field against US Core Patient, Coverage, Practitioner, Organization
and Location, so each function here is a mapping, not a translation layer. Minimum necessary: the SSN is
never exported.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from frontdesk.patients.choices import GenderIdentity, SubscriberRelationship
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Location, Organization, Payer, Provider

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
EIN_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"
MRN_SYSTEM = "urn:frontdesk:mrn"
PAYER_ID_SYSTEM = "urn:frontdesk:payer-id"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
SNOMED = "http://snomed.info/sct"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"

_ADMINISTRATIVE_GENDER_FROM_IDENTITY: dict[str, str] = {
    GenderIdentity.FEMALE: "female",
    GenderIdentity.MALE: "male",
    GenderIdentity.NON_BINARY: "other",
    GenderIdentity.OTHER: "other",
}
_ADMINISTRATIVE_GENDER_FROM_SEX = {"F": "female", "M": "male", "UNK": "unknown"}

# X12 individual relationship code -> http://terminology.hl7.org/CodeSystem/subscriber-relationship
_SUBSCRIBER_RELATIONSHIP = {
    SubscriberRelationship.SELF: "self",
    SubscriberRelationship.SPOUSE: "spouse",
    SubscriberRelationship.CHILD: "child",
    SubscriberRelationship.LIFE_PARTNER: "common",
    SubscriberRelationship.EMPLOYEE: "other",
    SubscriberRelationship.UNKNOWN: "other",
    SubscriberRelationship.ORGAN_DONOR: "other",
    SubscriberRelationship.CADAVER_DONOR: "other",
    SubscriberRelationship.OTHER: "other",
}

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _address(obj: Any) -> list[dict[str, Any]]:
    lines = [line for line in (obj.address_line1, obj.address_line2) if line]
    address = {
        "use": "home" if isinstance(obj, Patient) else "work",
        "line": lines,
        "city": obj.city,
        "state": obj.state,
        "postalCode": obj.postal_code,
        "country": obj.country,
    }
    compact = {key: value for key, value in address.items() if value}
    return [compact] if lines or obj.city or obj.postal_code else []


def _money(amount: Decimal) -> dict[str, Any]:
    return {"value": float(amount), "currency": "USD"}


def patient_resource(patient: Patient) -> dict[str, Any]:
    """US Core Patient; phones and coverages come from the (prefetched) related rows."""
    names: list[dict[str, Any]] = [
        {
            "use": "official",
            "family": patient.last_name,
            "given": [part for part in (patient.first_name, patient.middle_name) if part],
            **({"prefix": [patient.prefix]} if patient.prefix else {}),
            **({"suffix": [patient.suffix]} if patient.suffix else {}),
        }
    ]
    if patient.preferred_name:
        names.append(
            {"use": "usual", "family": patient.last_name, "given": [patient.preferred_name]}
        )
    if patient.previous_last_name:
        names.append(
            {"use": "old", "family": patient.previous_last_name, "given": [patient.first_name]}
        )
    telecom: list[dict[str, Any]] = [
        {"system": "phone", "value": phone.number, "use": phone.phone_type, "rank": phone.rank}
        for phone in patient.phones.all()
    ]
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    gender = _ADMINISTRATIVE_GENDER_FROM_IDENTITY.get(
        patient.gender_identity,
        _ADMINISTRATIVE_GENDER_FROM_SEX.get(patient.sex_at_birth, "unknown"),
    )
    extensions: list[dict[str, Any]] = [
        {"url": f"{US_CORE}/us-core-birthsex", "valueCode": patient.sex_at_birth}
    ]
    if patient.gender_identity:
        system = NULL_FLAVOR if patient.gender_identity in {"ASKU", "UNK", "OTH"} else SNOMED
        extensions.append(
            {
                "url": f"{US_CORE}/us-core-genderIdentity",
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": system,
                            "code": patient.gender_identity,
                            "display": patient.get_gender_identity_display(),
                        }
                    ]
                },
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"profile": [f"{US_CORE}/us-core-patient"]},
        "extension": extensions,
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {"system": V2_0203, "code": "MR", "display": "Medical record number"}
                    ]
                },
                "system": MRN_SYSTEM,
                "value": patient.mrn,
            }
        ],
        "active": patient.is_active and patient.merged_into_id is None,
        "name": names,
        "telecom": telecom,
        "gender": gender,
        "birthDate": patient.date_of_birth.isoformat(),
        "address": _address(patient),
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": patient.preferred_language}]
                },
                "preferred": True,
            }
        ],
    }
    if patient.deceased_on:
        resource["deceasedDateTime"] = patient.deceased_on.isoformat()
    if patient.emergency_contact_name:
        contact: dict[str, Any] = {
            "relationship": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}
                    ]
                }
            ],
            "name": {"text": patient.emergency_contact_name},
        }
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    if patient.merged_into_id is not None:
        resource["link"] = [
            {"other": {"reference": f"Patient/{patient.merged_into_id}"}, "type": "replaced-by"}
        ]
    return resource


def coverage_resource(coverage: Coverage) -> dict[str, Any]:
    """FHIR Coverage (US Core 6 profile) for one of a patient's insurance policies."""
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": str(coverage.pk),
        "meta": {"profile": [f"{US_CORE}/us-core-coverage"]},
        "status": coverage.status,
        "subscriberId": coverage.member_id,
        "beneficiary": {"reference": f"Patient/{coverage.patient_id}"},
        "relationship": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                    "code": _SUBSCRIBER_RELATIONSHIP[SubscriberRelationship(coverage.relationship)],
                }
            ]
        },
        "payor": [
            {"reference": f"Organization/payer-{coverage.payer_id}", "display": coverage.payer.name}
        ],
        "order": coverage.priority,
    }
    identifiers = [
        {
            "type": {"coding": [{"system": V2_0203, "code": "MB", "display": "Member Number"}]},
            "value": coverage.member_id,
        }
    ]
    resource["identifier"] = identifiers
    if coverage.relationship == SubscriberRelationship.SELF:
        resource["subscriber"] = {"reference": f"Patient/{coverage.patient_id}"}
    elif coverage.subscriber_patient_id:
        resource["subscriber"] = {"reference": f"Patient/{coverage.subscriber_patient_id}"}
    elif coverage.subscriber_last_name:
        resource["subscriber"] = {
            "display": f"{coverage.subscriber_first_name} {coverage.subscriber_last_name}".strip()
        }
    period = {}
    if coverage.effective_on:
        period["start"] = coverage.effective_on.isoformat()
    if coverage.terminates_on:
        period["end"] = coverage.terminates_on.isoformat()
    if period:
        resource["period"] = period
    classes = []
    class_system = "http://terminology.hl7.org/CodeSystem/coverage-class"
    if coverage.group_number:
        classes.append(
            {
                "type": {"coding": [{"system": class_system, "code": "group"}]},
                "value": coverage.group_number,
            }
        )
    if coverage.plan_id:
        classes.append(
            {
                "type": {"coding": [{"system": class_system, "code": "plan"}]},
                "value": str(coverage.plan_id),
                "name": coverage.plan.name if coverage.plan else "",
            }
        )
    if classes:
        resource["class"] = classes
    copays = [
        ("gpvisit", coverage.copay_primary_care),
        ("spvisit", coverage.copay_specialist),
        ("urgentcare", coverage.copay_urgent_care),
        ("emergency", coverage.copay_emergency),
    ]
    cost = [
        {
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/coverage-copay-type",
                        "code": code,
                    }
                ]
            },
            "valueMoney": _money(amount),
        }
        for code, amount in copays
        if amount is not None
    ]
    if cost:
        resource["costToBeneficiary"] = cost
    return resource


def practitioner_resource(provider: Provider) -> dict[str, Any]:
    """US Core Practitioner, identified by NPI."""
    name: dict[str, Any] = {
        "family": provider.last_name,
        "given": [part for part in (provider.first_name, provider.middle_name) if part],
    }
    if provider.suffix or provider.credentials:
        name["suffix"] = [part for part in (provider.suffix, provider.credentials) if part]
    return {
        "resourceType": "Practitioner",
        "id": str(provider.pk),
        "meta": {"profile": [f"{US_CORE}/us-core-practitioner"]},
        "identifier": [{"system": NPI_SYSTEM, "value": provider.npi}],
        "active": provider.is_active,
        "name": [name],
    }


def organization_resource(organization: Organization) -> dict[str, Any]:
    """US Core Organization for the practice (group NPI, EIN)."""
    identifiers = []
    if organization.npi:
        identifiers.append({"system": NPI_SYSTEM, "value": organization.npi})
    if organization.tax_id:
        identifiers.append({"system": EIN_SYSTEM, "value": organization.tax_id})
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(organization.pk),
        "meta": {"profile": [f"{US_CORE}/us-core-organization"]},
        "identifier": identifiers,
        "active": True,
        "name": organization.name,
        "address": _address(organization),
    }
    if organization.phone:
        resource["telecom"] = [{"system": "phone", "value": organization.phone}]
    return resource


def payer_resource(payer: Payer) -> dict[str, Any]:
    """A payer as a FHIR Organization of type 'pay' (the Coverage.payor target)."""
    return {
        "resourceType": "Organization",
        "id": f"payer-{payer.pk}",
        "meta": {"profile": [f"{US_CORE}/us-core-organization"]},
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer.payer_id}],
        "active": payer.is_active,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "pay",
                    }
                ]
            }
        ],
        "name": payer.name,
    }


def location_resource(location: Location) -> dict[str, Any]:
    """US Core Location with its opening hours."""
    hours = [
        {
            "daysOfWeek": [_WEEKDAYS[interval.weekday]],
            "openingTime": interval.opens_at.strftime("%H:%M:%S"),
            "closingTime": interval.closes_at.strftime("%H:%M:%S"),
        }
        for interval in location.opening_hours.all()
    ]
    telecom = [{"system": "phone", "value": location.phone}] if location.phone else []
    if location.fax:
        telecom.append({"system": "fax", "value": location.fax})
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(location.pk),
        "meta": {"profile": [f"{US_CORE}/us-core-location"]},
        "status": "active" if location.is_active else "inactive",
        "name": location.name,
        "telecom": telecom,
        "address": _address(location)[0] if _address(location) else None,
        "managingOrganization": {"reference": f"Organization/{location.organization_id}"},
        "hoursOfOperation": hours,
    }
    if location.npi:
        resource["identifier"] = [{"system": NPI_SYSTEM, "value": location.npi}]
    return {key: value for key, value in resource.items() if value not in (None, [], "")}
