"""The kiosk's brute-force guard: per last name on a tablet, and a device-wide ceiling that locks it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict
from frontdesk.kiosk import views
from frontdesk.kiosk.services import kiosk_device_unlock
from frontdesk.kiosk.views import DEVICE_MISS_LIMIT, NAME_MISS_LIMIT

pytestmark = pytest.mark.django_db

SEE_DESK = "Please see the front desk."


def _find(client: Client, last_name: str, dob: str) -> Any:
    return client.post("/kiosk/", {"last_name": last_name, "date_of_birth": dob}, follow=True)


def _name(n: int) -> str:
    """A distinct last name per n (digits would be dropped by the name key)."""
    return "Nobody" + chr(97 + n // 26) + chr(97 + n % 26)


def _found(response: Any) -> bool:
    return "Hello, Zelda" in response.content.decode()


def test_one_patient_mistyping_does_not_lock_out_the_waiting_room(tablet, device, patient_appt):
    # The same name mistyped up to the limit: every try still looks (and misses).
    for _ in range(NAME_MISS_LIMIT):
        assert SEE_DESK in _find(tablet, "Nunez-Testwell", "1970-03-05").content.decode()
    # Now that name is sent to the desk, even with the right date (and even spelled differently).
    assert not _found(_find(tablet, "NÚÑEZ testwell", "1970-03-04"))
    # Other patients are not affected.
    other = Client()
    other.cookies = tablet.cookies
    assert not _found(_find(other, "Someone", "1999-01-01"))
    device.refresh_from_db()
    assert device.locked_at is None
    cache.clear()  # the window runs out
    assert _found(_find(tablet, "Nunez-Testwell", "1970-03-04"))


def test_many_names_in_a_row_are_still_allowed_below_the_ceiling(tablet, device, patient_appt):
    for n in range(DEVICE_MISS_LIMIT - 1):
        _find(tablet, _name(n), "1999-01-01")
    assert _found(_find(tablet, "Nunez-Testwell", "1970-03-04"))
    device.refresh_from_db()
    assert device.locked_at is None


def test_no_phi_in_cache_keys(tablet, device, patient_appt):
    _find(tablet, "Nunez-Testwell", "1970-03-05")
    name_key = views._name_miss_key(device, "Nunez-Testwell")
    assert name_key == views._name_miss_key(device, "  núñez TESTWELL ")
    assert "nunez" not in name_key.lower() and "testwell" not in name_key.lower()
    assert name_key.startswith(f"kiosk-miss:{device.pk}:") and len(name_key.split(":")[2]) == 32
    assert cache.get(name_key) == 1
    assert cache.get(f"kiosk-miss:{device.pk}") == 1


def test_the_device_ceiling_locks_the_tablet_until_a_manager_unlocks_it(
    tablet, device, patient_appt, manager
):
    for n in range(DEVICE_MISS_LIMIT):
        _find(tablet, _name(n), "1999-01-01")
    device.refresh_from_db()
    assert device.locked_at is not None
    locked = AuditEvent.objects.get(detail__event="kiosk_locked")
    assert locked.actor_name == "kiosk Lobby tablet"
    assert locked.detail == {"event": "kiosk_locked", "misses": DEVICE_MISS_LIMIT}
    # Every patient is sent to the desk now, the right one too, and the start screen says so.
    assert not _found(_find(tablet, "Nunez-Testwell", "1970-03-04"))
    page = tablet.get("/kiosk/").content.decode()
    assert SEE_DESK in page and "Last name" not in page
    cache.clear()  # the lock is not a cache entry: it outlives the window
    assert SEE_DESK in tablet.get("/kiosk/").content.decode()

    staff = Client()
    staff.force_login(manager)
    listing = staff.get("/kiosk/devices/").content.decode()
    assert "locked</strong> since" in listing
    assert f'action="/kiosk/devices/{device.pk}/unlock/"' in listing
    response = staff.post(f"/kiosk/devices/{device.pk}/unlock/", follow=True)
    assert "Kiosk “Lobby tablet” unlocked." in response.content.decode()
    device.refresh_from_db()
    assert device.locked_at is None
    unlocked = AuditEvent.objects.get(detail__event="kiosk_unlocked")
    assert unlocked.actor_id == manager.pk and unlocked.object_id == str(device.pk)
    assert "Unlock</button>" not in staff.get("/kiosk/devices/").content.decode()
    assert _found(_find(tablet, "Nunez-Testwell", "1970-03-04"))


def test_invalid_codes_count_towards_the_ceiling(tablet, device, patient_appt):
    for _ in range(DEVICE_MISS_LIMIT):
        tablet.post("/kiosk/", {"code": "FDCHK:1:20261207:deadbeefdeadbeef"})
    device.refresh_from_db()
    assert device.locked_at is not None


def test_unlock_rules(device, manager, clerk):
    from frontdesk.core.errors import PermissionDenied
    from frontdesk.kiosk.services import kiosk_device_lock

    with pytest.raises(Conflict, match="not locked"):
        kiosk_device_unlock(actor=manager, device=device)
    assert kiosk_device_lock(device=device, misses=DEVICE_MISS_LIMIT) is True
    assert kiosk_device_lock(device=device, misses=DEVICE_MISS_LIMIT + 1) is False
    assert AuditEvent.objects.filter(detail__event="kiosk_locked").count() == 1
    # The front desk cannot unlock (the devices page is the practice manager's).
    staff = Client()
    staff.force_login(clerk)
    assert staff.post(f"/kiosk/devices/{device.pk}/unlock/").status_code == 403
    with pytest.raises(PermissionDenied):
        kiosk_device_unlock(actor=clerk, device=device)
    device.refresh_from_db()
    assert device.locked_at is not None
    assert not AuditEvent.objects.filter(detail__event="kiosk_unlocked").exists()
