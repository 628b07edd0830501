"""The 270 FrontDesk writes, held to the 005010X279A1 implementation guide (pyx12 has no 270 map).

``guide_errors(text)`` is a strict checker written from the guide: segments and loops required and in
order, the HL parent/child numbering, the situational rules (2000C TRN and EQ only when the subscriber
is the patient, 2000D only for a dependent), element lengths and code values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.standards import npi as npi_module
from frontdesk.standards.x12.eligibility import (
    SERVICE_TYPES,
    EligibilityInquiry,
    Person,
    read_270,
    write_270,
)
from frontdesk.standards.x12.envelope import Delimiters, Segment, parse
from frontdesk.standards.x12.errors import X12BuildError
from tests.x12.conftest import header, inquiry, subscriber

# (segment, element) -> (required, min length, max length, allowed codes or None)
Rule = tuple[bool, int, int, frozenset[str] | None]

NM1_2100A: dict[int, Rule] = {
    1: (True, 2, 3, frozenset({"2B", "36", "GP", "P5", "PR"})),
    2: (True, 1, 1, frozenset({"2"})),
    3: (True, 1, 60, None),
    8: (True, 1, 2, frozenset({"24", "46", "FI", "NI", "PI", "XV", "XX"})),
    9: (True, 2, 80, None),
}
NM1_2100B: dict[int, Rule] = {
    1: (True, 2, 3, frozenset({"1P", "2B", "36", "80", "FA", "GP", "P5", "PR"})),
    2: (True, 1, 1, frozenset({"1", "2"})),
    3: (True, 1, 60, None),
    4: (False, 1, 35, None),
    5: (False, 1, 25, None),
    7: (False, 1, 10, None),
    8: (True, 1, 2, frozenset({"XX", "PI", "FI", "SV", "34", "24"})),
    9: (True, 2, 80, None),
}
NM1_2100C: dict[int, Rule] = {
    1: (True, 2, 2, frozenset({"IL"})),
    2: (True, 1, 1, frozenset({"1"})),
    3: (False, 1, 60, None),
    4: (False, 1, 35, None),
    5: (False, 1, 25, None),
    7: (False, 1, 10, None),
    8: (False, 2, 2, frozenset({"MI", "II"})),
    9: (False, 2, 80, None),
}
NM1_2100D: dict[int, Rule] = {
    1: (True, 2, 2, frozenset({"03"})),
    2: (True, 1, 1, frozenset({"1"})),
    3: (False, 1, 60, None),
    4: (False, 1, 35, None),
    5: (False, 1, 25, None),
    7: (False, 1, 10, None),
}
RULES: dict[str, dict[int, Rule]] = {
    "BHT": {
        1: (True, 4, 4, frozenset({"0022"})),
        2: (True, 2, 2, frozenset({"01", "13", "36"})),
        3: (False, 1, 50, None),
        4: (True, 8, 8, None),
        5: (True, 4, 8, None),
    },
    "HL": {
        1: (True, 1, 12, None),
        2: (False, 1, 12, None),
        3: (True, 2, 2, frozenset({"20", "21", "22", "23"})),
        4: (True, 1, 1, frozenset({"0", "1"})),
    },
    "TRN": {
        1: (True, 1, 1, frozenset({"1"})),
        2: (True, 1, 50, None),
        3: (True, 10, 10, None),
        4: (False, 1, 50, None),
    },
    "REF": {
        1: (
            True,
            2,
            3,
            frozenset(
                {
                    "18",
                    "1L",
                    "1W",
                    "3H",
                    "6P",
                    "EA",
                    "EJ",
                    "F6",
                    "GH",
                    "HJ",
                    "IG",
                    "N6",
                    "NQ",
                    "SY",
                    "Y4",
                }
            ),
        ),
        2: (True, 1, 50, None),
        3: (False, 1, 80, None),
    },
    "N3": {1: (True, 1, 55, None), 2: (False, 1, 55, None)},
    "N4": {1: (True, 2, 30, None), 2: (False, 2, 2, None), 3: (False, 3, 15, None)},
    "DMG": {
        1: (True, 2, 3, frozenset({"D8"})),
        2: (True, 8, 8, None),
        3: (False, 1, 1, frozenset({"F", "M", "U"})),
    },
    "INS": {1: (True, 1, 1, frozenset({"N"})), 2: (True, 2, 2, frozenset({"01", "19", "34"}))},
    "DTP": {
        1: (True, 3, 3, frozenset({"291", "102", "307", "435", "472", "636", "771"})),
        2: (True, 2, 3, frozenset({"D8", "RD8"})),
        3: (True, 1, 35, None),
    },
    "EQ": {1: (True, 1, 2, frozenset(SERVICE_TYPES))},
}
# Segment order inside each loop (each id at most as often as the guide allows).
ORDER = {
    "2000A": ["HL"],
    "2100A": ["NM1"],
    "2000B": ["HL"],
    "2100B": ["NM1", "REF", "N3", "N4", "PRV"],
    "2000C": ["HL", "TRN"],
    "2100C": ["NM1", "REF", "N3", "N4", "PRV", "DMG", "INS", "HI", "DTP"],
    "2110C": ["EQ", "AMT", "III", "REF", "DTP"],
    "2000D": ["HL", "TRN"],
    "2100D": ["NM1", "REF", "N3", "N4", "PRV", "DMG", "INS", "HI", "DTP"],
    "2110D": ["EQ", "III", "REF", "DTP"],
}
MAX_USE = {"TRN": 2, "REF": 9, "DTP": 2, "NM1": 1, "N3": 1, "N4": 1, "DMG": 1, "INS": 1}


def _check_elements(seg: Segment, rules: dict[int, Rule], errors: list[str]) -> None:
    for position, (required, low, high, codes) in rules.items():
        value = seg.get(position)
        where = f"{seg.id}{position:02d} (segment {seg.index})"
        if not value:
            if required:
                errors.append(f"{where} is required")
            continue
        if not low <= len(value) <= high:
            errors.append(f"{where} {value!r} must be {low}-{high} characters")
        if codes is not None and value not in codes:
            errors.append(f"{where} {value!r} is not an allowed code")
    for position, value in enumerate(seg.elements, start=1):
        if position not in rules and value and seg.id not in ("EQ",):
            errors.append(f"{seg.id}{position:02d} (segment {seg.index}) is not used by the guide")
    if seg.id == "EQ":
        for code in seg.repeats(1):
            if code not in SERVICE_TYPES:
                errors.append(f"EQ01 {code!r} is not a service type code")


def _date_ok(value: str) -> bool:
    try:
        dt.datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True


def guide_errors(text: str) -> list[str]:
    """Everything in ``text`` that breaks 005010X279A1 (an empty list: the 270 conforms)."""
    errors: list[str] = []
    (interchange,) = parse(text)
    for group in interchange.groups:
        if group.functional_id != "HS" or group.version != "005010X279A1":
            errors.append(
                f"GS01/GS08 must be HS/005010X279A1, found {group.functional_id}/{group.version}"
            )
        for transaction in group.transactions:
            errors += _transaction_errors(transaction.st, list(transaction.body))
    return errors


def _transaction_errors(st: Segment, body: list[Segment]) -> list[str]:
    errors: list[str] = []
    if st.get(3) != "005010X279A1":
        errors.append("ST03 must be 005010X279A1")
    if not re.fullmatch(r"\d{4,9}", st.get(2)):
        errors.append("ST02 must be 4-9 digits")
    if not body or body[0].id != "BHT":
        return [*errors, "BHT must follow ST"]
    bht = body[0]
    _check_elements(bht, RULES["BHT"], errors)
    if not _date_ok(bht.get(4)):
        errors.append("BHT04 is not a date")
    if not re.fullmatch(r"\d{4}(\d{2}(\d{1,2})?)?", bht.get(5)):
        errors.append("BHT05 is not a time")
    # Split into HL loops and their name/inquiry sub-loops.
    loops: list[tuple[str, list[Segment]]] = []
    hl_levels: dict[str, str] = {}
    hl_children: dict[str, int] = {}
    hl_flag: dict[str, str] = {}
    expected_id = 1
    current_level = ""
    for seg in body[1:]:
        if seg.id == "HL":
            _check_elements(seg, RULES["HL"], errors)
            number, parent, level = seg.get(1), seg.get(2), seg.get(3)
            if number != str(expected_id):
                errors.append(f"HL01 must be {expected_id}, found {number!r}")
            expected_id += 1
            wanted_parent = {"20": "", "21": "20", "22": "21", "23": "22"}.get(level)
            if wanted_parent == "" and parent:
                errors.append("HL*20 must have no parent")
            elif wanted_parent and hl_levels.get(parent) != wanted_parent:
                errors.append(f"HL {number} level {level} must have a level {wanted_parent} parent")
            if parent:
                hl_children[parent] = hl_children.get(parent, 0) + 1
            hl_levels[number] = level
            hl_flag[number] = seg.get(4)
            current_level = {"20": "A", "21": "B", "22": "C", "23": "D"}.get(level, "?")
            loops.append((f"2000{current_level}", [seg]))
        elif seg.id == "NM1":
            loops.append((f"2100{current_level}", [seg]))
        elif seg.id == "EQ":
            loops.append((f"2110{current_level}", [seg]))
        elif loops:
            loops[-1][1].append(seg)
        else:
            errors.append(f"{seg.id} before the first HL")
    for number, flag in hl_flag.items():
        has = "1" if hl_children.get(number) else "0"
        if flag != has:
            errors.append(
                f"HL {number}: HL04 {flag!r} but it has {hl_children.get(number, 0)} children"
            )
    names = [name for name, _ in loops]
    for needed in ("2000A", "2100A", "2000B", "2100B", "2000C", "2100C"):
        if needed not in names:
            errors.append(f"loop {needed} is required")
    has_dependent = "2000D" in names
    patient = "D" if has_dependent else "C"
    other = "C" if has_dependent else "D"
    if f"2110{patient}" not in names:
        errors.append(f"loop 2110{patient} (EQ) is required for the patient")
    if f"2110{other}" in names:
        errors.append(f"loop 2110{other} must not be sent: the patient is in 2000{patient}")
    for name, segments in loops:
        order = ORDER.get(name)
        if order is None:
            errors.append(f"unexpected loop {name}")
            continue
        last = -1
        counts: dict[str, int] = {}
        for seg in segments:
            if seg.id not in order:
                errors.append(f"{seg.id} is not allowed in loop {name}")
                continue
            position = order.index(seg.id)
            if position < last:
                errors.append(f"{seg.id} is out of order in loop {name}")
            last = position
            counts[seg.id] = counts.get(seg.id, 0) + 1
            if seg.id == "NM1":
                rules = {"2100A": NM1_2100A, "2100B": NM1_2100B, "2100C": NM1_2100C}.get(
                    name, NM1_2100D
                )
                _check_elements(seg, rules, errors)
                if name == "2100B" and seg.get(8) == "XX" and not npi_module.is_valid(seg.get(9)):
                    errors.append(f"NM109 {seg.get(9)!r} is not a valid NPI")
                if name == "2100B" and seg.get(2) == "2" and (seg.get(4) or seg.get(5)):
                    errors.append("an organization provider has no first or middle name")
            elif seg.id in RULES:
                _check_elements(seg, RULES[seg.id], errors)
            if seg.id == "DMG" and not _date_ok(seg.get(2)):
                errors.append("DMG02 is not a date")
            if seg.id == "DTP" and seg.get(2) == "D8" and not _date_ok(seg.get(3)):
                errors.append("DTP03 is not a date")
            if seg.id == "TRN" and seg.get(3)[:1] not in ("1", "3", "9"):
                errors.append("TRN03 must start with 1 (EIN), 3 (DUNS) or 9 (assigned)")
            if seg.id == "INS" and name != "2100D":
                errors.append("INS is sent only for a dependent (2100D) in FrontDesk's 270")
        for tag, count in counts.items():
            if count > MAX_USE.get(tag, 99):
                errors.append(f"{tag} repeats {count} times in {name}")
        if name == f"2000{patient}" and "TRN" not in counts:
            errors.append(f"TRN is required in 2000{patient} (the patient's loop)")
        if name == f"2000{other}" and "TRN" in counts:
            errors.append(f"TRN belongs in the patient's loop 2000{patient}, not 2000{other}")
    return errors


def _dtp_291(text: str) -> list[str]:
    return re.findall(r"DTP\*291\*D8\*(\d{8})", text)


# ---------------------------------------------------------------------------------------------


def test_subscriber_inquiry_conforms() -> None:
    text = write_270([inquiry()], header())
    assert guide_errors(text) == []
    assert "HL*1**20*1~" in text and "HL*2*1*21*1~" in text and "HL*3*2*22*0~" in text
    assert "HL*4" not in text
    assert "TRN*1*ELG-000123*9FRONTDESK~" in text
    assert "NM1*IL*1*TESTPATIENT*ALEX*Q***MI*XZW123456789~" in text
    assert "NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*EXHP1~" in text
    assert "NM1*1P*2*SAMPLE FAMILY PRACTICE*****XX*1234567893~" in text
    assert "BHT*0022*13*ELG-000123*20261127*0430~" in text
    assert "EQ*30~\nEQ*98~" in text


def test_dependent_inquiry_conforms_and_puts_patient_data_in_2000d() -> None:
    child = Person("TESTPATIENT", "JAMIE", date_of_birth=dt.date(2015, 7, 4), sex="M")
    text = write_270([inquiry(dependent=child, relationship="19")], header())
    assert guide_errors(text) == []
    assert "HL*3*2*22*1~" in text and "HL*4*3*23*0~" in text
    segments = text.split("~\n")
    hl4 = segments.index("HL*4*3*23*0")
    assert segments[hl4 + 1].startswith("TRN*1*ELG-000123*")
    assert segments[hl4 + 2] == "NM1*03*1*TESTPATIENT*JAMIE"
    assert "INS*N*19" in segments[hl4:]
    # Subscriber loop: no TRN, no EQ, no DTP (the patient is the dependent).
    subscriber_part = segments[:hl4]
    assert not any(
        s.startswith(("TRN", "EQ", "DTP")) for s in subscriber_part[segments.index("HL*3*2*22*1") :]
    )


def test_dependent_relationship_outside_the_guide_becomes_other_adult() -> None:
    child = Person("TESTPATIENT", "ROBIN", date_of_birth=dt.date(1990, 1, 1))
    text = write_270([inquiry(dependent=child, relationship="53")], header())
    assert "INS*N*34~" in text
    assert guide_errors(text) == []


def test_dtp_291_is_the_date_of_service() -> None:
    text = write_270([inquiry(date_of_service=dt.date(2026, 12, 24))], header())
    assert _dtp_291(text) == ["20261224"]


def test_provider_as_a_person() -> None:
    text = write_270([inquiry(provider_name="SAMPLEDOC", provider_first_name="JORDAN")], header())
    assert "NM1*1P*1*SAMPLEDOC*JORDAN****XX*1234567893~" in text
    assert guide_errors(text) == []


def test_default_trn_originator_is_9_plus_nine_characters() -> None:
    text = write_270([inquiry(originator_id="")], header())
    trn = re.search(r"TRN\*1\*ELG-000123\*([^~]*)~", text)
    assert trn is not None and trn.group(1) == "9FRONTDESK"
    text = write_270([inquiry(originator_id="")], header(sender_id="AB"))
    assert "TRN*1*ELG-000123*90000000AB~" in text


def test_one_transaction_per_inquiry_with_own_control_numbers() -> None:
    text = write_270([inquiry(trace_number=f"T{i}") for i in range(3)], header())
    assert guide_errors(text) == []
    assert re.findall(r"ST\*270\*(\d+)\*", text) == ["0001", "0002", "0003"]
    assert "GE*3*7~" in text


def test_optional_data_left_out() -> None:
    bare = Person("TESTPATIENT", member_id="AB12")
    text = write_270([inquiry(subscriber=bare, service_types=())], header())
    assert guide_errors(text) == []
    assert "DMG" not in text and "REF" not in text and "N3" not in text
    assert "EQ*30~" in text


def test_free_text_is_cleaned_and_truncated() -> None:
    person = subscriber(last_name="Müller*Ñoño~" + "X" * 80, first_name="José^", middle_name="A:B")
    text = write_270([inquiry(subscriber=person, payer_name="Payer ~ & Co*" + "P" * 90)], header())
    assert guide_errors(text) == []
    assert "NM1*IL*1*MULLER" not in text  # case is kept, accents folded
    assert "Muller Nono X" in text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider_npi": "1234567890"}, "provider_npi"),
        ({"payer_id": ""}, "payer_id"),
        ({"payer_id": "A*B"}, "payer_id"),
        ({"trace_number": ""}, "trace_number"),
        ({"trace_number": "X" * 51}, "trace_number"),
        ({"service_types": ("ZZZ",)}, "service_types"),
        ({"subscriber": Person("TESTPATIENT")}, "subscriber.member_id"),
        ({"subscriber": subscriber(sex="X")}, "subscriber.sex"),
        ({"subscriber": subscriber(state="Illinois")}, "subscriber.state"),
        ({"originator_id": "12345"}, "originator_id"),
        ({"payer_name": "   "}, "payer_name"),
    ],
)
def test_bad_data_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(X12BuildError) as caught:
        write_270([inquiry(**change)], header())
    assert field in caught.value.field
    assert "inquiry 1" in caught.value.field


def test_header_is_forced_to_hs_and_the_guide() -> None:
    text = write_270([inquiry()], header(functional_id="HC", version="005010X222A1"))
    assert "GS*HS*" in text and "*005010X279A1~" in text


# ---------------------------------------------------------------------------------------------
# Generated inquiries: every one conforms and reads back as written.

_word = st.text(string.ascii_uppercase, min_size=1, max_size=12)
_name = st.lists(_word, min_size=1, max_size=3).map(" ".join).map(lambda s: s[:35].strip())
_id = st.from_regex(r"[A-Z0-9]{2,20}", fullmatch=True)
_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
_npis = st.from_regex(r"1[0-9]{8}", fullmatch=True).map(lambda s: s + npi_module.check_digit(s))


@st.composite
def people(draw: st.DrawFn, *, with_id: bool) -> Person:
    address = draw(st.booleans())
    born = draw(st.one_of(st.none(), _dates))
    return Person(
        last_name=draw(_name),
        first_name=draw(st.one_of(st.just(""), _name)),
        middle_name=draw(
            st.one_of(st.just(""), st.text(string.ascii_uppercase, min_size=1, max_size=1))
        ),
        suffix=draw(st.sampled_from(["", "JR", "SR", "III"])),
        member_id=draw(_id) if with_id else "",
        date_of_birth=born,
        sex=draw(st.sampled_from(["", "M", "F", "U"])) if born else "",  # DMG03 needs DMG02
        group_number=draw(st.one_of(st.just(""), _id)) if with_id else "",
        group_name="",
        address_line1=draw(_name) if address else "",
        city=draw(st.from_regex(r"[A-Z]{2,20}", fullmatch=True)) if address else "",
        state=draw(st.sampled_from(["IL", "NY", "CA"])) if address else "",
        postal_code=draw(st.from_regex(r"[0-9]{5}([0-9]{4})?", fullmatch=True)) if address else "",
    )


@st.composite
def inquiries(draw: st.DrawFn) -> EligibilityInquiry:
    dependent = draw(st.one_of(st.none(), people(with_id=False)))
    person_provider = draw(st.booleans())
    sub = draw(people(with_id=True))
    if dependent is not None and sub.date_of_birth is None:
        sub = dataclasses.replace(sub, date_of_birth=dt.date(1970, 1, 1))
    return EligibilityInquiry(
        trace_number=draw(st.from_regex(r"[A-Z0-9][A-Z0-9\-]{0,49}", fullmatch=True)),
        payer_name=draw(_name),
        payer_id=draw(_id),
        provider_name=draw(_name),
        provider_npi=draw(_npis),
        subscriber=sub,
        date_of_service=draw(_dates),
        dependent=dependent,
        relationship=draw(st.sampled_from(["01", "19", "34"])) if dependent else "18",
        service_types=tuple(
            draw(
                st.lists(
                    st.sampled_from(sorted(SERVICE_TYPES)), min_size=1, max_size=5, unique=True
                )
            )
        ),
        provider_first_name=draw(_name) if person_provider else "",
        originator_id="9" + draw(st.from_regex(r"[A-Z0-9]{9}", fullmatch=True)),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(inquiries(), min_size=1, max_size=3))
def test_generated_inquiries_conform_and_round_trip(batch: list[EligibilityInquiry]) -> None:
    text = write_270(batch, header())
    assert guide_errors(text) == []
    assert read_270(text) == batch
    for one in batch:
        assert format(one.date_of_service, "%Y%m%d") in _dtp_291(text)


@settings(max_examples=60, deadline=None)
@given(
    inquiries(),
    st.sampled_from(
        [
            Delimiters(),
            Delimiters("|", ">", "!", "'", "\r\n"),
            Delimiters("^", "\\", "{", "~", ""),
            Delimiters("+", ":", "*", "'", "\n"),
        ]
    ),
)
def test_any_delimiters_round_trip(one: EligibilityInquiry, delimiters: Delimiters) -> None:
    from frontdesk.standards.x12.eligibility import write_270 as write

    text = write([one], header(), delimiters)
    assert read_270(text) == [one]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80), st.text(max_size=40))
def test_arbitrary_names_are_cleaned_or_refused(last: str, first: str, payer: str) -> None:
    try:
        text = write_270(
            [inquiry(subscriber=subscriber(last_name=last, first_name=first), payer_name=payer)],
            header(),
        )
    except X12BuildError:
        return
    assert guide_errors(text) == []
    read_270(text)


def test_an_address_without_a_city_is_left_out() -> None:
    text = write_270([inquiry(subscriber=subscriber(city="", state="IL"))], header())
    assert "N3*" not in text and "N4*" not in text
    assert guide_errors(text) == []
    text = write_270(
        [inquiry(subscriber=subscriber(address_line1="", city="SPRINGFIELD"))], header()
    )
    assert "N3*" not in text and "N4*SPRINGFIELD*IL*62701~" in text
    assert guide_errors(text) == []
