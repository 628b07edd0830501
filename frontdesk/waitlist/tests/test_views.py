"""The waitlist screens (entries, offers, accept / decline for a patient) and the patient's public offer
page: per role, bad input, audit rows, no PHI on the public page, first accept wins."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from frontdesk.waitlist.tests.conftest import NOW, monday
from tests.factories import LocationFactory, PatientFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def staff(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def audit_rows(before: int) -> list[tuple[str, str, str, int | None, int | None]]:
    return [
        (
            r["action"],
            r["object_type"],
            r["detail"].get("event", ""),
            r["patient_id"],
            r["actor_id"],
        )
        for r in AuditEvent.objects.order_by("sequence")[before:].values(
            "action", "object_type", "detail", "patient_id", "actor_id"
        )
    ]


def _patient(**fields):
    values = {
        "first_name": "Wanda",
        "last_name": "Zzwaitlister",
        "date_of_birth": dt.date(1971, 3, 14),
        "mrn": "T7770001",
    }
    values.update(fields)
    return PatientFactory(**values)


# --- entries ---------------------------------------------------------------------------------------


def test_entries_list_shows_this_locations_waiting_patients_and_is_audited(clinic, make_entry):
    mine = make_entry(patient=_patient(), earliest_time=dt.time(9), latest_time=dt.time(12))
    other_place = LocationFactory()
    make_entry(patient=_patient(last_name="Zzelsewhere", mrn="T7770002"), location=other_place)
    make_entry(patient=_patient(last_name="Zzcancelled", mrn="T7770003"), status="cancelled")
    before = AuditEvent.objects.count()

    response = staff(clinic.clerk).get(reverse("waitlist:entries"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Zzwaitlister, W. · MRN T7770001" in page
    assert "any clinician; any location; 09:00-12:00" in page
    assert f'data-entry="{mine.pk}"' in page
    assert "Zzelsewhere" not in page
    assert "Zzcancelled" not in page  # default filter: waiting or offered
    assert "1 entry." in page
    assert audit_rows(before) == [("query", "waitlist_entry", "", None, clinic.clerk.pk)]


def test_entries_filter_by_status_shows_closed_entries(clinic, make_entry):
    make_entry(patient=_patient(last_name="Zzcancelled"), status="cancelled")

    page = staff(clinic.clerk).get(reverse("waitlist:entries"), {"status": "cancelled"})

    assert "Zzcancelled, W." in page.content.decode()


def test_entries_bad_filter_is_400(clinic):
    response = staff(clinic.clerk).get(reverse("waitlist:entries"), {"status": "nonsense"})
    assert response.status_code == 400


@pytest.mark.parametrize("role", [Role.BILLING, Role.NURSE, Role.PROVIDER, Role.ADMIN])
def test_roles_without_waitlist_manage_are_refused(clinic, make_entry, role):
    user = UserFactory(role=role)
    assign(user, clinic.location)
    entry = make_entry()
    client = staff(user)
    assert client.get(reverse("waitlist:entries")).status_code == 403
    assert client.get(reverse("waitlist:offers")).status_code == 403
    response = client.post(reverse("waitlist:entry_cancel", args=[entry.pk]))
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == "active"


def _form(clinic, **overrides):
    data = {
        "patient": str(clinic.patient.pk),
        "appointment_type": str(clinic.type.pk),
        "location": str(clinic.location.pk),
        "providers": [str(clinic.provider.pk)],
        "weekdays": ["0", "2"],
        "earliest_time": "09:00",
        "latest_time": "12:00",
        "available_from": "",
        "wanted_before": "2026-12-31",
        "priority": "3",
        "note": "Prefers mornings",
    }
    data.update(overrides)
    return data


def test_add_entry(clinic):
    before = AuditEvent.objects.count()

    response = staff(clinic.clerk).post(reverse("waitlist:entry_add"), _form(clinic))

    assert response.status_code == 302
    assert response["Location"] == reverse("waitlist:entries")
    entry = WaitlistEntry.objects.get()
    assert (
        entry.patient_id,
        entry.location_id,
        entry.appointment_type_id,
        [p.pk for p in entry.providers.all()],
        entry.weekdays,
        entry.earliest_time,
        entry.latest_time,
        entry.wanted_before,
        entry.priority,
        entry.note,
        entry.status,
        entry.created_by_id,
    ) == (
        clinic.patient.pk,
        clinic.location.pk,
        clinic.type.pk,
        [clinic.provider.pk],
        [0, 2],
        dt.time(9),
        dt.time(12),
        dt.date(2026, 12, 31),
        3,
        "Prefers mornings",
        "active",
        clinic.clerk.pk,
    )
    assert audit_rows(before) == [
        ("create", "waitlist_entry", "waitlist_entry_created", clinic.patient.pk, clinic.clerk.pk)
    ]


def test_add_entry_from_the_patient_page_preselects_the_patient(clinic):
    response = staff(clinic.clerk).get(
        reverse("waitlist:entry_add"), {"patient": clinic.patient.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="patient" value="{clinic.patient.pk}" checked' in page


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"patient": ""}, "Search for and pick a patient."),
        ({"patient": "999999"}, "Search for and pick a patient."),
        ({"appointment_type": ""}, "This field is required."),
        ({"latest_time": "08:00"}, "Latest time must be after earliest time."),
        ({"wanted_before": "2026-11-30"}, "Pick a date after today."),
        ({"priority": "12"}, "Ensure this value is less than or equal to 9."),
        ({"weekdays": ["8"]}, "Select a valid choice. 8 is not one of the available choices."),
    ],
)
def test_add_entry_bad_input_shows_the_error_and_writes_nothing(clinic, overrides, field_error):
    before = AuditEvent.objects.count()

    response = staff(clinic.clerk).post(reverse("waitlist:entry_add"), _form(clinic, **overrides))

    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert WaitlistEntry.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_add_entry_at_a_location_not_mine_is_refused(clinic):
    elsewhere = LocationFactory()
    response = staff(clinic.clerk).post(
        reverse("waitlist:entry_add"), _form(clinic, location=str(elsewhere.pk))
    )
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert WaitlistEntry.objects.count() == 0


def test_patient_pick_lists_matches(clinic):
    _patient()
    response = staff(clinic.clerk).post(reverse("waitlist:patient_pick"), {"q": "Zzwaitlister"})
    assert response.status_code == 200
    assert "Zzwaitlister, W. · MRN T7770001 · born 03/14/1971" in response.content.decode()


def test_cancel_entry(clinic, make_entry):
    entry = make_entry()
    before = AuditEvent.objects.count()

    response = staff(clinic.clerk).post(reverse("waitlist:entry_cancel", args=[entry.pk]))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "cancelled"
    assert audit_rows(before) == [
        ("update", "waitlist_entry", "waitlist_entry_cancelled", entry.patient_id, clinic.clerk.pk)
    ]
    again = staff(clinic.clerk).post(reverse("waitlist:entry_cancel", args=[entry.pk]), follow=True)
    assert "This waitlist entry is already closed." in again.content.decode()


def test_cancel_entry_of_another_location_is_404(clinic, make_entry):
    entry = make_entry(location=LocationFactory())
    response = staff(clinic.clerk).post(reverse("waitlist:entry_cancel", args=[entry.pk]))
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == "active"


# --- offers (staff) --------------------------------------------------------------------------------


def test_offers_screen_shows_each_offer_and_its_outcome(clinic, make_entry, open_slot):
    first = make_entry(patient=_patient(), minutes_ago=30)
    make_entry(patient=_patient(last_name="Zzsecond", mrn="T7770002"), minutes_ago=20)
    offers = open_slot()
    before = AuditEvent.objects.count()

    response = staff(clinic.clerk).get(reverse("waitlist:offers"))

    page = response.content.decode()
    assert response.status_code == 200
    assert offers[0].entry_id == first.pk
    assert "Zzwaitlister, W. · MRN T7770001" in page
    assert "Zzsecond, W. · MRN T7770002" in page
    assert "Mon 2026-12-07 10:00" in page
    assert page.count("Accept for patient</button>") == 2
    assert "2 offers." in page
    assert audit_rows(before) == [("query", "waitlist_offer", "", None, clinic.clerk.pk)]


def test_staff_accept_books_and_a_second_accept_is_told_it_is_gone(clinic, make_entry, open_slot):
    make_entry(patient=_patient(), minutes_ago=30)
    make_entry(patient=_patient(last_name="Zzsecond", mrn="T7770002"), minutes_ago=20)
    first, second = open_slot()
    client = staff(clinic.clerk)

    response = client.post(reverse("waitlist:offer_accept", args=[first.pk]), follow=True)

    assert "Booked Mon 07 Dec 10:00 (offer #" in response.content.decode()
    first.refresh_from_db()
    assert first.status == "accepted"
    assert Appointment.objects.get().patient_id == first.entry.patient_id

    late = client.post(reverse("waitlist:offer_accept", args=[second.pk]), follow=True)

    assert "Too late: this time has already been taken." in late.content.decode()
    second.refresh_from_db()
    assert second.status == "gone"
    assert Appointment.objects.count() == 1


def test_staff_accept_of_an_expired_offer_is_refused(clinic, make_entry, open_slot):
    make_entry()
    (offer,) = open_slot()
    with time_machine.travel(NOW + dt.timedelta(minutes=31), tick=False):
        response = staff(clinic.clerk).post(
            reverse("waitlist:offer_accept", args=[offer.pk]), follow=True
        )
    assert "Too late: this offer has expired." in response.content.decode()
    assert Appointment.objects.count() == 0


def test_staff_decline_records_it(clinic, make_entry, open_slot):
    entry = make_entry()
    (offer,) = open_slot()
    before = AuditEvent.objects.count()

    staff(clinic.clerk).post(reverse("waitlist:offer_decline", args=[offer.pk]))

    offer.refresh_from_db()
    entry.refresh_from_db()
    assert (offer.status, offer.responded_at, entry.status) == ("declined", NOW, "active")
    assert audit_rows(before) == [
        ("update", "waitlist_offer", "waitlist_offer_declined", entry.patient_id, clinic.clerk.pk)
    ]


def test_offer_of_another_location_is_404(clinic, make_entry, open_slot):
    make_entry()
    (offer,) = open_slot()
    outsider = UserFactory(role=Role.FRONT_DESK)
    assign(outsider, LocationFactory())
    response = staff(outsider).post(reverse("waitlist:offer_accept", args=[offer.pk]))
    assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.status == "offered"


# --- the patient's public page ---------------------------------------------------------------------


def _public(offer: WaitlistOffer) -> str:
    return reverse("waitlist_public:offer", args=[offer.token])


def test_public_page_shows_place_time_clinician_and_expiry_only(clinic, make_entry, open_slot):
    clinic.type.name = "Zzsecretreason review"
    clinic.type.save()
    make_entry(patient=_patient(), note="Zzprivate note")
    (offer,) = open_slot()
    before = AuditEvent.objects.count()

    response = Client().get(_public(offer))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Hello Wanda" in page
    assert "Monday, December 7, 2026 at 10:00 AM" in page
    assert clinic.location.name in page
    assert clinic.provider.display_name in page
    assert "Answer by" in page and "7:30 AM" in page
    assert "Accept this time</button>" in page and "No, thanks</button>" in page
    for secret in ("Zzwaitlister", "T7770001", "1971", "03/14", "Zzsecretreason", "Zzprivate"):
        assert secret not in page
    assert 'href="/waitlist' not in page and "Log out" not in page
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    rows = list(
        AuditEvent.objects.order_by("sequence")[before:].values_list(
            "action", "object_type", "object_id", "actor_id", "actor_name"
        )
    )
    assert rows == [("read", "waitlist_offer", str(offer.pk), None, "patient (offer link)")]


def test_public_unknown_token_is_a_bare_404_and_guessing_is_throttled(clinic):
    client = Client()
    response = client.get("/w/not-a-real-token/")
    assert response.status_code == 404
    for _ in range(19):
        assert client.get("/w/still-guessing/").status_code == 404
    assert client.get("/w/still-guessing/").status_code == 429


def test_public_accept_books_and_the_second_patient_hears_it_was_taken(
    clinic, make_entry, open_slot
):
    winner = make_entry(patient=_patient(), minutes_ago=30)
    make_entry(
        patient=_patient(first_name="Otto", last_name="Zzlate", mrn="T7770009"), minutes_ago=20
    )
    first, second = open_slot()
    before = AuditEvent.objects.count()

    response = Client().post(_public(first), {"choice": "accept"})

    assert response.status_code == 200
    assert "<strong>Booked.</strong>" in response.content.decode()
    appointment = Appointment.objects.get()
    assert (appointment.patient_id, appointment.starts_at) == (
        winner.patient_id,
        first.starts_at,
    )
    accepted = [row for row in audit_rows(before) if row[2] == "waitlist_offer_accepted"]
    assert accepted == [
        ("update", "waitlist_offer", "waitlist_offer_accepted", winner.patient_id, None)
    ]

    late = Client().post(_public(second), {"choice": "accept"})

    assert late.status_code == 409
    assert (
        "Sorry, this time has already been taken by someone else. You stay on the waitlist."
        in late.content.decode()
    )
    second.refresh_from_db()
    assert second.status == "gone"
    assert Appointment.objects.count() == 1
    again = Client().post(_public(first), {"choice": "accept"})
    assert again.status_code == 409
    assert "This offer is no longer open." in again.content.decode()
    assert Appointment.objects.count() == 1


def test_public_accept_after_expiry_is_refused(clinic, make_entry, open_slot):
    make_entry(patient=_patient())
    (offer,) = open_slot()
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        page = Client().get(_public(offer)).content.decode()
        response = Client().post(_public(offer), {"choice": "accept"})
    assert "this offer has expired" in page
    assert "Accept this time" not in page
    assert response.status_code == 409
    assert "Sorry, this offer has expired." in response.content.decode()
    assert Appointment.objects.count() == 0


def test_public_decline_passes_the_time_to_the_next_patient(
    clinic, make_entry, open_slot, settings
):
    settings.WAITLIST_OFFERS_PER_OPENING = 1
    first = make_entry(patient=_patient(), minutes_ago=30)
    second = make_entry(
        patient=_patient(first_name="Otto", last_name="Zzlate", mrn="T7770009"), minutes_ago=20
    )
    (offer,) = open_slot()
    before = AuditEvent.objects.count()

    response = Client().post(_public(offer), {"choice": "decline"})

    assert response.status_code == 200
    assert "we have passed this time on" in response.content.decode()
    offer.refresh_from_db()
    first.refresh_from_db()
    assert (offer.status, first.status) == ("declined", "active")
    nxt = WaitlistOffer.objects.exclude(pk=offer.pk).get()
    assert (nxt.entry_id, nxt.status, nxt.rank) == (second.pk, "offered", 1)
    events = [row[2] for row in audit_rows(before) if row[1] == "waitlist_offer"]
    assert events == ["waitlist_offer_declined", "waitlist_offer_made"]
    assert Appointment.objects.count() == 0


def test_public_post_without_a_choice_changes_nothing(clinic, make_entry, open_slot):
    make_entry(patient=_patient())
    (offer,) = open_slot()
    response = Client().post(_public(offer), {"choice": "maybe"})
    assert response.status_code == 400
    offer.refresh_from_db()
    assert offer.status == "offered"


def test_public_post_needs_the_csrf_token(clinic, make_entry, open_slot):
    make_entry(patient=_patient())
    (offer,) = open_slot()
    response = Client(enforce_csrf_checks=True).post(_public(offer), {"choice": "accept"})
    assert response.status_code == 403
    offer.refresh_from_db()
    assert offer.status == "offered"
    assert Appointment.objects.count() == 0


def test_accept_link_in_the_offer_text_points_at_the_public_page(
    clinic, make_entry, open_slot, settings
):
    from frontdesk.waitlist.services import accept_url

    settings.WAITLIST_ACCEPT_URL = "https://frontdesk.example.com/w"
    make_entry()
    (offer,) = open_slot()
    assert accept_url(offer) == f"https://frontdesk.example.com{_public(offer)}"


def test_patient_page_links_to_add_them_to_the_waitlist(clinic):
    page = staff(clinic.clerk).get(reverse("patients:detail", args=[clinic.patient.pk]))
    assert (
        f'href="{reverse("waitlist:entry_add")}?patient={clinic.patient.pk}">Add to waitlist</a>'
        in page.content.decode()
    )
    billing = UserFactory(role=Role.BILLING)
    assign(billing, clinic.location)
    other = staff(billing).get(reverse("patients:detail", args=[clinic.patient.pk]))
    assert "Add to waitlist" not in other.content.decode()


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_entry_and_offer_lists_run_a_constant_number_of_queries(
    clinic, make_entry, open_slot, settings
):
    settings.WAITLIST_OFFERS_PER_OPENING = 10
    client = staff(clinic.clerk)
    make_entry(providers=(clinic.provider,), locations=(clinic.location,))
    open_slot()
    few = (
        _queries(client, reverse("waitlist:entries")),
        _queries(client, reverse("waitlist:offers")),
    )
    for _ in range(5):
        make_entry(providers=(clinic.provider,), locations=(clinic.location,))
    assert len(open_slot(monday(10, 20))) == 5

    many = (
        _queries(client, reverse("waitlist:entries")),
        _queries(client, reverse("waitlist:offers")),
    )

    assert many == few
