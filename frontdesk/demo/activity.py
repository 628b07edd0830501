"""The demo practice's recent activity: reminders sent, replies received, call-backs, a waitlist.

So the message log, the task list and the waitlist screens have something to show on first run.
Everything is derived from the demo schedule (deterministic for a seed) and written with the same
texts the real services write (``reminder_content``, ``offer_text``); nothing is sent anywhere.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import router
from django.utils import timezone

from frontdesk.accounts.models import User
from frontdesk.chartprep.choices import CaseKind, ConsentKind, ConsentMethod
from frontdesk.chartprep.models import ConsentAcknowledgement, NoShowCase, Readiness
from frontdesk.chartprep.services import readiness_recompute
from frontdesk.notifications.choices import (
    Channel,
    FollowUpKind,
    MessageStatus,
    Purpose,
    ReplyAction,
)
from frontdesk.notifications.models import FollowUpTask, InboundMessage, Message
from frontdesk.notifications.services import reminder_content
from frontdesk.patients.models import PatientPhone
from frontdesk.scheduling.choices import AppointmentStatus, ConfirmationStatus
from frontdesk.scheduling.models import Appointment, AppointmentType
from frontdesk.visits.choices import FlowState
from frontdesk.visits.models import FlowEvent, Visit
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from frontdesk.waitlist.services import offer_text

DESK_LOGIN = "frontdesk"
WAITLIST_ENTRIES = 14
# Share of the reminded appointments whose patient answered, by answer (the rest said nothing).
CONFIRM_SHARE = 0.45
RESCHEDULE_SHARE = 0.04
FAILED_EMAIL_SHARE = 0.03


@dataclass(frozen=True)
class ActivityStats:
    messages: int = 0
    replies: int = 0
    tasks: int = 0
    waitlist_entries: int = 0
    offers: int = 0
    visits: int = 0
    consents: int = 0
    noshow_cases: int = 0
    not_ready: int = 0


def activity_delete() -> None:
    """Remove the demo activity (``--reset``): it refers to appointments, so it goes first."""
    using = router.db_for_write(Message)
    WaitlistOffer.objects.all()._raw_delete(using)
    WaitlistEntry.providers.through.objects.all()._raw_delete(using)
    WaitlistEntry.locations.through.objects.all()._raw_delete(using)
    WaitlistEntry.objects.all()._raw_delete(using)
    for chartprep_model in (Readiness, NoShowCase, ConsentAcknowledgement):
        chartprep_model.objects.all()._raw_delete(using)
    FlowEvent.objects.all()._raw_delete(using)
    Visit.objects.all()._raw_delete(using)
    for model in (FollowUpTask, InboundMessage, Message):
        model.objects.all()._raw_delete(using)


def _sms_numbers(patient_ids: set[int]) -> dict[int, str]:
    numbers: dict[int, str] = {}
    rows = (
        PatientPhone.objects.filter(patient_id__in=patient_ids, sms_capable=True)
        .order_by("patient_id", "rank", "pk")
        .values_list("patient_id", "number")
    )
    for patient_id, number in rows:
        numbers.setdefault(patient_id, number)
    return numbers


def _reminders(
    rng: random.Random, now: dt.datetime
) -> tuple[list[Message], list[InboundMessage], list[FollowUpTask], list[Appointment]]:
    """72 h and 24 h reminders for the visits of the next three days, as the reminder run sends them,
    and the patients' answers (confirm, call me back) for the ones already reminded."""
    upcoming = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=72),
        )
        .select_related("location__organization", "patient")
        .order_by("starts_at", "pk")
    )
    sms = _sms_numbers({a.patient_id for a in upcoming})
    messages: list[Message] = []
    replies: list[InboundMessage] = []
    tasks: list[FollowUpTask] = []
    answered: list[Appointment] = []
    for appointment in upcoming:
        patient = appointment.patient
        subject, text = reminder_content(appointment)
        windows = [(Purpose.REMINDER_72H, dt.timedelta(hours=72))]
        if appointment.starts_at - now <= dt.timedelta(hours=24):
            windows.append((Purpose.REMINDER_24H, dt.timedelta(hours=24)))
        channels: list[tuple[str, str]] = []
        if patient.sms_consent_at is not None and patient.pk in sms:
            channels.append((Channel.SMS, sms[patient.pk]))
        if patient.email_consent_at is not None and patient.email:
            channels.append((Channel.EMAIL, patient.email))
        for purpose, before in windows:
            # The run sends a window's reminder when it opens (sent a little after, by the clock).
            sent_at = min(appointment.starts_at - before + dt.timedelta(minutes=3), now)
            for channel, address in channels:
                failed = channel == Channel.EMAIL and rng.random() < FAILED_EMAIL_SHARE
                messages.append(
                    Message(
                        patient=patient,
                        appointment=appointment,
                        channel=channel,
                        purpose=purpose,
                        to_address=address,
                        subject=subject if channel == Channel.EMAIL else "",
                        body=text,
                        status=MessageStatus.FAILED if failed else MessageStatus.SENT,
                        error="550 mailbox unavailable (demo)" if failed else "",
                        idempotency_key=f"demo:{purpose}:{appointment.pk}:{channel}",
                        sent_at=None if failed else sent_at,
                        failed_at=sent_at if failed else None,
                        attempts=1,
                        created_at=sent_at,
                    )
                )
        if not channels or Channel.SMS not in dict(channels):
            continue
        draw = rng.random()
        replied_at = min(appointment.starts_at - dt.timedelta(hours=70), now)
        if draw < CONFIRM_SHARE:
            appointment.confirmation_status = ConfirmationStatus.CONFIRMED
            action, body = ReplyAction.CONFIRMED, "C"
        elif draw < CONFIRM_SHARE + RESCHEDULE_SHARE:
            appointment.confirmation_status = ConfirmationStatus.RESCHEDULE_REQUESTED
            action, body = ReplyAction.RESCHEDULE_REQUESTED, "R"
            tasks.append(
                FollowUpTask(
                    kind=FollowUpKind.RESCHEDULE_CALLBACK,
                    patient=patient,
                    appointment=appointment,
                    created_at=replied_at,
                )
            )
        else:
            continue
        answered.append(appointment)
        replies.append(
            InboundMessage(
                from_number=sms[patient.pk],
                body=body,
                received_at=replied_at,
                provider_message_id=f"demo-in-{appointment.pk}",
                patient=patient,
                appointment=appointment,
                action=action,
            )
        )
    return messages, replies, tasks, answered


