"""The TA1 interchange acknowledgment (X12 005010 control segments).

A clearinghouse answers an interchange whose envelope it could not accept (ISA/IEA errors: a bad
sender or receiver ID, a duplicate control number, a truncated file) with a TA1 before any 999:
TA101 is the ISA13 it answers, TA102/TA103 that interchange's date and time, TA104 the verdict (A
accepted, E accepted with errors, R rejected) and TA105 the note code that says why. A TA1 stands
between an ISA and its IEA with no functional group (IEA01 = 0), or ahead of the groups of an
interchange that also carries transactions.

``read_ta1`` returns every TA1 of a file; ``write_ta1`` writes one (for the simulated payer and the
tests). Readers raise ``X12ParseError`` on any bad input, never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from frontdesk.standards.x12.envelope import Delimiters, EnvelopeHeader, isa_elements, parse
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError

# TA104: the interchange acknowledgment code.
ACKNOWLEDGMENT_CODES = {
    "A": "accepted",
    "E": "accepted with errors",
    "R": "rejected",
}

# TA105: the interchange note code (X12 005010, TA105 code list).
NOTE_CODES = {
    "000": "No error",
    "001": "The interchange control number in the header and trailer do not match",
    "002": "This standard as noted in the control standards identifier is not supported",
    "003": "This version of the controls is not supported",
    "004": "The segment terminator is invalid",
    "005": "Invalid interchange ID qualifier for sender",
    "006": "Invalid interchange sender ID",
    "007": "Invalid interchange ID qualifier for receiver",
    "008": "Invalid interchange receiver ID",
    "009": "Unknown interchange receiver ID",
    "010": "Invalid authorization information qualifier value",
    "011": "Invalid authorization information value",
    "012": "Invalid security information qualifier value",
    "013": "Invalid security information value",
    "014": "Invalid interchange date value",
    "015": "Invalid interchange time value",
    "016": "Invalid interchange standards identifier value",
    "017": "Invalid interchange version ID value",
    "018": "Invalid interchange control number value",
    "019": "Invalid acknowledgment requested value",
    "020": "Invalid test indicator value",
    "021": "Invalid number of included groups value",
    "022": "Invalid control structure",
    "023": "Improper (premature) end-of-file (transmission)",
    "024": "Invalid interchange content (e.g., invalid GS segment)",
    "025": "Duplicate interchange control number",
    "026": "Invalid data element separator",
    "027": "Invalid component element separator",
    "028": "Invalid delivery date in deferred delivery request",
    "029": "Invalid delivery time in deferred delivery request",
    "030": "Invalid delivery time code in deferred delivery request",
    "031": "Invalid grade of service code",
}


@dataclass(frozen=True)
class InterchangeAck:
    """One TA1: the answer to the interchange whose ISA13 is ``control_number``."""

    control_number: str  # TA101, 9 digits
    interchange_date: dt.date  # TA102
    interchange_time: str  # TA103, HHMM
    code: str  # TA104: A, E or R
    note_code: str  # TA105

    @property
    def rejected(self) -> bool:
        return self.code == "R"

    @property
    def message(self) -> str:
        """The verdict and the reason in plain words."""
        verdict = ACKNOWLEDGMENT_CODES.get(self.code, f"answered {self.code}")
        note = NOTE_CODES.get(self.note_code, f"note code {self.note_code}")
        text = f"interchange {self.control_number} was {verdict}"
        return text if self.note_code == "000" else f"{text}: {note} (TA105 {self.note_code})"


def read_ta1(data: str | bytes) -> list[InterchangeAck]:
    """Every TA1 in ``data`` (envelopes checked); raises X12ParseError when there is none."""
    found: list[InterchangeAck] = []
    for interchange in parse(data):
        for segment in interchange.acknowledgments:
            control = segment.get(1)
            if not re.fullmatch(r"\d{9}", control):
                raise segment.error("TA101 (interchange control number) must be 9 digits", 1)
            raw_date = segment.get(2)
            try:
                day = dt.datetime.strptime(raw_date, "%y%m%d").date()
            except ValueError:
                raise segment.error(f"TA102 {raw_date!r} is not a YYMMDD date", 2) from None
            time = segment.get(3)
            if not re.fullmatch(r"([01]\d|2[0-3])[0-5]\d", time):
                raise segment.error(f"TA103 {time!r} is not an HHMM time", 3)
            code = segment.get(4)
            if code not in ACKNOWLEDGMENT_CODES:
                raise segment.error(f"TA104 {code!r} is not A, E or R", 4)
            note = segment.get(5)
            if not re.fullmatch(r"\d{3}", note):
                raise segment.error(f"TA105 {note!r} is not a 3-digit note code", 5)
            found.append(InterchangeAck(control, day, time, code, note))
    if not found:
        raise X12ParseError("the file holds no TA1 interchange acknowledgment", segment_index=1)
    return found


def write_ta1(
    ack: InterchangeAck, header: EnvelopeHeader, delimiters: Delimiters | None = None
) -> str:
    """An interchange holding only ``ack`` (IEA01 = 0), from ``header``'s sender to its receiver."""
    d = delimiters or Delimiters()
    if not re.fullmatch(r"\d{9}", ack.control_number):
        raise X12BuildError("must be 9 digits", field="TA101")
    if ack.code not in ACKNOWLEDGMENT_CODES:
        raise X12BuildError("must be A, E or R", field="TA104")
    if not re.fullmatch(r"\d{3}", ack.note_code):
        raise X12BuildError("must be a 3-digit note code", field="TA105")
    control = f"{header.interchange_control_number:09d}"
    isa = isa_elements(replace(header, acknowledgment_requested=False), d)
    ta1 = (
        "TA1",
        ack.control_number,
        ack.interchange_date.strftime("%y%m%d"),
        ack.interchange_time,
        ack.code,
        ack.note_code,
    )
    segments = [d.element.join(isa), d.element.join(ta1), d.element.join(("IEA", "0", control))]
    return "".join(f"{segment}{d.segment}\n" for segment in segments)
