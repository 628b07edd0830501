"""Flash messages (which may name an MRN) are kept in the server-side session, never in a cookie."""

import pytest
from django.urls import reverse

from frontdesk.accounts.choices import Role
from tests.factories import LocationFactory, UserFactory, assign


@pytest.mark.django_db
def test_flash_messages_never_travel_in_a_cookie(client):
    user = UserFactory(role=Role.FRONT_DESK)
    assign(user, LocationFactory())
    client.force_login(user)
    response = client.post(
        reverse("patients:register"),
        {
            "first_name": "Cookieless",
            "last_name": "Zzflashington",
            "date_of_birth": "1990-04-05",
            "sex_at_birth": "F",
            "preferred_language": "en",
            "guarantor_kind": "self",
            "phone_1_type": "mobile",
            "phone_2_type": "mobile",
            "phone_3_type": "mobile",
        },
    )
    assert response.status_code == 302
    assert "messages" not in response.cookies
    page = client.get(response["Location"])
    assert "Patient registered with MRN" in page.content.decode()
