"""Small X12 files for transport and service tests, built with the envelope codec (synthetic data)."""

from __future__ import annotations

import datetime as dt

from frontdesk.standards.x12.envelope import EnvelopeHeader, build

WHEN = dt.datetime(2026, 11, 27, 9, 30)


def header(control: int, functional_id: str, version: str) -> EnvelopeHeader:
    return EnvelopeHeader(
        sender_id="FRONTDESK",
        receiver_id="CLEARINGHOUSE",
        interchange_control_number=control,
        group_control_number=control,
        functional_id=functional_id,
        version=version,
        created_at=WHEN,
        usage="T",
    )


def tiny_270(control: int = 101, trace: str = "TRACE101", payer_id: str = "SIM01") -> str:
    body = [
        ("BHT", "0022", "13", trace, "20261127", "0930"),
        ("HL", "1", "", "20", "1"),
        ("NM1", "PR", "2", "SIMULATED HEALTH PLAN", "", "", "", "", "PI", payer_id),
        ("HL", "2", "1", "21", "1"),
        ("NM1", "1P", "2", "EXAMPLE CLINIC", "", "", "", "", "XX", "1234567893"),
        ("HL", "3", "2", "22", "0"),
        ("TRN", "1", trace, "9FRONTDESK"),
        ("NM1", "IL", "1", "TESTPATIENT", "ALEX", "", "", "", "MI", "ZX1234567"),
        ("DMG", "D8", "19800101"),
        ("DTP", "291", "D8", "20261127"),
        ("EQ", "30"),
    ]
    return build(header(control, "HS", "005010X279A1"), "270", [body])


def tiny_271(control: int = 201, trace: str = "TRACE101") -> str:
    body = [
        ("BHT", "0022", "11", trace, "20261127", "0930"),
        ("HL", "1", "", "20", "1"),
        ("NM1", "PR", "2", "SIMULATED HEALTH PLAN", "", "", "", "", "PI", "SIM01"),
        ("HL", "2", "1", "21", "1"),
        ("NM1", "1P", "2", "EXAMPLE CLINIC", "", "", "", "", "XX", "1234567893"),
        ("HL", "3", "2", "22", "0"),
        ("TRN", "2", trace, "9FRONTDESK"),
        ("NM1", "IL", "1", "TESTPATIENT", "ALEX", "", "", "", "MI", "ZX1234567"),
        ("EB", "1", "IND", "30"),
    ]
    return build(header(control, "HB", "005010X279A1"), "271", [body])


def tiny_999(control: int = 301) -> str:
    body = [
        ("AK1", "HC", "1", "005010X222A1"),
        ("AK2", "837", "0001", "005010X222A1"),
        ("IK5", "A"),
        ("AK9", "A", "1", "1", "1"),
    ]
    return build(header(control, "FA", "005010X231A1"), "999", [body])


def tiny_835(control: int = 401) -> str:
    body = [
        ("BPR", "I", "0", "C", "NON", "", "", "", "", "", "", "", "", "", "", "20261127"),
        ("TRN", "1", f"CHK{control}", "1999999999"),
    ]
    return build(header(control, "HP", "005010X221A1"), "835", [body])


def sample_exchange(*, patient: object = None, restricted: bool = False) -> object:
    """A recorded 270 (stored encrypted) about ``patient`` (or a new one), without any transport."""
    import hashlib

    from django.utils import timezone

    from frontdesk.clearinghouse.models import Exchange
    from frontdesk.clearinghouse.services import _store
    from tests.factories import PatientFactory

    patient = patient or PatientFactory(is_restricted=restricted)
    content = tiny_270().encode()
    exchange = Exchange.objects.create(
        direction="out",
        kind="270",
        filename="270-sample.x12",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        control_number="000000101",
        stored_name=_store(content),
        status="sent",
        transport="simulated",
        created_at=timezone.now(),
    )
    exchange.patients.add(patient)
    return exchange
