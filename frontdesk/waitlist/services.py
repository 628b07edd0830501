"""Writing the waitlist: take and cancel entries, offer an opened slot, accept an offer, expire offers.

Every service validates before writing and writes exactly one audit row (category "schedule") per
business event, in the same transaction. Offers go out through ``frontdesk.notifications`` when that
app is installed (imported inside the function: it is optional); otherwise they are recorded with
delivery "pending" for staff to phone the patient. Offer texts carry no diagnosis or visit reason.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import services as scheduling_services
from frontdesk.scheduling.choices import ACTIVE_STATUSES, CancellationReason, CancelledBy
from frontdesk.scheduling.errors import PatientDoubleBooked, SlotTaken
from frontdesk.scheduling.models import Appointment, AppointmentType
from frontdesk.scheduling.slots import slot_check
from frontdesk.waitlist.models import (
    OPEN_ENTRY_STATUSES,
    EntryStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
)

log = logging.getLogger(__name__)

SYSTEM_USERNAME = "system-waitlist"
MSG_OFFER_EXPIRED = "This offer has expired."
MSG_OFFER_GONE = "This time has already been taken by someone else."
MSG_OFFER_CLOSED = "This offer is no longer open."
MSG_ENTRY_CLOSED = "This waitlist entry is already closed."


def offers_per_opening() -> int:
    return int(getattr(settings, "WAITLIST_OFFERS_PER_OPENING", 3))


def offer_minutes() -> int:
    return int(getattr(settings, "WAITLIST_OFFER_MINUTES", 30))


def _require(actor: Any, location: Location) -> None:
    if actor is None or not actor.can(A.WAITLIST_MANAGE):
        raise PermissionDenied()
    if not Location.objects.restrict(actor, A.WAITLIST_MANAGE).filter(pk=location.pk).exists():
        raise NotFound()


def _audit(
    actor: Any, *, action: str, patient_id: int, object_type: str, object_id: int, **detail: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=AuditCategory.SCHEDULE,
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        actor_name=None if actor is not None else "system (waitlist)",
    )


# --- notifications (optional app) ------------------------------------------------------------------


def _notifier() -> Callable[..., Any] | None:
    """``notification_send`` when the notifications app is installed, else None (offers stay pending)."""
    try:
        module = importlib.import_module("frontdesk.notifications.services")
    except ImportError:
        return None
    send: Callable[..., Any] | None = getattr(module, "notification_send", None)
    return send


def accept_url(offer: WaitlistOffer) -> str:
    base = str(getattr(settings, "WAITLIST_ACCEPT_URL", "")).rstrip("/")
    return f"{base}/{offer.token}/" if base else ""


def offer_text(offer: WaitlistOffer) -> str:
    """The patient's message: place, time and clinician only (no visit type, reason or diagnosis)."""
    local = offer.starts_at.astimezone(offer.location.tzinfo)
    expires = offer.expires_at.astimezone(offer.location.tzinfo)
    link = accept_url(offer)
    how = f"Accept at {link}" if link else "Call the office to accept"
    return (
        f"An earlier appointment is free at {offer.location.name} on "
        f"{local:%a %b %d at %H:%M} with {offer.provider}. {how} (code {offer.token[:8]}) "
        f"before {expires:%H:%M}. First to accept gets it."
    )


def gone_text(offer: WaitlistOffer) -> str:
    local = offer.starts_at.astimezone(offer.location.tzinfo)
    return (
        f"The appointment time offered for {local:%a %b %d at %H:%M} at {offer.location.name} "
        "has been taken. You stay on the waitlist."
    )


def _notify(offer: WaitlistOffer, *, purpose: str, text: str, key: str) -> list[int] | None:
    """Send through notifications when installed; None when it is not (delivery stays pending)."""
    send = _notifier()
    if send is None:
        return None
    messages = send(
        patient=offer.entry.patient,
        purpose=purpose,
        text=text,
        subject="An earlier appointment is available" if purpose == "waitlist_offer" else "",
        idempotency_key=key,
    )
    return [message.pk for message in messages or []]


# --- entries ---------------------------------------------------------------------------------------


