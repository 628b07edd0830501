"""Sending messages to patients (consent, quiet hours, idempotency) and recording their SMS replies.

``notification_send`` writes one ``Message`` per channel the patient consented to, with its audit row,
in one transaction; delivery happens after commit in the ``message_deliver`` task. A message is sent
at most once: the idempotency key is unique, and delivery locks the row and only sends a message still
queued or deferred.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import uuid
import zoneinfo
from collections.abc import Sequence
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from functools import partial
from html import escape
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.notifications.checkin_code import check_in_code_for, qr_png
from frontdesk.notifications.choices import Channel, MessageStatus, ReplyAction
from frontdesk.notifications.gateways import GatewayError, sms_gateway
from frontdesk.notifications.models import FollowUpTask, InboundMessage, Message
from frontdesk.patients.models import Patient, PatientPhone
from frontdesk.patients.normalize import InvalidPhone, phone_e164
from frontdesk.scheduling.choices import ACTIVE_STATUSES
from frontdesk.scheduling.models import Appointment

logger = logging.getLogger("frontdesk.notifications")

ACTOR_NAME = "notifications"
MSG_CHANNEL = "Unknown channel."
MSG_TEXT = "A message needs a text."


# --- quiet hours ---------------------------------------------------------------------------------


def _parse_quiet_hours(value: str) -> tuple[dt.time, dt.time] | None:
    value = (value or "").strip()
    if not value:
        return None
    start, _, end = value.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def quiet_hours_end(*, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """When the quiet hours containing ``now`` end (aware), or None when ``now`` is not quiet.

    The window is wall-clock time in ``tz`` and may span midnight (21:00-08:00).
    """
    window = _parse_quiet_hours(settings.NOTIFY_QUIET_HOURS)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(tz)
    clock = local.time()
    if start <= end:
        quiet = start <= clock < end
        end_day = local.date()
    else:
        quiet = clock >= start or clock < end
        end_day = local.date() + dt.timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return None
    # fold=0 and normalising through UTC: a wall time in a DST gap moves forward, never backwards.
    return dt.datetime.combine(end_day, end, tzinfo=tz).astimezone(dt.UTC)


def _message_tz(appointment: Appointment | None) -> dt.tzinfo:
    if appointment is not None:
        return appointment.location.tzinfo
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# --- sending -------------------------------------------------------------------------------------


def _sms_number(patient: Patient) -> str:
    phone = (
        PatientPhone.objects.filter(patient=patient, sms_capable=True)
        .order_by("rank", "pk")
        .first()
    )
    return phone.number if phone is not None else ""


def _addresses(patient: Patient, channels: Sequence[str]) -> list[tuple[str, str]]:
    """(channel, address) for each requested channel the patient consented to and can receive."""
    found: list[tuple[str, str]] = []
    for channel in channels:
        if channel == Channel.SMS and patient.sms_consent_at is not None:
            number = _sms_number(patient)
            if number:
                found.append((Channel.SMS, number))
        elif channel == Channel.EMAIL and patient.email_consent_at is not None and patient.email:
            found.append((Channel.EMAIL, patient.email))
    return found


def _enqueue(message: Message) -> None:
    from frontdesk.notifications.tasks import message_deliver

    if message.send_after is not None:
        message_deliver.using(run_after=message.send_after).enqueue(message.pk)
    else:
        message_deliver.enqueue(message.pk)


def notification_send(
    *,
    patient: Patient,
    purpose: str,
    text: str,
    subject: str = "",
    appointment: Appointment | None = None,
    ics: bytes | None = None,
    channels: Sequence[str] | None = None,
    idempotency_key: str = "",
) -> list[Message]:
    """Log and (after commit) send ``text`` over each channel the patient consented to.

    Callers pass text with no diagnosis or visit reason. Inside quiet hours the message is deferred
    to their end. The same ``idempotency_key`` never produces a second message: the messages already
    written for it are returned instead. A patient who consented to nothing gets no message ([]).
    """
    wanted = list(channels) if channels is not None else [Channel.SMS, Channel.EMAIL]
    unknown = [channel for channel in wanted if channel not in Channel.values]
    if unknown:
        raise ValidationFailed(MSG_CHANNEL, fields={"channels": [MSG_CHANNEL]})
    if not text.strip():
        raise ValidationFailed(MSG_TEXT, fields={"text": [MSG_TEXT]})
    base_key = idempotency_key or f"auto:{uuid.uuid4().hex}"
    now = timezone.now()
    send_after = quiet_hours_end(now=now, tz=_message_tz(appointment))
    messages: list[Message] = []
    with transaction.atomic():
        for channel, address in _addresses(patient, wanted):
            key = f"{base_key}:{channel}"
            existing = Message.objects.filter(idempotency_key=key).first()
            if existing is not None:
                messages.append(existing)
                continue
            try:
                with transaction.atomic():
                    message = Message.objects.create(
                        patient=patient,
                        appointment=appointment,
                        channel=channel,
                        purpose=purpose,
                        to_address=address,
                        subject=subject[:200] if channel == Channel.EMAIL else "",
                        body=text,
                        ics=ics if channel == Channel.EMAIL else None,
                        status=MessageStatus.DEFERRED if send_after else MessageStatus.QUEUED,
                        idempotency_key=key,
                        send_after=send_after,
                        created_at=now,
                    )
                    audit_record(
                        actor=None,
                        actor_name=ACTOR_NAME,
                        action=AuditAction.CREATE,
                        category=AuditCategory.SCHEDULE,
                        patient_id=patient.pk,
                        object_type="message",
                        object_id=message.pk,
                        detail={"channel": channel, "purpose": purpose},
                    )
            except IntegrityError:
                # A concurrent sender won the key: theirs is the message.
                messages.append(Message.objects.get(idempotency_key=key))
                continue
            transaction.on_commit(partial(_enqueue, message))
            messages.append(message)
    return messages


CHECK_IN_SCAN = "Scan this at the check-in tablet"
CHECK_IN_CID = "check-in-code@frontdesk.invalid"


def _check_in_code(message: Message) -> str | None:
    """A reminder e-mail's check-in code (computed at send time, never stored in the message log)."""
    if not message.purpose.startswith("reminder_") or message.appointment_id is None:
        return None
    appointment = (
        Appointment.objects.select_related("location").filter(pk=message.appointment_id).first()
    )
    if appointment is None or appointment.status not in ACTIVE_STATUSES:
        return None
    return check_in_code_for(appointment)


