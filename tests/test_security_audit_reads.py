"""Every page that shows a patient records exactly one read of that patient (promise 15).

Walked over the URL list: a page whose body names the sample patient (by its MRN) must have written
exactly one audit row for that patient, so no screen can be used to look people up unrecorded (for
example by stepping through ids). A new page joins the walk automatically.
"""

from __future__ import annotations

import pytest

from frontdesk.audit.models import AuditEvent
from tests.test_policy_matrix import PROTECTED, Route, _client_for, _objects, _path, _permitted_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.name)
def test_a_page_that_shows_a_patient_records_one_read(route: Route) -> None:
    objects = _objects()
    patient = objects["patient"]
    client = _client_for(_permitted_role(route), objects["location"])
    path = _path(route, objects)
    before = AuditEvent.objects.count()

    response = client.get(path)

    attachment = response.get("Content-Disposition", "").startswith("attachment")
    if attachment:
        # A downloaded file (a raw X12 answer, an exchange file) rarely carries the MRN: it is
        # recorded as an export, of the patient or of the object downloaded; never as a page read.
        mine = [row for row in _rows(before) if row[0] == patient.pk]
        assert mine in ([], [(patient.pk, "export", "success")]), route.name
        return
    shown = not response.streaming and patient.mrn in response.content.decode(errors="replace")
    rows = list(
        AuditEvent.objects.order_by("sequence")[before:].values_list(
            "patient_id", "action", "outcome"
        )
    )
    if shown:
        assert [row for row in rows if row[0] == patient.pk] == [(patient.pk, "read", "success")], (
            route.name
        )
    else:
        assert [row for row in rows if row[0] == patient.pk] == [], route.name


def test_the_walk_sees_the_patient_pages() -> None:
    names = {route.name for route in PROTECTED}
    assert {"patients:detail", "patients:edit", "patients:verify", "patients:merge"} <= names


def _rows(before: int) -> list[tuple[int | None, str, str]]:
    return list(
        AuditEvent.objects.order_by("sequence")[before:].values_list(
            "patient_id", "action", "outcome"
        )
    )
