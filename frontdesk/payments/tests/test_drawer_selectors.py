from __future__ import annotations

import pytest

from frontdesk.payments.choices import DrawerStatus
from frontdesk.payments.drawer_selectors import open_drawer_for
from tests.factories import DrawerSessionFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_open_drawer_for_returns_only_the_users_open_drawer_at_that_location() -> None:
    location, other_location = LocationFactory(), LocationFactory()
    user, colleague = UserFactory(), UserFactory()
    assert open_drawer_for(user=user, location=location) is None
    mine = DrawerSessionFactory(location=location, user=user)
    DrawerSessionFactory(location=location, user=colleague)
    DrawerSessionFactory(location=other_location, user=user)
    assert open_drawer_for(user=user, location=location) == mine
    mine.status = DrawerStatus.PENDING_APPROVAL
    mine.save(update_fields=["status"])
    assert open_drawer_for(user=user, location=location) is None
    assert open_drawer_for(user=None, location=location) is None
