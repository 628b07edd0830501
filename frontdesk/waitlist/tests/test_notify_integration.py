"""With the notifications app installed, offers and "it is gone" notices go out through notification_send.

Skipped while the notifications app is not installed (the offers are then recorded as "pending", which
test_offers.py covers).
"""

from __future__ import annotations

import pytest
from django.apps import apps

from frontdesk.waitlist.models import WaitlistOffer
from frontdesk.waitlist.services import gone_text, offer_text, waitlist_offer_accept
from frontdesk.waitlist.tests.conftest import NOW

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("frontdesk.notifications"), reason="notifications app not installed"
    ),
]


def test_offers_and_gone_notices_are_sent_to_consenting_patients(clinic, make_entry, open_slot):
    from frontdesk.notifications.models import Message

    winner, loser, silent = (make_entry(minutes_ago=m) for m in (30, 20, 10))
    for entry in (winner, loser):
        entry.patient.email_consent_at = NOW
        entry.patient.save(update_fields=["email_consent_at"])

    offers = open_slot()

    by_entry = {offer.entry_id: offer for offer in offers}
    sent = {
        offer.entry_id: (offer.delivery, offer.message_ids) for offer in WaitlistOffer.objects.all()
    }
    message = {m.patient_id: m for m in Message.objects.filter(purpose="waitlist_offer")}
    assert sent == {
        winner.pk: ("sent", [message[winner.patient_id].pk]),
        loser.pk: ("sent", [message[loser.patient_id].pk]),
        silent.pk: ("none", []),
    }
    assert message[winner.patient_id].body == offer_text(by_entry[winner.pk])
    assert message[winner.patient_id].channel == "email"

    waitlist_offer_accept(offer=by_entry[winner.pk], actor=clinic.clerk)

    gone = list(Message.objects.filter(purpose="waitlist_gone").values_list("patient_id", "body"))
    assert gone == [(loser.patient_id, gone_text(by_entry[loser.pk]))]
