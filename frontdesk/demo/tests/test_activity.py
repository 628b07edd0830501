"""The demo's recent activity: reminders as the reminder run writes them, replies, call-backs, waitlist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from frontdesk.demo.services import demo_load
from frontdesk.notifications.models import FollowUpTask, InboundMessage, Message
from frontdesk.notifications.services import reminder_content
from frontdesk.scheduling.models import Appointment
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer

NOW = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db: None) -> Any:
    with time_machine.travel(NOW, tick=False):
        yield demo_load(patients=800, seed=7)


def test_reminders_cover_the_next_three_days_over_consented_channels_only(demo):
    messages = list(Message.objects.select_related("appointment__location", "patient"))
    reminders = [m for m in messages if m.purpose.startswith("reminder_")]
    assert demo.activity.messages == len(messages)
    assert len(reminders) > 50
    for message in reminders:
        appointment = message.appointment
        assert appointment is not None
        assert NOW < appointment.starts_at <= NOW + dt.timedelta(hours=72)
        assert message.created_at <= NOW
        if message.channel == "sms":
            assert message.patient.sms_consent_at is not None
        else:
            assert message.patient.email_consent_at is not None
            assert message.to_address == message.patient.email
        assert message.body == reminder_content(appointment)[1]  # no visit reason in it
        assert message.status in ("sent", "failed")
        assert (message.sent_at is None) == (message.status == "failed")
    # A 24 h reminder only for visits inside 24 h.
    for message in reminders:
        if message.purpose == "reminder_24h":
            assert message.appointment.starts_at - NOW <= dt.timedelta(hours=24)


def test_replies_match_the_confirmation_on_the_schedule_and_r_creates_a_call_back(demo):
    replies = list(InboundMessage.objects.select_related("appointment"))
    assert len(replies) == demo.activity.replies > 0
    for reply in replies:
        expected = {"C": "confirmed", "R": "reschedule_requested"}[reply.body]
        assert reply.appointment.confirmation_status == expected
        assert reply.received_at <= NOW
    callbacks = set(FollowUpTask.objects.values_list("appointment_id", flat=True))
    assert callbacks == {r.appointment_id for r in replies if r.body == "R"}
    assert len(callbacks) == demo.activity.tasks


def test_the_waitlist_holds_patients_wanting_earlier_visits_and_an_expired_offer(demo):
    entries = list(WaitlistEntry.objects.select_related("current_appointment"))
    assert len(entries) == demo.activity.waitlist_entries == 14
    for entry in entries:
        assert entry.status == "active"
        assert entry.current_appointment.patient_id == entry.patient_id
        assert entry.wanted_before == entry.current_appointment.starts_at.date()
        assert entry.providers.count() == 1
    offer = WaitlistOffer.objects.get()
    assert offer.status == "expired"
    assert Message.objects.get(pk=offer.message_ids[0]).purpose == "waitlist_offer"


def test_reset_removes_and_rebuilds_the_activity(demo):
    with time_machine.travel(NOW, tick=False):
        again = demo_load(patients=100, seed=7, reset=True)
    assert Message.objects.count() == again.activity.messages
    assert WaitlistEntry.objects.count() == again.activity.waitlist_entries
    assert (
        not Message.objects.exclude(appointment__isnull=True)
        .exclude(appointment__in=Appointment.objects.all())
        .exists()
    )


def test_every_fulfilled_visit_has_its_flow_history_in_order(demo):
    from frontdesk.visits.models import FlowEvent, Visit

    fulfilled = Appointment.objects.filter(status="fulfilled").count()
    visits = list(Visit.objects.select_related("appointment"))
    assert len(visits) == fulfilled == demo.activity.visits
    for visit in visits:
        assert visit.state == "done"
        assert visit.location_id == visit.appointment.location_id
        assert visit.arrived_at < visit.roomed_at < visit.checkout_at < visit.done_at
        assert visit.state_since == visit.done_at
    assert FlowEvent.objects.count() == 4 * len(visits)


def test_most_patients_have_consents_on_file_and_chart_prep_lists_the_rest(demo):
    from frontdesk.chartprep.models import ConsentAcknowledgement, NoShowCase, Readiness

    assert ConsentAcknowledgement.objects.count() == demo.activity.consents > 0
    for ack in ConsentAcknowledgement.objects.all():
        assert ack.acknowledged_at <= NOW
    rows = list(Readiness.objects.all())
    assert rows  # the clock's recompute, done once by the loader
    not_ready = [r for r in rows if not r.is_ready]
    assert len(not_ready) == demo.activity.not_ready
    assert 0 < len(not_ready) < len(rows)
    cases = list(NoShowCase.objects.select_related("appointment"))
    assert len(cases) == demo.activity.noshow_cases
    for case in cases:
        assert case.appointment.status == "noshow"
        assert case.appointment.starts_at >= NOW - dt.timedelta(days=7)