def _with_check_in_code(text: str, code: str) -> MIMEMultipart:
    """multipart/related: the text (plain and HTML alternatives) and the code's QR image inline."""
    plain = (
        f"{text}\n\n{CHECK_IN_SCAN} (the QR code in this e-mail), or type this code:\n{code}\n"
        "The code works on the day of your appointment only.\n"
    )
    html = (
        f"<p>{escape(text)}</p>"
        f"<p><strong>{CHECK_IN_SCAN}</strong></p>"
        f'<p><img src="cid:{CHECK_IN_CID}" alt="Check-in QR code" width="180" height="180"></p>'
        f"<p>Or type this code: <code>{escape(code)}</code></p>"
        "<p>The code works on the day of your appointment only.</p>"
    )
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(plain, "plain", "utf-8"))
    alternative.attach(MIMEText(html, "html", "utf-8"))
    image = MIMEImage(qr_png(code), "png")
    image.add_header("Content-ID", f"<{CHECK_IN_CID}>")
    image.add_header("Content-Disposition", "inline", filename="check-in-code.png")
    related = MIMEMultipart("related")
    related.attach(alternative)
    related.attach(image)
    return related


def _send_email(message: Message) -> str:
    message_id = make_msgid(domain="frontdesk.invalid")
    code = _check_in_code(message)
    email = EmailMessage(
        subject=message.subject,
        body="" if code else message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"Message-ID": message_id},
        connection=get_connection(),
    )
    if code:
        # multipart/mixed [related [alternative [plain, html], png], ics]: the empty body is left
        # out by Django, the related part carries the text.
        email.attach(_with_check_in_code(message.body, code))
    if message.ics:
        email.attach("appointment.ics", bytes(message.ics), "text/calendar")
    email.send(fail_silently=False)
    return message_id