def waitlist_entry_create(
    *,
    actor: Any,
    patient: Patient,
    location: Location,
    appointment_type: AppointmentType,
    providers: Sequence[Provider] = (),
    locations: Sequence[Location] = (),
    weekdays: Sequence[int] = (),
    earliest_time: dt.time | None = None,
    latest_time: dt.time | None = None,
    available_from: dt.date | None = None,
    wanted_before: dt.date | None = None,
    current_appointment: Appointment | None = None,
    priority: int = 0,
    note: str = "",
) -> WaitlistEntry:
    """Put ``patient`` on the waitlist for ``appointment_type`` with their preferences."""
    _require(actor, location)
    note = (note or "").strip()
    errors = FieldErrors()
    if patient.merged_into_id is not None or not patient.is_active:
        errors.add("patient", "This patient's record is inactive.")
    if not appointment_type.is_active:
        errors.add("appointment_type", "This appointment type is no longer offered.")
    if any(not isinstance(day, int) or not 0 <= day <= 6 for day in weekdays):
        errors.add("weekdays", "Weekdays are 0 (Monday) to 6 (Sunday).")
    aware = False
    for name, value in (("earliest_time", earliest_time), ("latest_time", latest_time)):
        if value is not None and value.tzinfo is not None:
            errors.add(name, "Give a wall time at the location, without an offset.")
            aware = True
    if not aware and earliest_time and latest_time and latest_time <= earliest_time:
        errors.add("latest_time", "Latest time must be after earliest time.")
    today = timezone.now().astimezone(location.tzinfo).date()
    if wanted_before is not None and wanted_before <= today:
        errors.add("wanted_before", "Pick a date after today.")
    elif available_from and wanted_before and wanted_before <= available_from:
        errors.add("wanted_before", "Must be after the first day the patient can come.")
    if not 0 <= priority <= 9:
        errors.add("priority", "Priority is 0 to 9.")
    if len(note) > 200:
        errors.add("note", "At most 200 characters.")
    if current_appointment is not None and (
        current_appointment.patient_id != patient.pk
        or current_appointment.status not in ACTIVE_STATUSES
    ):
        errors.add("current_appointment", "Choose one of this patient's booked appointments.")
    errors.raise_if_any()
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            patient=patient,
            location=location,
            appointment_type=appointment_type,
            weekdays=sorted(set(weekdays)),
            earliest_time=earliest_time,
            latest_time=latest_time,
            available_from=available_from,
            wanted_before=wanted_before,
            current_appointment=current_appointment,
            priority=priority,
            note=note,
            created_by=actor,
            created_at=timezone.now(),
        )
        entry.providers.set(providers)
        entry.locations.set(locations)
        _audit(
            actor,
            action=AuditAction.CREATE,
            patient_id=patient.pk,
            object_type="waitlist_entry",
            object_id=entry.pk,
            event="waitlist_entry_created",
            appointment_type_id=appointment_type.pk,
        )
    return entry


def waitlist_entry_cancel(*, actor: Any, entry: WaitlistEntry) -> WaitlistEntry:
    """Take a patient off the waitlist; an open offer to them is withdrawn (declined)."""
    _require(actor, entry.location)
    now = timezone.now()
    with transaction.atomic():
        current = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if current.status not in OPEN_ENTRY_STATUSES:
            raise Conflict(MSG_ENTRY_CLOSED, code="entry_closed")
        withdrawn = current.offers.filter(status=OfferStatus.OFFERED).update(
            status=OfferStatus.DECLINED, responded_at=now
        )
        current.status = EntryStatus.CANCELLED
        current.save(update_fields=["status", "updated_at"])
        _audit(
            actor,
            action=AuditAction.UPDATE,
            patient_id=current.patient_id,
            object_type="waitlist_entry",
            object_id=current.pk,
            event="waitlist_entry_cancelled",
            offers_withdrawn=withdrawn,
        )
    return current


# --- offering an opened slot -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    entry: WaitlistEntry
    exclude_appointment_id: int | None


