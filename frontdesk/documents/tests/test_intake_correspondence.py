"""The correspondence log screen: list and filter, route to a colleague, mark handled."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.documents.choices import Channel, CorrespondenceStatus, Direction
from frontdesk.documents.intake.correspondence import (
    correspondence_list,
    correspondence_mark_handled,
    correspondence_route,
)
from frontdesk.documents.models import Correspondence
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def _row(location, *, direction=Direction.IN, channel=Channel.FAX, counterpart="+15555550123"):
    return Correspondence.objects.create(
        location=location,
        direction=direction,
        channel=channel,
        status=CorrespondenceStatus.RECEIVED if direction == Direction.IN else "sent",
        counterpart=counterpart,
    )


def test_the_list_shows_the_actors_locations_filtered_and_audits_one_query(make_user, location):
    user = make_user(Role.FRONT_DESK, location)
    fax_in = _row(location)
    mail_in = _row(location, channel=Channel.EMAIL, counterpart="lab@example.com")
    fax_out = _row(location, direction=Direction.OUT)
    _row(LocationFactory())  # another location's: never shown

    assert correspondence_list(actor=user) == [fax_out, mail_in, fax_in]
    assert correspondence_list(actor=user, direction=Direction.IN) == [mail_in, fax_in]
    assert correspondence_list(actor=user, channel=Channel.FAX) == [fax_out, fax_in]
    assert AuditEvent.objects.filter(action="query", object_type="correspondence").count() == 3
    assert correspondence_list(actor=make_user(Role.SCHEDULER, location)) == []


def test_routing_and_handling_are_audited_and_scoped(make_user, location):
    user = make_user(Role.FRONT_DESK, location)
    colleague = make_user(Role.NURSE, location, first_name="Nora", last_name="Nurse")
    stranger = make_user(Role.NURSE, LocationFactory())
    row = _row(location)

    routed = correspondence_route(actor=user, correspondence_id=row.pk, user_id=colleague.pk)
    assert (routed.routed_to_id, routed.routed_at is not None) == (colleague.pk, True)
    with pytest.raises(ValidationFailed):
        correspondence_route(actor=user, correspondence_id=row.pk, user_id=stranger.pk)
    with pytest.raises(PermissionDenied):
        correspondence_mark_handled(
            actor=make_user(Role.PROVIDER, location), correspondence_id=row.pk
        )
    with pytest.raises(NotFound):
        correspondence_mark_handled(
            actor=make_user(Role.FRONT_DESK, LocationFactory()), correspondence_id=row.pk
        )

    handled = correspondence_mark_handled(actor=user, correspondence_id=row.pk)
    again = correspondence_mark_handled(actor=user, correspondence_id=row.pk)

    assert (handled.status, handled.handled_by_id) == (CorrespondenceStatus.HANDLED, user.pk)
    assert again.handled_at == handled.handled_at
    updates = AuditEvent.objects.filter(action="update", object_type="correspondence")
    assert updates.count() == 2


def test_the_screen_lists_and_its_buttons_work(staff_client, make_user, location):
    client = staff_client(Role.FRONT_DESK)
    colleague = make_user(Role.NURSE, location, first_name="Nora", last_name="Nurse")
    row = _row(location, counterpart="+15555550188")
    url = reverse("documents:correspondence")

    page = client.get(url, {"direction": "in", "channel": "fax"})
    assert page.status_code == 200
    assert b"+15555550188" in page.content and b"Mark handled" in page.content
    assert b"+15555550188" not in client.get(url, {"channel": "email"}).content

    response = client.post(
        reverse("documents:correspondence_route", args=[row.pk]),
        {"user": colleague.pk, "next_query": "direction=in"},
    )
    assert response.status_code == 302 and response["Location"] == f"{url}?direction=in"
    response = client.post(reverse("documents:correspondence_handled", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.routed_to_id, row.status) == (colleague.pk, CorrespondenceStatus.HANDLED)
    assert b"Mark handled" not in client.get(url).content


def test_a_provider_sees_the_log_without_the_buttons(staff_client, location):
    _row(location)
    page = staff_client(Role.PROVIDER).get(reverse("documents:correspondence"))
    assert page.status_code == 200 and b"Mark handled" not in page.content


def test_a_printout_is_logged_and_audited(make_user, location):
    from frontdesk.documents import blobs
    from frontdesk.documents.intake.printlog import document_print_log
    from frontdesk.documents.models import Document, DocumentVersion
    from frontdesk.documents.services import document_limits
    from frontdesk.documents.sniff import sniff
    from frontdesk.documents.tests import samples
    from tests.factories import PatientFactory

    data = samples.pdf(pages=2)
    blob, _ = blobs.blob_store(data, sniffed=sniff(data, **document_limits()))
    document = Document.objects.create(
        patient=PatientFactory(),
        location=location,
        doc_type="lab_result",
        title="Lab",
        filed_by="code",
    )
    DocumentVersion.objects.create(document=document, number=1, blob=blob, pages=2)
    user = make_user(Role.FRONT_DESK, location)

    row = document_print_log(actor=user, document_id=document.pk, recipient="Patient at the desk")

    assert (row.direction, row.channel, row.status, row.pages, row.counterpart) == (
        Direction.OUT,
        Channel.PRINT,
        CorrespondenceStatus.SENT,
        2,
        "Patient at the desk",
    )
    audit = AuditEvent.objects.get(action="print", object_type="correspondence")
    assert (audit.patient_id, audit.actor_id) == (document.patient_id, user.pk)
    with pytest.raises(PermissionDenied):
        document_print_log(actor=make_user(Role.PROVIDER, location), document_id=document.pk)