def message_deliver_now(*, message_id: int) -> str:
    """Send one message if it is still due; return its status afterwards.

    The row is locked while sending so two workers cannot both send it; a message already sent or
    failed is left alone (a retried task is a no-op).
    """
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return "missing"
        if message.status not in (MessageStatus.QUEUED, MessageStatus.DEFERRED):
            return str(message.status)
        if message.send_after is not None and message.send_after > now:
            return str(message.status)
        message.attempts += 1
        try:
            if message.channel == Channel.EMAIL:
                provider_id = _send_email(message)
            else:
                provider_id = sms_gateway().send(to=message.to_address, body=message.body)
        except GatewayError as error:
            message.status = MessageStatus.FAILED
            message.error = str(error)[:200]
            message.failed_at = timezone.now()
        except OSError as error:  # SMTP connection refused, timeout, protocol error
            message.status = MessageStatus.FAILED
            message.error = type(error).__name__[:200]
            message.failed_at = timezone.now()
        else:
            message.status = MessageStatus.SENT
            message.provider_message_id = provider_id[:200]
            message.sent_at = timezone.now()
        message.save(
            update_fields=[
                "status",
                "error",
                "provider_message_id",
                "sent_at",
                "failed_at",
                "attempts",
            ]
        )
    logger.info("message %s %s %s", message.pk, message.channel, message.status)
    return str(message.status)


def messages_release_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue deferred messages whose quiet hours are over (a backstop for a lost delayed task)."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(status=MessageStatus.DEFERRED, send_after__lte=now).values_list(
            "pk", flat=True
        )
    )
    from frontdesk.notifications.tasks import message_deliver

    for pk in due:
        message_deliver.enqueue(pk)
    return len(due)


# --- reminders -----------------------------------------------------------------------------------


def _practice_name(appointment: Appointment) -> str:
    return appointment.location.organization.name


def reminder_content(appointment: Appointment) -> tuple[str, str]:
    """(subject, text) of a reminder: practice, date/time, location, reply instructions — no reason."""
    local = appointment.starts_at.astimezone(appointment.location.tzinfo)
    when = f"{local:%a %b} {local.day}, {local:%Y} at {local:%I:%M %p %Z}".replace(" 0", " ")
    location = appointment.location
    place = ", ".join(
        part for part in (location.name, location.address_line1, location.city) if part
    )
    practice = _practice_name(appointment)
    subject = f"{practice}: appointment reminder"
    text = (
        f"{practice}: reminder of your appointment on {when} at {place}. "
        "Reply C to confirm, R to reschedule, X to cancel."
    )
    return subject, text