def _fits(entry: WaitlistEntry, provider_id: int, location: Location, start: dt.datetime) -> bool:
    """The entry's preferences allow this provider, location, weekday, time of day and date."""
    local = start.astimezone(location.tzinfo)
    end_local = (start + entry.appointment_type.duration).astimezone(location.tzinfo)
    provider_ids = {p.pk for p in entry.providers.all()}
    location_ids = {loc.pk for loc in entry.locations.all()}
    if provider_ids and provider_id not in provider_ids:
        return False
    if location_ids and location.pk not in location_ids:
        return False
    if entry.weekdays and local.weekday() not in entry.weekdays:
        return False
    if entry.earliest_time and local.time() < entry.earliest_time:
        return False
    if entry.latest_time and (
        end_local.date() != local.date() or end_local.time() > entry.latest_time
    ):
        return False
    if entry.available_from and local.date() < entry.available_from:
        return False
    if entry.wanted_before and local.date() >= entry.wanted_before:
        return False
    current = entry.current_appointment
    # Only earlier than the appointment they already have.
    return current is None or current.status not in ACTIVE_STATUSES or start < current.starts_at


def ranked_candidates(
    *,
    provider_id: int,
    location: Location,
    starts_at: dt.datetime,
    appointment_type_id: int | None,
) -> list[WaitlistEntry]:
    """Waiting entries whose preferences fit the slot: highest priority first, then longest waiting.

    Entries that already had an offer for this very slot are skipped (they declined or let it expire).
    """
    entries = (
        WaitlistEntry.objects.filter(status=EntryStatus.ACTIVE)
        .exclude(offers__provider_id=provider_id, offers__starts_at=starts_at)
        .select_related("appointment_type", "patient", "current_appointment")
        .prefetch_related("providers", "locations")
        .order_by("-priority", "created_at", "pk")
    )
    if appointment_type_id is not None:
        entries = entries.filter(appointment_type_id=appointment_type_id)
    return [
        entry
        for entry in entries
        if entry.patient.is_active
        and entry.patient.merged_into_id is None
        and entry.appointment_type.is_active
        and _fits(entry, provider_id, location, starts_at)
    ]


def waitlist_slot_opened(
    *,
    provider_id: int,
    location_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    appointment_type_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[WaitlistOffer]:
    """Offer a freed slot to the best-matching waiting patients (top N, each with an expiry).

    A candidate is offered only when the slot is bookable for them right now (availability, resources,
    and no clash with the patient's own appointments). Returns the offers made (possibly none).
    ``ends_at`` is the end of the freed time: an entry's visit must fit inside it.
    """
    now = now or timezone.now()
    location = Location.objects.filter(pk=location_id).first()
    if location is None or starts_at <= now or ends_at <= starts_at:
        return []
    expires_at = min(now + dt.timedelta(minutes=offer_minutes()), starts_at)
    made: list[WaitlistOffer] = []
    with transaction.atomic():
        if WaitlistOffer.objects.filter(
            provider_id=provider_id,
            starts_at=starts_at,
            status__in=[OfferStatus.OFFERED, OfferStatus.ACCEPTED],
        ).exists():
            return []  # already out (or taken): offering it twice would promise it twice
        for entry in ranked_candidates(
            provider_id=provider_id,
            location=location,
            starts_at=starts_at,
            appointment_type_id=appointment_type_id,
        ):
            if len(made) >= offers_per_opening():
                break
            kind = entry.appointment_type
            end = starts_at + kind.duration
            if end > ends_at:
                continue
            current = entry.current_appointment
            verdict = slot_check(
                provider_id=provider_id,
                location_id=location_id,
                appointment_type=kind,
                starts_at=starts_at,
                now=now,
                patient_id=entry.patient_id,
                exclude_appointment_id=(
                    current.pk
                    if current is not None and current.status in ACTIVE_STATUSES
                    else None
                ),
            )
            if not verdict.ok:
                continue
            offer = WaitlistOffer.objects.create(
                entry=entry,
                provider_id=provider_id,
                location=location,
                appointment_type=kind,
                starts_at=starts_at,
                ends_at=end,
                rank=len(made) + 1,
                created_at=now,
                expires_at=expires_at,
            )
            entry.status = EntryStatus.OFFERED
            entry.save(update_fields=["status", "updated_at"])
            message_ids = _notify(
                offer,
                purpose="waitlist_offer",
                text=offer_text(offer),
                key=f"waitlist-offer-{offer.pk}",
            )
            if message_ids is not None:
                offer.message_ids = message_ids
                offer.delivery = "sent" if message_ids else "none"
                offer.save(update_fields=["message_ids", "delivery"])
            _audit(
                None,
                action=AuditAction.CREATE,
                patient_id=entry.patient_id,
                object_type="waitlist_offer",
                object_id=offer.pk,
                event="waitlist_offer_made",
                entry_id=entry.pk,
                rank=offer.rank,
                delivery=offer.delivery,
            )
            made.append(offer)
    return made


# --- accepting -------------------------------------------------------------------------------------


def waitlist_system_user() -> User:
    """The service identity that books when a patient accepts an offer themselves (no staff actor)."""
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "role": Role.PRACTICE_MANAGER,
            "is_service_account": True,
            "first_name": "Waitlist",
            "last_name": "(system)",
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _mark_gone(offer_pk: int, now: dt.datetime) -> None:
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("entry", "location", "provider")
            .get(pk=offer_pk)
        )
        if offer.status != OfferStatus.OFFERED:
            return
        _close_as_gone(offer, now)


