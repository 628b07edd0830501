"""Envelope headers for the files we send: sender/receiver ids from settings, control numbers from
core's ``Counter`` (unique and increasing across every app server, allocated under a row lock).

Settings (environment variables of the same names): ``FRONTDESK_X12_SENDER_ID`` (default
``FRONTDESK``), ``FRONTDESK_X12_RECEIVER_ID`` (default ``CLEARINGHOUSE``), ``FRONTDESK_X12_USAGE``
(``P`` production or ``T`` test; default ``T`` unless ``FRONTDESK_ENV=production``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from frontdesk.core.counters import counter_next
from frontdesk.standards.x12.envelope import EnvelopeHeader

INTERCHANGE_COUNTER = "x12.interchange"
GROUP_COUNTER = "x12.group"
_MAX = 999_999_999


@dataclass(frozen=True)
class ControlNumbers:
    interchange: int  # ISA13 / IEA02
    group: int  # GS06 / GE02


def _wrap(value: int) -> int:
    # ISA13 is 9 digits: after 999,999,999 numbers start again at 1 (decades away at any volume).
    return (value - 1) % _MAX + 1


def next_control_numbers() -> ControlNumbers:
    """Allocate the next interchange and group control numbers."""
    return ControlNumbers(
        interchange=_wrap(counter_next(INTERCHANGE_COUNTER)),
        group=_wrap(counter_next(GROUP_COUNTER)),
    )


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    return str(value).strip() or default


def sender_id() -> str:
    return _setting("FRONTDESK_X12_SENDER_ID", "FRONTDESK")


def receiver_id() -> str:
    return _setting("FRONTDESK_X12_RECEIVER_ID", "CLEARINGHOUSE")


def usage() -> str:
    default = "P" if getattr(settings, "PRODUCTION", False) else "T"
    value = _setting("FRONTDESK_X12_USAGE", default).upper()
    return value if value in ("P", "T") else default


def envelope_header(kind: str, functional_id: str, version: str) -> EnvelopeHeader:
    """A fresh envelope header for a file of ``kind`` we are about to build (allocates numbers).

    ``functional_id`` is GS01 (HS for a 270, HC for an 837) and ``version`` GS08
    (005010X279A1, 005010X222A1).
    """
    numbers = next_control_numbers()
    return EnvelopeHeader(
        sender_id=sender_id(),
        receiver_id=receiver_id(),
        interchange_control_number=numbers.interchange,
        group_control_number=numbers.group,
        functional_id=functional_id,
        version=version,
        created_at=timezone.localtime(),
        usage=usage(),
    )