def appointment_ics(appointment: Appointment) -> bytes:
    """An iCalendar (RFC 5545) event for the appointment: time, place, practice — no visit reason."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//FrontDesk//Appointment reminder//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.pk}@frontdesk.invalid")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Appointment at {_practice_name(appointment)}")
    location = appointment.location
    event.add(
        "location",
        ", ".join(
            part
            for part in (
                location.name,
                location.address_line1,
                location.city,
                location.state,
                location.postal_code,
            )
            if part
        ),
    )
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Write the reminders due around ``now`` for every configured hour mark; return how many are new.

    An appointment starting within ``NOTIFY_REMINDER_WINDOW_MINUTES`` either side of ``now + hours``
    gets the reminder keyed ``reminder:<appointment>:<hours>``; a second run (or a restarted worker)
    finds the key and writes nothing.
    """
    now = now or timezone.now()
    window = dt.timedelta(minutes=int(settings.NOTIFY_REMINDER_WINDOW_MINUTES))
    created = 0
    for hours in settings.NOTIFY_REMINDER_HOURS:
        target = now + dt.timedelta(hours=int(hours))
        due = (
            Appointment.objects.filter(
                status__in=ACTIVE_STATUSES,
                starts_at__gte=max(target - window, now),
                starts_at__lt=target + window,
            )
            .select_related("patient", "location__organization")
            .order_by("starts_at", "pk")
        )
        for appointment in due:
            key = f"reminder:{appointment.pk}:{hours}"
            before = Message.objects.filter(idempotency_key__startswith=f"{key}:").count()
            subject, text = reminder_content(appointment)
            messages = notification_send(
                patient=appointment.patient,
                purpose=f"reminder_{hours}h",
                text=text,
                subject=subject,
                appointment=appointment,
                ics=appointment_ics(appointment),
                idempotency_key=key,
            )
            created += len(messages) - before
    messages_release_due(now=now)
    return created


# --- inbound SMS ---------------------------------------------------------------------------------


