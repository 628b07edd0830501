"""The tamper-evident appointment code on encounter forms, and the code-format rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.printing.errors import InvalidFormCode
from frontdesk.printing.formcode import decode_form_code, encode_form_code
from frontdesk.standards import codes


def test_code_round_trips():
    code = encode_form_code(4711)
    assert code.startswith("FDAPPT:4711:")
    assert len(code.split(":")[2]) == 16
    assert decode_form_code(code) == 4711
    assert decode_form_code(f"  {code}\r\n") == 4711  # scanners add line ends


def test_code_depends_on_the_secret(settings):
    before = encode_form_code(12)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert encode_form_code(12) != before
    with pytest.raises(InvalidFormCode):
        decode_form_code(before)


@pytest.mark.parametrize(
    "tampered",
    [
        "FDAPPT:4712:{sig}",  # another appointment, same signature
        "FDAPPT:4711:{bad}",  # signature edited
        "fdappt:4711:{sig}",  # case changed
        "FDAPPT:04711:{sig}",  # leading zero
        "FDAPPT:4711:{sig}0",  # too long
        "FDAPPT:4711",
        "FDAPPT::{sig}",
        "FDAPPT:-1:{sig}",
        "",
        "https://example.com/?FDAPPT:4711",
    ],
)
def test_tampered_or_malformed_codes_are_refused(tampered):
    signature = encode_form_code(4711).split(":")[2]
    bad = ("0" if signature[0] != "0" else "1") + signature[1:]
    with pytest.raises(InvalidFormCode) as caught:
        decode_form_code(tampered.format(sig=signature, bad=bad))
    assert caught.value.code == "form_code_invalid"
    assert caught.value.message == "This is not a valid FrontDesk encounter-form code."


@given(st.text(max_size=60))
def test_decoding_any_text_raises_cleanly_or_round_trips(text):
    try:
        appointment_id = decode_form_code(text)
    except InvalidFormCode:
        return
    assert encode_form_code(appointment_id) == text.strip()


@given(st.integers(min_value=1, max_value=10**17))
def test_every_id_round_trips(appointment_id):
    assert decode_form_code(encode_form_code(appointment_id)) == appointment_id


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("99213", True),
        ("3074F", True),
        ("0042T", True),
        ("J3420", True),
        ("g0438", True),
        ("9921", False),
        ("992134", False),
        ("3074X", False),
        ("W1234", False),
        ("J342", False),
        ("", False),
    ],
)
def test_procedure_code_formats(code, ok):
    assert codes.is_procedure_code(code) is ok


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("E11.9", True),
        ("E119", True),
        ("S72.001A", True),
        ("Z00.00", True),
        ("I10", True),
        ("e11.9", True),
        ("E1", False),
        ("11.9", False),
        ("E11.12345", False),
        ("EE1.9", False),
        ("E11.", False),
    ],
)
def test_icd10cm_formats(code, ok):
    assert codes.is_icd10cm_code(code) is ok


def test_icd10cm_printed_with_the_dot():
    assert codes.icd10cm_with_dot("e119") == "E11.9"
    assert codes.icd10cm_with_dot("I10") == "I10"
