"""Reading the board and the metrics: thresholds from settings, scoping, the metric arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import NotFound
from frontdesk.visits import selectors, services
from frontdesk.visits.services import CheckInInput
from frontdesk.visits.tests.conftest import at
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 7)


def _arrive(clerk, appointment) -> None:
    services.visit_check_in(
        actor=clerk,
        appointment=appointment,
        data=CheckInInput(identity_confirmed=True, identity_method="dob"),
    )


def test_thresholds_come_from_settings(day, clerk, settings, time_machine) -> None:
    settings.FLOW_AMBER_MINUTES, settings.FLOW_RED_MINUTES = 5, 8
    first, second, third = day.book(at(9)), day.book(at(9, 20)), day.book(at(9, 40))
    _arrive(clerk, first)
    time_machine.move_to(at(9, 3), tick=False)
    _arrive(clerk, second)
    time_machine.move_to(at(9, 6), tick=False)
    _arrive(clerk, third)
    time_machine.move_to(at(9, 11), tick=False)
    board = selectors.flow_board(user=clerk, location_id=day.location.pk, day=DAY)
    arrived = {c.appointment_id: (c.minutes_in_state, c.level) for c in board.columns[1].cards}
    assert arrived == {first.pk: (11, "red"), second.pk: (8, "red"), third.pk: (5, "amber")}


def test_expected_patients_count_from_their_appointment_time(day, clerk, time_machine) -> None:
    late, future = day.book(at(8, 40)), day.book(at(9, 40))
    board = selectors.flow_board(user=clerk, location_id=day.location.pk, day=DAY)
    expected = {c.appointment_id: (c.minutes_in_state, c.level) for c in board.columns[0].cards}
    assert expected == {late.pk: (20, "amber"), future.pk: (0, "")}


def test_another_locations_board_looks_absent(day, make_user) -> None:
    outsider = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        selectors.flow_board(user=outsider, location_id=day.location.pk, day=DAY)
    with pytest.raises(NotFound):
        selectors.board_version(user=outsider, location_id=day.location.pk, day=DAY)


def test_provider_filter_keeps_the_provider_list(day, clerk) -> None:
    from tests.factories import ProviderFactory

    other = ProviderFactory(first_name="Bo", last_name="Otherdoc")
    day.book(at(9))
    day.book(at(9), provider=other)
    board = selectors.flow_board(
        user=clerk, location_id=day.location.pk, day=DAY, provider_id=other.pk
    )
    assert [c.provider_id for c in board.cards] == [other.pk]
    assert [name for _, name in board.providers] == ["Examplia, A. MD", "Otherdoc, B. MD"]


def test_metrics_by_provider_and_location(day, clerk, time_machine) -> None:
    on_time, late = day.book(at(9)), day.book(at(9, 20))
    _arrive(clerk, on_time)
    _arrive(clerk, late)
    time_machine.move_to(at(9, 8), tick=False)
    services.flow_move(actor=clerk, appointment=on_time, to_state="roomed", room=day.room1)
    time_machine.move_to(at(9, 40), tick=False)
    services.flow_move(actor=clerk, appointment=late, to_state="roomed", room=day.room2)
    services.flow_move(actor=clerk, appointment=on_time, to_state="done")
    result = selectors.flow_metrics(user=clerk, start=DAY, end=DAY)
    (row,) = result.by_provider
    assert (row.visits, row.wait_median, row.cycle_median, row.on_time_rate) == (
        2,
        24.0,
        40.0,
        50.0,
    )
    assert [r.label for r in result.by_location] == [day.location.name]
    assert result.total.visits == 2


def test_a_visit_fulfilled_without_the_board_shows_as_done_not_expected(day, clerk) -> None:
    fulfilled, waiting = day.book(at(8, 40)), day.book(at(9, 40))
    fulfilled.status = "fulfilled"
    fulfilled.save(update_fields=["status"])
    board = selectors.flow_board(user=clerk, location_id=day.location.pk, day=DAY)
    by_state = {c.state: [card.appointment_id for card in c.cards] for c in board.columns}
    assert by_state["expected"] == [waiting.pk]
    assert by_state["done"] == [fulfilled.pk]
    done = board.columns[-1].cards[0]
    assert (done.level, done.total_wait) == ("", None)