def webhook_signature_valid(*, body: bytes, signature: str) -> bool:
    """True when ``signature`` is the hex HMAC-SHA256 of ``body`` under NOTIFY_WEBHOOK_SECRET."""
    if not signature or not settings.NOTIFY_WEBHOOK_SECRET:
        return False
    expected = hmac.new(settings.NOTIFY_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


REPLY_CODES = {
    "C": "C",
    "CONFIRM": "C",
    "YES": "C",
    "R": "R",
    "RESCHEDULE": "R",
    "X": "X",
    "CANCEL": "X",
}


def _reply_code(body: str) -> str:
    words = body.strip().upper().split()
    return REPLY_CODES.get(words[0].strip(".!"), "") if words else ""


def _reminded_appointment(patient_ids: list[int], now: dt.datetime) -> Appointment | None:
    """The next upcoming active appointment of these patients that was reminded by SMS."""
    reminded = Message.objects.filter(
        channel=Channel.SMS,
        purpose__startswith="reminder_",
        status__in=[MessageStatus.SENT, MessageStatus.DELIVERED],
    ).values("appointment_id")
    return (
        Appointment.objects.filter(
            patient_id__in=patient_ids,
            status__in=ACTIVE_STATUSES,
            starts_at__gt=now,
            pk__in=reminded,
        )
        .select_related("patient", "location")
        .order_by("starts_at", "pk")
        .first()
    )


def inbound_sms_record(
    *,
    from_number: str,
    body: str,
    provider_message_id: str = "",
    received_at: dt.datetime | None = None,
) -> InboundMessage:
    """Record an SMS reply and act on it: C confirms, R asks for a call back, X cancels.

    The sender is matched by their SMS-capable phone; the appointment is their next upcoming active
    appointment that was reminded by SMS. An unknown number or a reply that matches nothing is
    recorded and changes nothing.
    """
    from frontdesk.notifications import replies

    received_at = received_at or timezone.now()
    try:
        number = phone_e164(from_number)
    except InvalidPhone:  # an unparseable sender is simply unknown
        number = ""
    patient_ids = sorted(
        set(
            PatientPhone.objects.filter(number=number, patient__is_active=True).values_list(
                "patient_id", flat=True
            )
        )
        if number
        else set()
    )
    record: dict[str, Any] = {
        "from_number": (number or from_number)[:20],
        "body": body[:1600],
        "received_at": received_at,
        "provider_message_id": provider_message_id[:200],
    }
    if not patient_ids:
        return InboundMessage.objects.create(**record, action=ReplyAction.UNKNOWN_SENDER)
    with transaction.atomic():
        appointment = _reminded_appointment(patient_ids, received_at)
        code = _reply_code(body)
        handler = replies.handler_for(code)
        if appointment is None or handler is None:
            inbound = InboundMessage.objects.create(
                **record,
                patient_id=appointment.patient_id if appointment else patient_ids[0],
                appointment=appointment,
                action=ReplyAction.NO_APPOINTMENT
                if appointment is None
                else ReplyAction.NOT_UNDERSTOOD,
            )
            audit_record(
                actor=None,
                actor_name=ACTOR_NAME,
                action=AuditAction.CREATE,
                category=AuditCategory.SCHEDULE,
                patient_id=inbound.patient_id,
                object_type="inbound_message",
                object_id=inbound.pk,
                detail={"action": inbound.action},
            )
            return inbound
        inbound = InboundMessage.objects.create(
            **record,
            patient=appointment.patient,
            appointment=appointment,
            action=ReplyAction.FAILED,
        )
        inbound.action = handler(appointment=appointment, inbound=inbound)
        inbound.save(update_fields=["action"])
        if inbound.action == ReplyAction.FAILED:
            # The handler changed nothing (and audited nothing); the reply itself is still recorded.
            audit_record(
                actor=None,
                actor_name=ACTOR_NAME,
                action=AuditAction.CREATE,
                category=AuditCategory.SCHEDULE,
                patient_id=inbound.patient_id,
                object_type="inbound_message",
                object_id=inbound.pk,
                detail={"action": inbound.action},
            )
    return inbound


# --- follow-up tasks -----------------------------------------------------------------------------

MSG_TASK_DONE = "This task is already done."
MSG_TASK_CLAIMED = "Someone else has claimed this task."
MSG_TASK_NOTE = "Say what was done (at most 500 characters)."


def _task_locked(task: FollowUpTask) -> FollowUpTask:
    locked: FollowUpTask = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    if locked.done_at is not None:
        raise Conflict(MSG_TASK_DONE, code="task_done")
    return locked


def followup_task_claim(*, actor: Any, task: FollowUpTask) -> FollowUpTask:
    """Take a task on (so two people do not phone the same patient); claiming your own is a no-op."""
    if actor is None or not actor.can(A.TASK_WORK):
        raise PermissionDenied()
    with transaction.atomic():
        current = _task_locked(task)
        if current.claimed_by_id == actor.pk:
            return current
        if current.claimed_by_id is not None:
            raise Conflict(MSG_TASK_CLAIMED, code="task_claimed")
        current.claimed_by = actor
        current.claimed_at = timezone.now()
        current.save(update_fields=["claimed_by", "claimed_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.SCHEDULE,
            patient_id=current.patient_id,
            object_type="followup_task",
            object_id=current.pk,
            detail={"event": "followup_task_claimed"},
        )
    return current


def followup_task_complete(*, actor: Any, task: FollowUpTask, note: str) -> FollowUpTask:
    """Close a task with a note of what was done (a task claimed by someone else stays theirs)."""
    if actor is None or not actor.can(A.TASK_WORK):
        raise PermissionDenied()
    note = (note or "").strip()
    if not note or len(note) > 500:
        raise ValidationFailed(MSG_TASK_NOTE, field="note")
    with transaction.atomic():
        current = _task_locked(task)
        if current.claimed_by_id not in (None, actor.pk):
            raise Conflict(MSG_TASK_CLAIMED, code="task_claimed")
        now = timezone.now()
        if current.claimed_by_id is None:
            current.claimed_by = actor
            current.claimed_at = now
        current.done_at = now
        current.done_by = actor
        current.note = note
        current.save(update_fields=["claimed_by", "claimed_at", "done_at", "done_by", "note"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.SCHEDULE,
            patient_id=current.patient_id,
            object_type="followup_task",
            object_id=current.pk,
            detail={"event": "followup_task_completed"},
        )
    return current
