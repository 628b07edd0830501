from typing import Any

import pytest

from frontdesk.audit import chain
from frontdesk.audit.models import AuditChainHead, AuditEvent
from frontdesk.audit.services import Change, audit_record
from frontdesk.audit.tests.conftest import make_staff
from tests.factories import PatientFactory


@pytest.mark.django_db
def test_audit_record_appends_a_chained_row_with_field_changes(settings):
    user = make_staff("front_desk")
    patient: Any = PatientFactory()

    first = audit_record(actor=user, action="read", category="demographics", patient_id=patient.pk)
    second = audit_record(
        actor=user,
        action="update",
        category="demographics",
        patient_id=patient.pk,
        object_type="patient",
        object_id=patient.pk,
        changes=[Change("last_name", "Old", "New"), Change("email", "same", "same")],
    )

    assert (first.sequence, second.sequence) == (1, 2)
    assert first.prev_hash == chain.GENESIS_HASH
    assert second.prev_hash == first.row_hash
    stored = AuditEvent.objects.get(sequence=2)
    values = {name: getattr(stored, name) for name in chain.HASHED_FIELDS}
    assert chain.row_hash(settings.AUDIT_HMAC_KEY.encode(), values) == stored.row_hash
    assert [(c.field, c.old_value, c.new_value) for c in stored.field_changes.all()] == [
        ("last_name", "Old", "New")
    ]
    assert AuditChainHead.objects.get().last_sequence == 2