def _waitlist(rng: random.Random, now: dt.datetime, desk: User) -> tuple[int, int, int]:
    """Patients waiting for an earlier visit, and one offer from a recent cancellation:
    (entries, offers, messages)."""
    later = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            starts_at__gte=now + dt.timedelta(days=10),
        )
        .select_related("location", "appointment_type", "provider")
        .order_by("starts_at", "pk")[:400]
    )
    if not later:
        return 0, 0, 0
    chosen = rng.sample(later, min(WAITLIST_ENTRIES, len(later)))
    entries: list[WaitlistEntry] = []
    for index, appointment in enumerate(chosen):
        morning = index % 3 == 0
        entry = WaitlistEntry.objects.create(
            patient_id=appointment.patient_id,
            location=appointment.location,
            appointment_type=appointment.appointment_type,
            weekdays=[] if index % 2 else sorted(rng.sample(range(5), 3)),
            earliest_time=dt.time(8) if morning else None,
            latest_time=dt.time(12) if morning else None,
            available_from=timezone.localdate(now),
            wanted_before=appointment.starts_at.date(),
            current_appointment=appointment,
            priority=rng.choice([0, 0, 0, 1, 2]),
            note="Wants an earlier time; can come at short notice." if index % 4 == 0 else "",
            created_by=desk,
            created_at=now - dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600)),
        )
        entry.providers.add(appointment.provider)
        entries.append(entry)
    # Yesterday's cancellation was offered by SMS to the best-ranked entry, which let it expire.
    numbers = _sms_numbers({entry.patient_id for entry in entries})
    first = next((entry for entry in entries if entry.patient_id in numbers), entries[0])
    current = first.current_appointment
    assert current is not None
    kind: AppointmentType = first.appointment_type
    offered_at = now - dt.timedelta(days=1, hours=2)
    start = (offered_at + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    offer = WaitlistOffer(
        entry=first,
        provider=current.provider,
        location=first.location,
        appointment_type=kind,
        starts_at=start,
        ends_at=start + kind.duration,
        rank=1,
        status="expired",
        created_at=offered_at,
        expires_at=offered_at + dt.timedelta(minutes=30),
        responded_at=offered_at + dt.timedelta(minutes=30),
        delivery="sent",
    )
    offer.save()
    if first.patient_id not in numbers:
        return len(entries), 1, 0
    message = Message.objects.create(
        patient_id=first.patient_id,
        channel=Channel.SMS,
        purpose=Purpose.WAITLIST_OFFER,
        to_address=numbers[first.patient_id],
        body=offer_text(offer),
        status=MessageStatus.SENT,
        idempotency_key=f"demo:waitlist_offer:{offer.pk}",
        sent_at=offered_at,
        attempts=1,
        created_at=offered_at,
    )
    offer.message_ids = [message.pk]
    offer.save(update_fields=["message_ids"])
    return len(entries), 1, 1


def _visits(rng: random.Random, desk: User) -> int:
    """The flow history of every visit the demo calendar marks fulfilled: arrival a little before
    the appointment, a wait to be roomed, the visit, checkout — so the board and its metrics
    (arrival-to-roomed wait, cycle time, on-time starts) have a month of data."""
    fulfilled = list(
        Appointment.objects.filter(status=AppointmentStatus.FULFILLED)
        .only("pk", "location_id", "starts_at", "ends_at")
        .order_by("starts_at", "pk")
    )
    visits: list[Visit] = []
    steps: list[tuple[int, list[tuple[str, str, dt.datetime]]]] = []
    for appointment in fulfilled:
        arrived = appointment.starts_at - dt.timedelta(minutes=rng.randint(-5, 15))
        # Most are roomed within a quarter of an hour; a busy morning makes some wait longer.
        wait = rng.choice([2, 4, 6, 8, 10, 12, 15, 18, 25, 35])
        roomed = max(arrived, appointment.starts_at - dt.timedelta(minutes=5)) + dt.timedelta(
            minutes=wait
        )
        checkout = roomed + (appointment.ends_at - appointment.starts_at) * rng.uniform(0.8, 1.3)
        done = checkout + dt.timedelta(minutes=rng.randint(2, 8))
        visits.append(
            Visit(
                appointment_id=appointment.pk,
                location_id=appointment.location_id,
                state=FlowState.DONE,
                state_since=done,
                arrived_at=arrived,
                roomed_at=roomed,
                checkout_at=checkout,
                done_at=done,
            )
        )
        steps.append(
            (
                len(visits) - 1,
                [
                    (FlowState.EXPECTED, FlowState.ARRIVED, arrived),
                    (FlowState.ARRIVED, FlowState.ROOMED, roomed),
                    (FlowState.ROOMED, FlowState.CHECKOUT, checkout),
                    (FlowState.CHECKOUT, FlowState.DONE, done),
                ],
            )
        )
    Visit.objects.bulk_create(visits, batch_size=1000)
    events = [
        FlowEvent(visit=visits[index], from_state=a, to_state=b, at=at, by=desk)
        for index, moves in steps
        for a, b, at in moves
    ]
    FlowEvent.objects.bulk_create(events, batch_size=2000)
    return len(visits)


# Share of patients seen in the last month whose privacy notice and financial policy are on file
# (signed at the front desk on paper or on the portal); the rest show up on the chart-prep list.
CONSENTS_ON_FILE_SHARE = 0.85
NOSHOW_CASE_DAYS = 7


def _consents(rng: random.Random, now: dt.datetime, desk: User) -> int:
    """Privacy notice and financial policy acknowledgements, signed at a past visit this year."""
    first_visit: dict[int, dt.datetime] = {}
    rows = (
        Appointment.objects.filter(status=AppointmentStatus.FULFILLED)
        .order_by("starts_at")
        .values_list("patient_id", "starts_at")
    )
    for patient_id, starts_at in rows:
        first_visit.setdefault(patient_id, starts_at)
    upcoming = set(
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, starts_at__gt=now)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    acknowledgements: list[ConsentAcknowledgement] = []
    for patient_id in sorted(first_visit.keys() | upcoming):
        if rng.random() >= CONSENTS_ON_FILE_SHARE:
            continue
        signed = first_visit.get(patient_id) or now - dt.timedelta(days=rng.randint(20, 300))
        method = rng.choice([ConsentMethod.PAPER, ConsentMethod.ELECTRONIC])
        for kind in (ConsentKind.PRIVACY_NOTICE, ConsentKind.FINANCIAL_POLICY):
            acknowledgements.append(
                ConsentAcknowledgement(
                    patient_id=patient_id,
                    kind=kind,
                    acknowledged_at=signed,
                    method=method,
                    recorded_by=desk,
                )
            )
    ConsentAcknowledgement.objects.bulk_create(acknowledgements, batch_size=1000)
    return len(acknowledgements)


def _noshow_cases(now: dt.datetime) -> int:
    """Open follow-up cases for the last week's no-shows whose patient has not booked again (the
    clock closes the others as rebooked; the loader writes no audit rows but its summary)."""
    missed = list(
        Appointment.objects.filter(
            status=AppointmentStatus.NOSHOW,
            starts_at__gte=now - dt.timedelta(days=NOSHOW_CASE_DAYS),
        ).order_by("starts_at", "pk")
    )
    rebooked = set(
        Appointment.objects.filter(
            patient_id__in={a.patient_id for a in missed},
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
        ).values_list("patient_id", flat=True)
    )
    cases = [
        NoShowCase(
            appointment=appointment,
            patient_id=appointment.patient_id,
            location_id=appointment.location_id,
            kind=CaseKind.NO_SHOW,
            opened_at=appointment.starts_at + dt.timedelta(minutes=15),
        )
        for appointment in missed
        if appointment.patient_id not in rebooked
    ]
    NoShowCase.objects.bulk_create(cases)
    return len(cases)


def activity_build(*, seed: int) -> ActivityStats:
    """Write the demo's recent messages, replies, call-back tasks and waitlist (after the schedule)."""
    rng = random.Random(seed + 3)
    now = timezone.now()
    desk = User.objects.get(username=DESK_LOGIN)
    messages, replies, tasks, answered = _reminders(rng, now)
    Message.objects.bulk_create(messages, batch_size=500)
    InboundMessage.objects.bulk_create(replies, batch_size=500)
    FollowUpTask.objects.bulk_create(tasks, batch_size=500)
    Appointment.objects.bulk_update(answered, ["confirmation_status"], batch_size=500)
    entries, offers, offer_messages = _waitlist(rng, now, desk)
    visits = _visits(rng, desk)
    consents = _consents(rng, now, desk)
    noshow_cases = _noshow_cases(now)
    readiness_recompute()  # the next days' chart-prep checklist, as the clock keeps it
    not_ready = Readiness.objects.filter(is_ready=False).count()
    return ActivityStats(
        messages=len(messages) + offer_messages,
        replies=len(replies),
        tasks=len(tasks),
        waitlist_entries=entries,
        offers=offers,
        visits=visits,
        consents=consents,
        noshow_cases=noshow_cases,
        not_ready=not_ready,
    )
