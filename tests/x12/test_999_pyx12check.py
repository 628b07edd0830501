"""The pyx12 helper itself: a valid 999 passes, broken ones are reported (so a pass means something)."""

from __future__ import annotations

from tests.x12.pyx12check import pyx12_errors

VALID_999 = (
    "ISA*00*          *00*          *ZZ*PAYERSIM       *ZZ*FRONTDESK      *261127*0412*^*00501*"
    "000000001*0*T*:~\n"
    "GS*FA*PAYERSIM*FRONTDESK*20261127*0412*1*X*005010X231A1~\n"
    "ST*999*0001*005010X231A1~\n"
    "AK1*HC*1*005010X222A1~\n"
    "AK2*837*0001*005010X222A1~\n"
    "IK5*A~\n"
    "AK9*A*1*1*1~\n"
    "SE*6*0001~\n"
    "GE*1*1~\n"
    "IEA*1*000000001~\n"
)


def test_valid_999_has_no_errors() -> None:
    assert pyx12_errors(VALID_999) == []


def test_invalid_code_and_missing_element_are_reported() -> None:
    broken = VALID_999.replace("IK5*A~", "IK5*Q~").replace("AK9*A*1*1*1~", "AK9*A*1*1~")
    errors = pyx12_errors(broken)
    assert errors
    assert any("AK904" in e for e in errors)


def test_wrong_segment_count_is_reported() -> None:
    errors = pyx12_errors(VALID_999.replace("SE*6*0001", "SE*9*0001"))
    assert errors


def test_garbage_is_reported_not_raised() -> None:
    assert pyx12_errors("this is not X12 at all")