def _close_as_gone(offer: WaitlistOffer, now: dt.datetime) -> None:
    offer.status = OfferStatus.GONE
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    WaitlistEntry.objects.filter(pk=offer.entry_id, status=EntryStatus.OFFERED).update(
        status=EntryStatus.ACTIVE, updated_at=now
    )
    _notify(offer, purpose="waitlist_gone", text=gone_text(offer), key=f"waitlist-gone-{offer.pk}")
    _audit(
        None,
        action=AuditAction.UPDATE,
        patient_id=offer.entry.patient_id,
        object_type="waitlist_offer",
        object_id=offer.pk,
        event="waitlist_offer_gone",
    )


def waitlist_offer_accept(*, offer: WaitlistOffer, actor: Any = None) -> WaitlistOffer:
    """Book the offered slot for the patient: the first accept wins, the other offers become "gone".

    ``actor``: the staff member accepting on the patient's behalf, or None when the patient accepts
    through their link (the waitlist system user books). Moving earlier cancels the entry's current
    appointment. An expired or closed offer raises Conflict; a slot someone else got raises SlotTaken
    (and this offer becomes "gone").
    """
    if actor is not None:
        _require(actor, offer.location)
    booker = actor if actor is not None else waitlist_system_user()
    now = timezone.now()
    try:
        with transaction.atomic():
            # Lock every offer of this slot, in primary-key order, before anything else: concurrent
            # accepts of sibling offers then queue here instead of deadlocking on each other later.
            slot_offers = list(
                WaitlistOffer.objects.select_for_update(of=("self",))
                .select_related(
                    "entry", "entry__patient", "location", "provider", "appointment_type"
                )
                .filter(provider_id=offer.provider_id, starts_at=offer.starts_at)
                .order_by("pk")
            )
            current = next(row for row in slot_offers if row.pk == offer.pk)
            if current.status == OfferStatus.GONE:
                raise Conflict(MSG_OFFER_GONE, code="offer_gone")
            if current.status != OfferStatus.OFFERED:
                raise Conflict(MSG_OFFER_CLOSED, code="offer_closed")
            if current.expires_at <= now:
                raise Conflict(MSG_OFFER_EXPIRED, code="offer_expired")
            entry = WaitlistEntry.objects.select_for_update().get(pk=current.entry_id)
            appointment = scheduling_services.appointment_book(
                actor=booker,
                patient=entry.patient,
                provider=current.provider,
                location=current.location,
                appointment_type=current.appointment_type,
                starts_at=current.starts_at,
            )
            current.status = OfferStatus.ACCEPTED
            current.responded_at = now
            current.appointment = appointment
            current.save(update_fields=["status", "responded_at", "appointment"])
            moved_from = entry.current_appointment
            entry.status = EntryStatus.BOOKED
            entry.save(update_fields=["status", "updated_at"])
            _audit(
                actor,
                action=AuditAction.UPDATE,
                patient_id=entry.patient_id,
                object_type="waitlist_offer",
                object_id=current.pk,
                event="waitlist_offer_accepted",
                appointment_id=appointment.pk,
                by="staff" if actor is not None else "patient",
            )
            if moved_from is not None and moved_from.status in ACTIVE_STATUSES:
                scheduling_services.appointment_cancel(
                    actor=booker,
                    appointment=moved_from,
                    reason=CancellationReason.PATIENT_REQUEST,
                    cancelled_by=CancelledBy.PATIENT,
                )
            for sibling in slot_offers:
                if sibling.pk != current.pk and sibling.status == OfferStatus.OFFERED:
                    _close_as_gone(sibling, now)
    except (SlotTaken, PatientDoubleBooked, IntegrityError) as error:
        _mark_gone(offer.pk, now)
        if isinstance(error, IntegrityError):
            raise SlotTaken() from None
        raise
    offer.refresh_from_db()
    return offer


