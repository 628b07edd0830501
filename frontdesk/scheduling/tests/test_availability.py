"""Pure availability arithmetic: intervals, template expansion across DST, slot generation, is_bookable."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from frontdesk.scheduling import availability as av
from frontdesk.scheduling.availability import Interval

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
BASE = dt.datetime(2026, 6, 1, tzinfo=UTC)
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=UTC)


def at(minutes: int) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minutes)


def iv(a: int, b: int) -> Interval:
    return Interval(at(a), at(b))


intervals = st.builds(lambda a, n: iv(a, a + n), st.integers(0, 2000), st.integers(0, 300))
interval_lists = st.lists(intervals, max_size=12)


def minutes_in(items: list[Interval]) -> set[int]:
    """Every whole minute covered (intervals in these tests are minute-aligned)."""
    covered: set[int] = set()
    for item in items:
        first = int((item.start - BASE).total_seconds() // 60)
        last = int((item.end - BASE).total_seconds() // 60)
        covered.update(range(first, last))
    return covered


# --- interval algebra ------------------------------------------------------------------------------


@given(interval_lists)
def test_merge_is_sorted_disjoint_and_covers_the_same_time(items: list[Interval]) -> None:
    merged = av.merge(items)
    assert minutes_in(merged) == minutes_in(items)
    for left, right in itertools.pairwise(merged):
        assert left.end < right.start  # disjoint and not touching
    assert all(not m.is_empty for m in merged)
    assert av.merge(merged) == merged


@given(interval_lists, interval_lists)
def test_subtract_equals_set_difference(base: list[Interval], cut: list[Interval]) -> None:
    result = av.subtract(base, cut)
    assert minutes_in(result) == minutes_in(base) - minutes_in(cut)
    assert av.merge(result) == result
    assert not any(r.overlaps(c) for r in result for c in cut)


@given(interval_lists, interval_lists)
def test_intersect_equals_set_intersection(a: list[Interval], b: list[Interval]) -> None:
    result = av.intersect(a, b)
    assert minutes_in(result) == minutes_in(a) & minutes_in(b)
    assert av.merge(result) == result


def test_half_open_intervals_touching_do_not_overlap() -> None:
    assert not iv(0, 30).overlaps(iv(30, 60))
    assert iv(0, 31).overlaps(iv(30, 60))
    assert not iv(0, 60).overlaps(iv(30, 30))  # empty
    assert av.merge([iv(0, 30), iv(30, 60)]) == [iv(0, 60)]
    assert av.subtract([iv(0, 60)], [iv(20, 30)]) == [iv(0, 20), iv(30, 60)]


def test_naive_or_reversed_interval_is_rejected() -> None:
    with pytest.raises(ValueError):
        Interval(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2))
    with pytest.raises(ValueError):
        iv(10, 5)


# --- DST ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "offset_std"),
    [(NY, 5), (CHI, 6)],
)
def test_spring_forward_gap_is_clipped_to_the_transition(tz: ZoneInfo, offset_std: int) -> None:
    day = dt.date(2026, 3, 8)
    transition = dt.datetime(2026, 3, 8, 2 + offset_std, tzinfo=UTC)  # 02:00 standard time
    assert av.wall_to_utc(day, dt.time(1, 30), tz) == transition - dt.timedelta(minutes=30)
    assert av.wall_to_utc(day, dt.time(2, 30), tz) == transition
    assert av.wall_to_utc(day, dt.time(3, 0), tz) == transition
    assert av.wall_to_utc(day, dt.time(8, 0), tz) == dt.datetime(
        2026, 3, 8, 8 + offset_std - 1, tzinfo=UTC
    )
    assert not av.is_wall_time_valid(day, dt.time(2, 15), tz)
    assert av.is_wall_time_valid(day, dt.time(3, 15), tz)


@pytest.mark.parametrize(("tz", "offset_std"), [(NY, 5), (CHI, 6)])
def test_spring_forward_windows(tz: ZoneInfo, offset_std: int) -> None:
    day = dt.date(2026, 3, 8)  # a Sunday
    rules = [
        av.TemplateRule(6, dt.time(1, 0), dt.time(4, 0), day),  # crosses the gap: 2 real hours
        av.TemplateRule(6, dt.time(2, 10), dt.time(2, 50), day),  # wholly inside: vanishes
        av.TemplateRule(6, dt.time(8, 0), dt.time(12, 0), day),  # after: daylight time
    ]
    windows = av.expand_templates(rules, tz, day, day)
    assert [w.interval for w in windows] == [
        Interval(
            dt.datetime(2026, 3, 8, 1 + offset_std, tzinfo=UTC),
            dt.datetime(2026, 3, 8, 3 + offset_std, tzinfo=UTC),
        ),
        Interval(
            dt.datetime(2026, 3, 8, 7 + offset_std, tzinfo=UTC),
            dt.datetime(2026, 3, 8, 11 + offset_std, tzinfo=UTC),
        ),
    ]


@pytest.mark.parametrize(("tz", "offset_std"), [(NY, 5), (CHI, 6)])
def test_fall_back_window_lasts_its_real_length(tz: ZoneInfo, offset_std: int) -> None:
    day = dt.date(2026, 11, 1)  # a Sunday
    rules = [
        av.TemplateRule(6, dt.time(0, 0), dt.time(3, 0), day),  # 4 real hours
        av.TemplateRule(6, dt.time(1, 30), dt.time(9, 0), day),  # starts at the FIRST 01:30
    ]
    first, second = av.expand_templates(rules, tz, day, day)
    assert first.interval == Interval(
        dt.datetime(2026, 11, 1, offset_std - 1, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 3 + offset_std, tzinfo=UTC),
    )
    assert first.interval.end - first.interval.start == dt.timedelta(hours=4)
    assert second.interval.start == dt.datetime(2026, 11, 1, offset_std, 30, tzinfo=UTC)
    assert second.interval.end == dt.datetime(2026, 11, 1, 9 + offset_std, tzinfo=UTC)


def test_fall_back_day_slots_are_all_distinct_and_on_real_instants() -> None:
    day = dt.date(2026, 11, 1)
    calendar = av.ProviderCalendar(
        1, 1, NY, [av.TemplateRule(6, dt.time(0, 0), dt.time(3, 0), day)]
    )
    kind = av.TypeSpec(7, 60)
    slots = list(
        av.iter_slots(
            calendar,
            kind,
            start=dt.datetime(2026, 11, 1, tzinfo=UTC),
            end=dt.datetime(2026, 11, 2, tzinfo=UTC),
            now=LONG_AGO,
            grid_minutes=60,
        )
    )
    assert [s.start for s in slots] == [
        dt.datetime(2026, 11, 1, 4, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 6, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 7, tzinfo=UTC),
    ]


def test_template_effective_range_is_inclusive() -> None:
    rule = av.TemplateRule(0, dt.time(9), dt.time(10), dt.date(2026, 6, 1), dt.date(2026, 6, 8))
    windows = av.expand_templates([rule], NY, dt.date(2026, 5, 25), dt.date(2026, 6, 20))
    assert [w.interval.start.astimezone(NY).date() for w in windows] == [
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 8),
    ]


# --- slots ------------------------------------------------------------------------------------------

MONDAY = dt.date(2026, 6, 1)
DAY_START = dt.datetime(2026, 6, 1, 4, tzinfo=UTC)  # local midnight in New York (EDT)
DAY_END = DAY_START + dt.timedelta(days=1)


def local(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, 1, hour, minute, tzinfo=NY).astimezone(UTC)


def rule(start: str, end: str, kind: str = av.KIND_OPEN, **extra: object) -> av.TemplateRule:
    return av.TemplateRule(
        0, dt.time.fromisoformat(start), dt.time.fromisoformat(end), MONDAY, None, kind, **extra
    )  # type: ignore[arg-type]


def starts(calendar: av.ProviderCalendar, kind: av.TypeSpec, **kw: object) -> list[dt.datetime]:
    options = {"start": DAY_START, "end": DAY_END, "now": LONG_AGO, **kw}
    return [c.start for c in av.iter_slots(calendar, kind, **options)]  # type: ignore[arg-type]


def test_slots_respect_blocks_busy_and_buffers() -> None:
    calendar = av.ProviderCalendar(
        1,
        1,
        NY,
        [rule("09:00", "12:00"), rule("10:00", "10:30", av.KIND_BLOCK)],
        busy=[Interval(local(11), local(11, 20))],
    )
    kind = av.TypeSpec(5, 20, buffer_before_minutes=5, buffer_after_minutes=5)
    result = starts(calendar, kind, grid_minutes=5)
    # 09:05..09:35 (needs 09:00 before, 10:00 after); 10:35 is the first after the block;
    # 10:35 + 20 + 5 = 11:00 fits exactly against the busy 11:00; after 11:20: 11:25..11:35.
    assert result == [
        local(9, 5),
        local(9, 10),
        local(9, 15),
        local(9, 20),
        local(9, 25),
        local(9, 30),
        local(9, 35),
        local(10, 35),
        local(11, 25),
        local(11, 30),
        local(11, 35),
    ]


def test_type_restricted_window_carves_out_other_types() -> None:
    calendar = av.ProviderCalendar(
        1, 1, NY, [rule("08:00", "12:00"), rule("09:00", "11:00", type_ids=frozenset({2}))]
    )
    new_patient = starts(calendar, av.TypeSpec(2, 60), grid_minutes=60)
    established = starts(calendar, av.TypeSpec(3, 60), grid_minutes=60)
    assert new_patient == [local(8), local(9), local(10), local(11)]
    assert established == [local(8), local(11)]


def test_reserved_window_opens_to_everyone_before_its_start() -> None:
    calendar = av.ProviderCalendar(
        1,
        1,
        NY,
        [
            rule("08:00", "10:00"),
            rule(
                "08:00",
                "09:00",
                av.KIND_RESERVED,
                type_ids=frozenset({9}),
                release_minutes_before=120,
            ),
        ],
    )
    routine = av.TypeSpec(3, 60)
    urgent = av.TypeSpec(9, 60)
    early = local(5, 59)  # 2 h 1 min before 08:00
    released = local(6, 0)
    assert starts(calendar, urgent, grid_minutes=60, now=early) == [local(8), local(9)]
    assert starts(calendar, routine, grid_minutes=60, now=early) == [local(9)]
    assert starts(calendar, routine, grid_minutes=60, now=released) == [local(8), local(9)]
    verdict = av.is_bookable(calendar, routine, local(8), now=early)
    assert (verdict.ok, verdict.reason) == (False, av.RESERVED)
    assert av.is_bookable(calendar, routine, local(8), now=released).ok


def test_daily_cap_counts_local_days() -> None:
    calendar = av.ProviderCalendar(
        1, 1, NY, [rule("08:00", "10:00")], type_starts=[local(7), local(23, 30)]
    )
    capped = av.TypeSpec(4, 30, daily_cap=2)
    assert starts(calendar, capped) == []
    assert av.is_bookable(calendar, capped, local(8), now=LONG_AGO).reason == av.DAILY_CAP
    roomy = av.TypeSpec(4, 30, daily_cap=3)
    assert starts(calendar, roomy, grid_minutes=30) == [
        local(8),
        local(8, 30),
        local(9),
        local(9, 30),
    ]


def test_patient_busy_rooms_and_equipment() -> None:
    calendar = av.ProviderCalendar(1, 1, NY, [rule("08:00", "10:00")])
    kind = av.TypeSpec(4, 30)
    rooms = [
        av.Resource(11, (Interval(local(8), local(9)),)),
        av.Resource(12, (Interval(local(8), local(8, 30)),)),
    ]
    gear = [av.Resource(21, (Interval(local(9), local(9, 30)),))]
    found = list(
        av.iter_slots(
            calendar,
            kind,
            start=DAY_START,
            end=DAY_END,
            now=LONG_AGO,
            grid_minutes=30,
            patient_busy=[Interval(local(9, 30), local(9, 45))],
            rooms=rooms,
            equipment=gear,
        )
    )
    assert [(c.start, c.room_id, c.equipment_id) for c in found] == [(local(8, 30), 12, 21)]
    assert av.is_bookable(calendar, kind, local(8), now=LONG_AGO, rooms=rooms).reason == av.NO_ROOM
    assert av.is_bookable(calendar, kind, local(9), now=LONG_AGO, equipment=gear).reason == (
        av.NO_EQUIPMENT
    )
    assert (
        av.is_bookable(
            calendar,
            kind,
            local(9, 30),
            now=LONG_AGO,
            patient_busy=[Interval(local(9, 30), local(9, 45))],
        ).reason
        == av.PATIENT_BUSY
    )
    assert av.is_bookable(calendar, kind, local(8), now=LONG_AGO, rooms=[]).reason == av.NO_ROOM


def test_is_bookable_reasons() -> None:
    calendar = av.ProviderCalendar(
        1,
        1,
        NY,
        [
            rule("08:00", "12:00"),
            rule("10:00", "10:30", av.KIND_BLOCK),
            rule("11:00", "12:00", type_ids=frozenset({99})),
        ],
        blocks=[Interval(local(9, 30), local(9, 45))],
        busy=[Interval(local(8, 30), local(9))],
    )
    kind = av.TypeSpec(4, 15)

    def reason(start: dt.datetime, now: dt.datetime = LONG_AGO) -> str:
        return av.is_bookable(calendar, kind, start, now=now).reason

    assert reason(local(8)) == av.OK
    assert reason(local(8), now=local(8, 1)) == av.IN_PAST
    assert reason(local(8, 2)) == av.OFF_GRID
    assert reason(local(7, 50)) == av.OUTSIDE_AVAILABILITY
    assert reason(local(12)) == av.OUTSIDE_AVAILABILITY
    assert reason(local(11)) == av.TYPE_NOT_ALLOWED
    assert reason(local(10, 15)) == av.BLOCKED
    assert reason(local(9, 30)) == av.BLOCKED
    assert reason(local(8, 20)) == av.BUSY
    assert reason(local(9)) == av.OK
    assert reason(local(8, 45)) == av.BUSY


def test_search_filter_weekday_and_time_of_day() -> None:
    calendar = av.ProviderCalendar(1, 1, NY, [rule("08:00", "12:00")])
    kind = av.TypeSpec(4, 60)
    window = av.SearchFilter(earliest_time=dt.time(9), latest_time=dt.time(11))
    assert starts(calendar, kind, grid_minutes=60, search=window) == [local(9), local(10)]
    assert starts(calendar, kind, search=av.SearchFilter(weekdays=frozenset({1}))) == []


def test_first_slots_merges_streams_by_rank() -> None:
    one = av.ProviderCalendar(1, 1, NY, [rule("09:00", "10:00")])
    two = av.ProviderCalendar(2, 1, NY, [rule("08:30", "10:00")])
    kind = av.TypeSpec(4, 30)
    streams = [
        av.iter_slots(c, kind, start=DAY_START, end=DAY_END, now=LONG_AGO, grid_minutes=30)
        for c in (one, two)
    ]
    best = av.first_slots(
        streams, limit=3, rank=lambda c: (c.start, 0 if c.provider_id == 1 else 1)
    )
    assert [(c.provider_id, c.start) for c in best] == [
        (2, local(8, 30)),
        (1, local(9)),
        (2, local(9)),
    ]


# --- properties of generated slots ---------------------------------------------------------------

wall_times = st.integers(0, 23 * 12).map(lambda n: dt.time(n // 12, (n % 12) * 5))


@st.composite
def day_rules(draw: st.DrawFn, weekday: int, day: dt.date) -> list[av.TemplateRule]:
    rules = []
    for _ in range(draw(st.integers(1, 4))):
        a, b = sorted(draw(st.lists(wall_times, min_size=2, max_size=2, unique=True)))
        kind = draw(st.sampled_from([av.KIND_OPEN, av.KIND_OPEN, av.KIND_BLOCK, av.KIND_RESERVED]))
        types = draw(st.sampled_from([frozenset(), frozenset({1}), frozenset({2})]))
        rules.append(
            av.TemplateRule(
                weekday, a, b, day, None, kind, types, draw(st.sampled_from([None, 60]))
            )
        )
    return rules


DST_DAYS = [
    (NY, dt.date(2026, 3, 8)),
    (CHI, dt.date(2026, 3, 8)),
    (NY, dt.date(2026, 11, 1)),
    (CHI, dt.date(2026, 11, 1)),
    (NY, dt.date(2026, 6, 1)),
]


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    place=st.sampled_from(DST_DAYS),
    duration=st.sampled_from([5, 15, 20, 45]),
    before=st.sampled_from([0, 5, 10]),
    after=st.sampled_from([0, 5, 15]),
    busy_spec=st.lists(st.tuples(st.integers(0, 26 * 60), st.integers(1, 120)), max_size=8),
)
def test_generated_slots_are_inside_open_time_and_clear_of_busy(
    data: st.DataObject,
    place: tuple[ZoneInfo, dt.date],
    duration: int,
    before: int,
    after: int,
    busy_spec: list[tuple[int, int]],
) -> None:
    tz, day = place
    rules = data.draw(day_rules(day.weekday(), day))
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
    busy = [
        Interval(midnight + dt.timedelta(minutes=a), midnight + dt.timedelta(minutes=a + n))
        for a, n in busy_spec
    ]
    calendar = av.ProviderCalendar(1, 1, tz, rules, busy=busy)
    kind = av.TypeSpec(1, duration, before, after)
    now = midnight + dt.timedelta(hours=data.draw(st.integers(-3, 10)))
    found = list(
        av.iter_slots(calendar, kind, start=midnight, end=midnight + dt.timedelta(days=1), now=now)
    )
    windows = av.expand_templates(rules, tz, day, day)
    open_time = av.merge(w.interval for w in windows if w.kind != av.KIND_BLOCK)
    blocked = [w.interval for w in windows if w.kind == av.KIND_BLOCK]
    event(f"slots found: {'some' if found else 'none'}")
    previous = None
    for slot in found:
        footprint = kind.footprint(slot.start)
        assert av.covers(open_time, footprint)
        assert not av.overlaps_any(busy, footprint)
        assert not av.overlaps_any(blocked, footprint)
        assert slot.start >= now and av.on_grid(slot.start, 5)
        assert previous is None or slot.start > previous
        previous = slot.start
        # the single-start check agrees with the generator
        assert av.is_bookable(calendar, kind, slot.start, now=now).ok
    # ... and every grid start the generator skipped is refused by is_bookable
    found_starts = {s.start for s in found}
    probe = midnight
    while probe < midnight + dt.timedelta(days=1):
        if probe not in found_starts and probe >= now:
            assert not av.is_bookable(calendar, kind, probe, now=now).ok
        probe += dt.timedelta(minutes=5)


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    place=st.sampled_from(DST_DAYS),
    weekdays=st.one_of(st.none(), st.sets(st.integers(0, 6), min_size=1).map(frozenset)),
    earliest=st.one_of(st.none(), wall_times),
)
def test_next_usable_never_skips_a_slot_and_filters_hold(
    data: st.DataObject,
    place: tuple[ZoneInfo, dt.date],
    weekdays: frozenset[int] | None,
    earliest: dt.time | None,
) -> None:
    tz, day = place
    rules = [
        r
        for offset in range(3)
        for r in data.draw(
            day_rules((day + dt.timedelta(days=offset)).weekday(), day + dt.timedelta(days=offset))
        )
    ]
    calendar = av.ProviderCalendar(1, 1, tz, rules)
    kind = av.TypeSpec(1, 20, 5, 0)
    search = av.SearchFilter(weekdays, earliest, None)
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
    end = start + dt.timedelta(days=3)
    now = start - dt.timedelta(hours=1)
    found = list(av.iter_slots(calendar, kind, start=start, end=end, now=now, search=search))
    hint = calendar.next_usable(1, now, start, end, search)
    if found:
        assert hint is not None and hint <= found[0].start
    for slot in found:
        local_start = slot.start.astimezone(tz)
        assert weekdays is None or local_start.weekday() in weekdays
        assert earliest is None or local_start.time() >= earliest
