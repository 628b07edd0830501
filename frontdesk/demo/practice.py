"""The demo practice's fixed part: organization, locations, hours, rooms, equipment, providers, payers,
plans and staff logins.

It does not depend on the seed and is written with ``update_or_create`` on natural keys, so running it
twice leaves one copy (and puts the demo passwords back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.demo.names import PROVIDER_SPECIALTIES
from frontdesk.practice.choices import PayerType, PlanType, RoomKind
from frontdesk.practice.models import (
    Equipment,
    Location,
    OpeningHours,
    Organization,
    Payer,
    Plan,
    Provider,
    Room,
    StaffLocation,
)
from frontdesk.standards import npi

DEMO_ORGANIZATION_NAME = "Lakeside Family Health (synthetic demo)"


@dataclass(frozen=True)
class DemoLogin:
    """A staff login of the demo practice; the password is public on purpose (demo only)."""

    username: str
    password: str
    role: str
    first_name: str
    last_name: str
    location_codes: tuple[str, ...]


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("frontdesk", "demo-frontdesk-2026", Role.FRONT_DESK, "Fran", "Deskworth", ("alb",)),
    DemoLogin(
        "frontdesk.chicago", "demo-frontdesk-chi-2026", Role.FRONT_DESK, "Chip", "Deskley", ("chi",)
    ),
    DemoLogin(
        "scheduler",
        "demo-scheduler-2026",
        Role.SCHEDULER,
        "Sky",
        "Calendarson",
        ("alb", "buf", "chi"),
    ),
    DemoLogin("billing", "demo-billing-2026", Role.BILLING, "Bill", "Ledgerman", ("alb", "buf")),
    DemoLogin("nurse", "demo-nurse-2026", Role.NURSE, "Nora", "Triageton", ("alb",)),
    DemoLogin("provider", "demo-provider-2026", Role.PROVIDER, "Avery", "Testwell", ("alb", "buf")),
    DemoLogin(
        "manager",
        "demo-manager-2026",
        Role.PRACTICE_MANAGER,
        "Max",
        "Managerby",
        ("alb", "buf", "chi"),
    ),
    DemoLogin("privacy", "demo-privacy-2026", Role.PRIVACY_OFFICER, "Priya", "Guardley", ()),
    DemoLogin("admin", "demo-admin-2026", Role.ADMIN, "Ada", "Adminson", ()),
)


@dataclass(frozen=True)
class _LocationSpec:
    code: str
    name: str
    timezone: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    area_code: str
    hours: tuple[tuple[int, str, str], ...]  # (weekday, opens, closes)
    rooms: tuple[tuple[str, str], ...]  # (name, kind)
    equipment: tuple[tuple[str, str], ...]  # (name, kind)


_WEEKDAYS = (0, 1, 2, 3, 4)
LOCATIONS: tuple[_LocationSpec, ...] = (
    _LocationSpec(
        code="alb",
        name="Lakeside Albany",
        timezone="America/New_York",
        address_line1="100 Sample Street",
        city="Albany",
        state="NY",
        postal_code="12207",
        area_code="518",
        hours=(*((day, "08:00", "17:00") for day in _WEEKDAYS), (5, "09:00", "12:00")),
        rooms=(
            ("Exam 1", RoomKind.EXAM),
            ("Exam 2", RoomKind.EXAM),
            ("Exam 3", RoomKind.EXAM),
            ("Exam 4", RoomKind.EXAM),
            ("Exam 5", RoomKind.EXAM),
            ("Procedure 1", RoomKind.PROCEDURE),
            ("Lab", RoomKind.LAB),
        ),
        equipment=(("ECG machine", "ecg"), ("Spirometer", "spirometer")),
    ),
    _LocationSpec(
        code="buf",
        name="Lakeside Buffalo",
        timezone="America/New_York",
        address_line1="200 Example Avenue",
        city="Buffalo",
        state="NY",
        postal_code="14202",
        area_code="716",
        # A split shift: closed over lunch.
        hours=tuple(
            slot for day in _WEEKDAYS for slot in ((day, "07:30", "12:00"), (day, "13:00", "18:00"))
        ),
        rooms=(
            ("Exam 1", RoomKind.EXAM),
            ("Exam 2", RoomKind.EXAM),
            ("Exam 3", RoomKind.EXAM),
            ("Consult", RoomKind.CONSULT),
            ("Lab", RoomKind.LAB),
        ),
        equipment=(("ECG machine", "ecg"),),
    ),
    _LocationSpec(
        code="chi",
        name="Lakeside Chicago",
        timezone="America/Chicago",
        address_line1="300 Test Lane",
        city="Chicago",
        state="IL",
        postal_code="60601",
        area_code="312",
        hours=(*((day, "08:00", "18:00") for day in (0, 1, 2, 3)), (4, "08:00", "14:00")),
        rooms=(
            ("Exam 1", RoomKind.EXAM),
            ("Exam 2", RoomKind.EXAM),
            ("Exam 3", RoomKind.EXAM),
            ("Exam 4", RoomKind.EXAM),
            ("Procedure 1", RoomKind.PROCEDURE),
            ("Imaging 1", RoomKind.IMAGING),
            ("Telehealth booth", RoomKind.TELEHEALTH),
        ),
        equipment=(
            ("Ultrasound", "ultrasound"),
            ("ECG machine", "ecg"),
            ("Spirometer", "spirometer"),
        ),
    ),
)


@dataclass(frozen=True)
class _PlanSpec:
    name: str
    plan_type: str
    requires_referral: bool = False
    # Copays printed on the card: primary care / specialist / urgent care / emergency ("" = none).
    copays: str = ""

    def copay_fields(self) -> dict[str, Decimal | None]:
        amounts = [Decimal(part) for part in self.copays.split("/")] if self.copays else []
        names = ("copay_primary_care", "copay_specialist", "copay_urgent_care", "copay_emergency")
        return {name: (amounts[i] if amounts else None) for i, name in enumerate(names)}


@dataclass(frozen=True)
class _PayerSpec:
    payer_id: str
    name: str
    payer_type: str
    member_prefix: str
    plans: tuple[_PlanSpec, ...]


PAYERS: tuple[_PayerSpec, ...] = (
    _PayerSpec(
        "DMCR1",
        "Medicare Part B (demo jurisdiction)",
        PayerType.MEDICARE,
        "",
        (_PlanSpec("Medicare Part B", PlanType.MEDICARE_PART_B),),
    ),
    _PayerSpec(
        "DMCD1",
        "Demo State Medicaid",
        PayerType.MEDICAID,
        "",
        (_PlanSpec("Medicaid fee-for-service", PlanType.MEDICAID),),
    ),
    _PayerSpec(
        "DMCD2",
        "Sampleton Community Medicaid Plan",
        PayerType.MEDICAID,
        "SCM",
        (
            _PlanSpec(
                "Medicaid managed care",
                PlanType.HMO,
                requires_referral=True,
                copays="0/0/0/0",
            ),
        ),
    ),
    _PayerSpec(
        "DBS01",
        "Example Blue Shield",
        PayerType.COMMERCIAL,
        "EBS",
        (
            _PlanSpec("Gold PPO", PlanType.PPO, copays="20/40/50/250"),
            _PlanSpec(
                "Silver HMO",
                PlanType.HMO,
                requires_referral=True,
                copays="30/60/75/350",
            ),
            _PlanSpec("Bronze HDHP", PlanType.HDHP),
        ),
    ),
    _PayerSpec(
        "DTW01",
        "Testwell Health",
        PayerType.COMMERCIAL,
        "TWH",
        (
            _PlanSpec("Choice POS", PlanType.POS, copays="25/50/60/300"),
            _PlanSpec("Select EPO", PlanType.EPO, copays="15/35/50/250"),
        ),
    ),
    _PayerSpec(
        "DMM01",
        "Mockingbird Mutual Insurance",
        PayerType.COMMERCIAL,
        "MMI",
        (
            _PlanSpec("Classic Indemnity", PlanType.INDEMNITY),
            _PlanSpec("Open Access PPO", PlanType.PPO, copays="25/45/60/300"),
        ),
    ),
    _PayerSpec(
        "DMA01",
        "Democare Advantage",
        PayerType.MEDICARE_ADVANTAGE,
        "DCA",
        (
            _PlanSpec(
                "Advantage HMO",
                PlanType.HMO,
                requires_referral=True,
                copays="0/35/40/90",
            ),
            _PlanSpec("Advantage PPO", PlanType.PPO, copays="10/45/50/120"),
        ),
    ),
    _PayerSpec(
        "DMA02",
        "Placeholder Senior Advantage",
        PayerType.MEDICARE_ADVANTAGE,
        "PSA",
        (_PlanSpec("Senior PPO", PlanType.PPO, copays="5/40/45/100"),),
    ),
    _PayerSpec(
        "DWC01",
        "Fictional Workers' Comp Mutual",
        PayerType.WORKERS_COMP,
        "WC",
        (_PlanSpec("Workers' compensation", PlanType.OTHER),),
    ),
    _PayerSpec("SELF1", "Self-pay", PayerType.SELF_PAY, "", ()),
)


@dataclass
class DemoPractice:
    """What the patient generator needs from the practice part."""

    organization: Organization
    locations: list[Location]
    payers: dict[str, Payer]  # by payer_id
    plans: dict[str, list[Plan]]  # by payer_id
    logins: tuple[DemoLogin, ...]


def _time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _phone(area_code: str, line: int) -> str:
    return f"+1{area_code}55501{line:02d}"


def build_practice() -> DemoPractice:
    """Create (or bring back to its defined state) the demo practice; call inside a transaction."""
    organization, _ = Organization.objects.update_or_create(
        name=DEMO_ORGANIZATION_NAME,
        defaults={
            "npi": npi.make("234567890"),
            "tax_id": "99-0000001",
            "phone": _phone("518", 0),
            "address_line1": "100 Sample Street",
            "city": "Albany",
            "state": "NY",
            "postal_code": "12207-2701",  # claims need the billing provider's 9-digit ZIP
        },
    )
    locations: list[Location] = []
    for index, spec in enumerate(LOCATIONS):
        location, _ = Location.objects.update_or_create(
            code=spec.code,
            defaults={
                "organization": organization,
                "name": spec.name,
                "timezone": spec.timezone,
                "address_line1": spec.address_line1,
                "city": spec.city,
                "state": spec.state,
                "postal_code": spec.postal_code,
                "phone": _phone(spec.area_code, 10 + index),
                "fax": _phone(spec.area_code, 20 + index),
                "npi": npi.make(f"2345679{index:02d}"),
                "is_active": True,
            },
        )
        OpeningHours.objects.filter(location=location).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(
                location=location, weekday=weekday, opens_at=_time(opens), closes_at=_time(closes)
            )
            for weekday, opens, closes in spec.hours
        )
        for name, kind in spec.rooms:
            Room.objects.update_or_create(location=location, name=name, defaults={"kind": kind})
        for name, kind in spec.equipment:
            Equipment.objects.update_or_create(
                location=location, name=name, defaults={"kind": kind}
            )
        locations.append(location)

    payers: dict[str, Payer] = {}
    plans: dict[str, list[Plan]] = {}
    for index, payer_spec in enumerate(PAYERS):
        payer, _ = Payer.objects.update_or_create(
            payer_id=payer_spec.payer_id,
            defaults={
                "name": payer_spec.name,
                "payer_type": payer_spec.payer_type,
                "phone": _phone("800", 30 + index),
                "is_active": True,
            },
        )
        payers[payer.payer_id] = payer
        plans[payer.payer_id] = []
        for plan_spec in payer_spec.plans:
            plan, _ = Plan.objects.update_or_create(
                payer=payer,
                name=plan_spec.name,
                defaults={
                    "plan_type": plan_spec.plan_type,
                    "requires_referral": plan_spec.requires_referral,
                },
            )
            plans[payer.payer_id].append(plan)

    users = _build_users(locations)
    _build_providers(locations, provider_user=users["provider"])
    return DemoPractice(
        organization=organization,
        locations=locations,
        payers=payers,
        plans=plans,
        logins=DEMO_LOGINS,
    )


def _build_users(locations: list[Location]) -> dict[str, User]:
    by_code = {location.code: location for location in locations}
    users: dict[str, User] = {}
    for login in DEMO_LOGINS:
        user, _ = User.objects.update_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "email": f"{login.username}@example.com",
                "role": login.role,
                "is_active": True,
                "password": make_password(login.password),
            },
        )
        StaffLocation.objects.filter(user=user).exclude(
            location__code__in=login.location_codes
        ).delete()
        for code in login.location_codes:
            StaffLocation.objects.get_or_create(user=user, location=by_code[code])
        users[login.username] = user
    return users


_PROVIDER_NAMES = (
    ("Avery", "Testwell"),
    ("Jordan", "Sampleford"),
    ("Morgan", "Exampleton"),
    ("Casey", "Demoski"),
    ("Riley", "Mockwood"),
    ("Quinn", "Fictionley"),
    ("Taylor", "Synthberg"),
    ("Harper", "Pseudoman"),
    ("Rowan", "Trialdale"),
    ("Emerson", "Protoworth"),
    ("Sage", "Stubfield"),
    ("Reese", "Draftmore"),
)


def _build_providers(locations: list[Location], *, provider_user: User) -> list[Provider]:
    providers: list[Provider] = []
    for index, ((first, last), (taxonomy, specialty, credentials)) in enumerate(
        zip(_PROVIDER_NAMES, PROVIDER_SPECIALTIES, strict=True)
    ):
        # NPIs 1990000xx are not assigned to anyone real in our demo's world; the check digit is valid.
        provider, _ = Provider.objects.update_or_create(
            npi=npi.make(f"19900{index:04d}"),
            defaults={
                "first_name": first,
                "last_name": last,
                "credentials": credentials,
                "taxonomy_code": taxonomy,
                "specialty": specialty,
                "user": provider_user if index == 0 else None,
                "is_active": True,
            },
        )
        # Each provider works at one location; every third also covers the next one.
        home = locations[index % len(locations)]
        assigned = [home]
        if index % 3 == 0:
            assigned.append(locations[(index + 1) % len(locations)])
        provider.locations.set(assigned)
        providers.append(provider)
    return providers