def waitlist_offer_decline(*, offer: WaitlistOffer, actor: Any = None) -> WaitlistOffer:
    """The patient says no to an offer (through their link, or staff record it on a call).

    The entry goes back to waiting (it is not offered this same slot again), and when no other offer
    of the slot is still open the slot goes to the next waiting patients. A closed or expired offer
    raises Conflict and changes nothing.
    """
    if actor is not None:
        _require(actor, offer.location)
    now = timezone.now()
    with transaction.atomic():
        current = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("entry")
            .get(pk=offer.pk)
        )
        if current.status == OfferStatus.GONE:
            raise Conflict(MSG_OFFER_GONE, code="offer_gone")
        if current.status != OfferStatus.OFFERED:
            raise Conflict(MSG_OFFER_CLOSED, code="offer_closed")
        if current.expires_at <= now:
            raise Conflict(MSG_OFFER_EXPIRED, code="offer_expired")
        current.status = OfferStatus.DECLINED
        current.responded_at = now
        current.save(update_fields=["status", "responded_at"])
        WaitlistEntry.objects.filter(pk=current.entry_id, status=EntryStatus.OFFERED).update(
            status=EntryStatus.ACTIVE, updated_at=now
        )
        _audit(
            actor,
            action=AuditAction.UPDATE,
            patient_id=current.entry.patient_id,
            object_type="waitlist_offer",
            object_id=current.pk,
            event="waitlist_offer_declined",
            by="staff" if actor is not None else "patient",
        )
    # Outside the lock: waitlist_slot_opened does nothing while a sibling offer is still open.
    waitlist_slot_opened(
        provider_id=current.provider_id,
        location_id=current.location_id,
        starts_at=current.starts_at,
        ends_at=current.ends_at,
        appointment_type_id=current.appointment_type_id,
        now=now,
    )
    return current


# --- expiry ----------------------------------------------------------------------------------------


def waitlist_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Expire open offers past their time; each freed slot goes to the next waiting patients."""
    now = now or timezone.now()
    reopen: set[tuple[int, int, dt.datetime, dt.datetime, int]] = set()
    count = 0
    with transaction.atomic():
        due = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("entry")
            .filter(status=OfferStatus.OFFERED, expires_at__lte=now)
            .order_by("pk")
        )
        for offer in due:
            offer.status = OfferStatus.EXPIRED
            offer.save(update_fields=["status"])
            WaitlistEntry.objects.filter(pk=offer.entry_id, status=EntryStatus.OFFERED).update(
                status=EntryStatus.ACTIVE, updated_at=now
            )
            _audit(
                None,
                action=AuditAction.UPDATE,
                patient_id=offer.entry.patient_id,
                object_type="waitlist_offer",
                object_id=offer.pk,
                event="waitlist_offer_expired",
            )
            reopen.add(
                (
                    offer.provider_id,
                    offer.location_id,
                    offer.starts_at,
                    offer.ends_at,
                    offer.appointment_type_id,
                )
            )
            count += 1
    for provider_id, location_id, start, end, type_id in sorted(reopen):
        waitlist_slot_opened(
            provider_id=provider_id,
            location_id=location_id,
            starts_at=start,
            ends_at=end,
            appointment_type_id=type_id,
            now=now,
        )
    return count
