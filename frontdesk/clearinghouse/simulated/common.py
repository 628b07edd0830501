"""Envelope headers for the simulated payer's answers (deterministic, from the request's envelope)."""

from __future__ import annotations

import datetime as dt

from frontdesk.clearinghouse.simulated.plans import SENDER_ID
from frontdesk.standards.x12.envelope import EnvelopeHeader, parse
from frontdesk.standards.x12.errors import X12ParseError

_MAX = 999_999_999


def answer_header(
    request: str | bytes,
    today: dt.date,
    *,
    functional_id: str,
    version: str,
    offset: int = 0,
) -> EnvelopeHeader:
    """A header answering ``request``: to its sender, from the simulated payer, numbered after it.

    The control numbers are the request's ISA13 times 4 plus ``offset`` (0..3 for the 271/999,
    277CA and 835), wrapped to 9 digits: the same request always gets the same numbers, and the
    answers to one request never share one.
    """
    interchanges = parse(request)
    first = interchanges[0]
    try:
        number = int(first.control_number)
    except ValueError:
        raise X12ParseError("ISA13 must be a number", segment_index=1, segment_id="ISA") from None
    control = (number * 4 + offset) % _MAX + 1
    return EnvelopeHeader(
        sender_id=(first.receiver_id or SENDER_ID)[:15],
        receiver_id=(first.sender_id or "FRONTDESK")[:15],
        interchange_control_number=control,
        group_control_number=control,
        functional_id=functional_id,
        version=version,
        created_at=dt.datetime.combine(today, dt.time(12, 0)),
        usage=first.usage if first.usage in ("P", "T") else "T",
    )
