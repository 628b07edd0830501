"""patient_search: every kind of query the box understands, ranking, hiding, scoping, auditing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent, EmergencyAccessGrant
from frontdesk.patients.models import Patient
from frontdesk.patients.search import parse_dob, parse_query
from frontdesk.patients.selectors import patient_search
from frontdesk.patients.services import coverage_create
from tests.factories import PayerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1960-01-02", dt.date(1960, 1, 2)),
        ("1960/1/2", dt.date(1960, 1, 2)),
        ("01/02/1960", dt.date(1960, 1, 2)),
        ("1/2/1960", dt.date(1960, 1, 2)),
        ("1-2-1960", dt.date(1960, 1, 2)),
        ("01021960", dt.date(1960, 1, 2)),
        ("1/2/60", dt.date(1960, 1, 2)),  # 2060 is in the future, so 1960
        ("1/2/05", dt.date(2005, 1, 2)),
        ("11/26/26", dt.date(2026, 11, 26)),  # today is not the future
        ("11/27/26", dt.date(1926, 11, 27)),  # tomorrow in 2026 would be: 1926
        ("2/30/1960", None),
        ("13/01/1960", None),
        ("1/2/2060", None),  # a four-digit future year is not a DOB
        ("1960-01", None),
        ("smith", None),
        ("", None),
    ],
)
def test_parse_dob(text: str, expected: dt.date | None) -> None:
    assert parse_dob(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("smi jo", "name"),
        ("Smith, John", "name"),
        ("1960-01-02", "dob"),
        ("smith 1/2/60", "name_dob"),
        ("Smith, John 1/2/60", "name_dob"),
        ("1960-01-02, smith", "name_dob"),
        ("(202) 555-0123", "phone"),
        ("+1 202.555.0123", "phone"),
        ("555-0123", "phone"),
        ("M0000042", "identifier"),
        ("XM-123 45", "identifier"),
        ("!!!", "empty"),
    ],
)
def test_parse_query_kind(text: str, kind: str) -> None:
    assert parse_query(text, today=TODAY).kind == kind


@pytest.fixture
def people(register: Any) -> dict[str, Any]:
    return {
        "john": register("John", "Smith", dt.date(1960, 1, 2), phones=("(202) 555-0123",)),
        "johanna": register("Johanna", "Smithers", dt.date(1971, 5, 6), phones=("312-555-0188",)),
        "robert": register("Robert", "Quibley", dt.date(1980, 12, 3)),
        "mary": register("Mary", "Johnson", dt.date(1999, 9, 9)),
    }


def _ids(hits: list[Any]) -> list[int]:
    return [hit.patient.pk for hit in hits]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("smi jo", ["john", "johanna"]),  # last prefix + first prefix
        ("jo smi", ["john", "johanna"]),  # first prefix + last prefix
        ("jo smith", ["john", "johanna"]),  # exact last first
        ("Smith, John", ["john"]),
        ("smith, jo", ["john", "johanna"]),
        ("SMITH JOHN", ["john"]),
        ("smith", ["john", "johanna"]),
        ("john", ["john", "mary"]),  # first name John; last name Johnson
        ("quibley", ["robert"]),
    ],
)
def test_name_fragments(clerk: Any, people: dict[str, Any], query: str, names: list[str]) -> None:
    hits = patient_search(user=clerk, query=query)
    assert _ids(hits) == [people[name].pk for name in names]
    assert {hit.matched_on for hit in hits} == {"name"}


def test_exact_name_ranks_before_prefix(clerk: Any, people: dict[str, Any]) -> None:
    hits = patient_search(user=clerk, query="smith john")
    assert [(hit.patient.pk, hit.rank) for hit in hits] == [(people["john"].pk, 1)]
    hits = patient_search(user=clerk, query="smith")
    assert [hit.rank for hit in hits] == [1, 2]


@pytest.mark.parametrize("query", ["1960-01-02", "01/02/1960", "1/2/60", "1/2/1960", "01021960"])
def test_dob_formats(clerk: Any, people: dict[str, Any], query: str) -> None:
    hits = patient_search(user=clerk, query=query)
    assert _ids(hits) == [people["john"].pk]
    assert hits[0].matched_on == "dob"


def test_dob_with_name_narrows(clerk: Any, people: dict[str, Any], register: Any) -> None:
    twin = register("Zed", "Plonkham", dt.date(1960, 1, 2))
    assert _ids(patient_search(user=clerk, query="smith 1/2/60")) == [people["john"].pk]
    assert _ids(patient_search(user=clerk, query="Smith, John 01/02/1960")) == [people["john"].pk]
    # Same DOB and surname but another first name: offered, ranked as a loose match.
    hits = patient_search(user=clerk, query="Smith, Johanna 01/02/1960")
    assert [(hit.patient.pk, hit.rank) for hit in hits] == [(people["john"].pk, 4)]
    assert _ids(patient_search(user=clerk, query="1/2/60")) == [twin.pk, people["john"].pk]


@pytest.mark.parametrize(
    "query", ["(202) 555-0123", "202-555-0123", "2025550123", "+1 202 555 0123", "12025550123"]
)
def test_phone_any_format(clerk: Any, people: dict[str, Any], query: str) -> None:
    hits = patient_search(user=clerk, query=query)
    assert [(hit.patient.pk, hit.rank, hit.matched_on) for hit in hits] == [
        (people["john"].pk, 1, "phone")
    ]


def test_phone_last_seven_digits(clerk: Any, people: dict[str, Any]) -> None:
    hits = patient_search(user=clerk, query="555-0188")
    assert [(hit.patient.pk, hit.matched_on) for hit in hits] == [(people["johanna"].pk, "phone")]


def test_mrn_exact_any_case(clerk: Any, people: dict[str, Any]) -> None:
    mrn = people["robert"].mrn
    for query in (mrn, mrn.lower(), f" {mrn} "):
        hits = patient_search(user=clerk, query=query)
        assert [(hit.patient.pk, hit.rank, hit.matched_on) for hit in hits] == [
            (people["robert"].pk, 0, "mrn")
        ]


def test_member_id_ignores_case_spaces_and_dashes(clerk: Any, people: dict[str, Any]) -> None:
    coverage_create(
        actor=clerk,
        patient=people["mary"],
        data={"payer": PayerFactory(), "member_id": "XQ-7788 99"},
    )
    for query in ("xq778899", "XQ-7788 99", "XQ778899"):
        hits = patient_search(user=clerk, query=query)
        assert [(hit.patient.pk, hit.matched_on) for hit in hits] == [
            (people["mary"].pk, "member_id")
        ]
    coverage = hits[0].patient.primary_coverage
    assert coverage is not None
    assert coverage.member_id == "XQ-7788 99"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("quibly", "robert"),  # dropped letter
        ("qiubley", "robert"),  # transposed letters
        ("robret quibley", "robert"),  # first-name typo
        ("smyth john", "john"),  # sounds alike
        ("jonh smith", "john"),  # transposed letters in the first name
    ],
)
def test_typos_are_tolerated(clerk: Any, people: dict[str, Any], query: str, name: str) -> None:
    hits = patient_search(user=clerk, query=query)
    assert _ids(hits)[0] == people[name].pk
    assert hits[0].matched_on == "name_fuzzy"
    assert hits[0].rank >= 4


def test_nickname_finds_formal_name(clerk: Any, people: dict[str, Any]) -> None:
    hits = patient_search(user=clerk, query="bob quibley")
    assert [(hit.patient.pk, hit.rank, hit.matched_on) for hit in hits] == [
        (people["robert"].pk, 3, "name")
    ]


def test_nothing_matches(clerk: Any, people: dict[str, Any]) -> None:
    assert patient_search(user=clerk, query="zzzzzz qqqq") == []
    assert patient_search(user=clerk, query="07/04/1776") == []
    assert patient_search(user=clerk, query="") == []


def test_hits_carry_phones_and_primary_coverage(
    clerk: Any, people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    coverage_create(
        actor=clerk, patient=people["john"], data={"payer": PayerFactory(), "member_id": "A1"}
    )
    [hit] = patient_search(user=clerk, query="smith john")
    with django_assert_max_num_queries(0):
        assert [phone.number for phone in hit.patient.phones.all()] == ["+12025550123"]
        coverage = hit.patient.primary_coverage
        assert coverage is not None
        assert coverage.member_id == "A1"
        assert coverage.payer.name.startswith("Example Health Plan")


def test_inactive_and_merged_are_hidden_and_mrn_of_merged_finds_survivor(
    clerk: Any, people: dict[str, Any]
) -> None:
    Patient.objects.filter(pk=people["johanna"].pk).update(is_active=False)
    Patient.objects.filter(pk=people["mary"].pk).update(
        merged_into=people["robert"], is_active=False
    )
    assert _ids(patient_search(user=clerk, query="smith")) == [people["john"].pk]
    assert patient_search(user=clerk, query="johnson") == []
    hits = patient_search(user=clerk, query=people["mary"].mrn)
    assert [(hit.patient.pk, hit.matched_on) for hit in hits] == [(people["robert"].pk, "mrn")]


def test_restricted_records_need_the_role_or_break_glass(
    clerk: Any, people: dict[str, Any], make_user: Any, location: Any
) -> None:
    Patient.objects.filter(pk=people["john"].pk).update(is_restricted=True)
    assert _ids(patient_search(user=clerk, query="smith")) == [people["johanna"].pk]

    officer = make_user(Role.PRIVACY_OFFICER, location)
    assert _ids(patient_search(user=officer, query="smith")) == [
        people["john"].pk,
        people["johanna"].pk,
    ]

    now = timezone.now()
    EmergencyAccessGrant.objects.create(
        user=clerk, reason="test", started_at=now, expires_at=now + dt.timedelta(hours=1)
    )
    assert _ids(patient_search(user=clerk, query="smith")) == [
        people["john"].pk,
        people["johanna"].pk,
    ]


def test_role_without_search_finds_nothing(
    people: dict[str, Any], make_user: Any, location: Any
) -> None:
    admin = make_user(Role.ADMIN, location)
    assert patient_search(user=admin, query="smith") == []


def test_one_audit_row_with_kind_and_count_but_no_query_text(
    clerk: Any, people: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()
    patient_search(user=clerk, query="smi jo")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.category, event.actor_id, event.patient_id) == (
        "query",
        "demographics",
        clerk.pk,
        None,
    )
    assert event.detail == {"kind": "name", "results": 2}
    assert "smi" not in str(event.detail)


def test_limit_caps_results(clerk: Any, register: Any) -> None:
    for number in range(6):
        register(f"Ann{'a' * number}", "Vexley", dt.date(1950 + number, 1, 1))
    assert len(patient_search(user=clerk, query="vexley", limit=4)) == 4


def test_all_digit_member_id_and_phone_both_tried(clerk: Any, people: dict[str, Any]) -> None:
    coverage_create(
        actor=clerk,
        patient=people["mary"],
        data={"payer": PayerFactory(), "member_id": "2025550123"},
    )
    hits = patient_search(user=clerk, query="2025550123")
    assert [(hit.patient.pk, hit.rank, hit.matched_on) for hit in hits] == [
        (people["mary"].pk, 0, "member_id"),
        (people["john"].pk, 1, "phone"),
    ]
    # With phone punctuation it is only a phone.
    hits = patient_search(user=clerk, query="(202) 555-0123")
    assert [(hit.patient.pk, hit.matched_on) for hit in hits] == [(people["john"].pk, "phone")]


def test_nickname_typed_for_formal_name_and_formal_for_nickname(clerk: Any, register: Any) -> None:
    elizabeth = register("Elizabeth", "Vexham", dt.date(1970, 1, 1))
    peggy = register("Peggy", "Vexham", dt.date(1971, 1, 1))
    assert [(h.patient.pk, h.rank) for h in patient_search(user=clerk, query="liz vexham")] == [
        (elizabeth.pk, 3)
    ]
    assert [(h.patient.pk, h.rank) for h in patient_search(user=clerk, query="vex margaret")] == [
        (peggy.pk, 3)
    ]
