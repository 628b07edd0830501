"""Helpers shared by the 837P (``claims.py``) and 835 (``remittance.py``) codecs.

- ``Address`` and ``Adjustment`` (a CAS triplet), used by both transactions (re-exported by
  ``claims``);
- writing: cached ``clean_text``/``format_amount``/``format_date``, ``build_interchange`` (the text of
  ``envelope.build`` with the default delimiters, faster: 10,000 claims in a few seconds), ``Check``
  (validation that names the claim and the field in every ``X12BuildError``), address and CAS
  segment builders;
- reading: ``parse_amount``/``parse_date``/``parse_adjustments`` (raising ``X12ParseError`` naming the
  segment and element) and ``Reader``, a cursor over a transaction's segments.

Pure Python, no Django.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from frontdesk.standards.npi import is_valid as is_valid_npi
from frontdesk.standards.x12.envelope import (
    Delimiters,
    EnvelopeHeader,
    RawSegment,
    Segment,
    Transaction,
    isa_elements,
)
from frontdesk.standards.x12.envelope import clean_text as _clean_text
from frontdesk.standards.x12.envelope import format_amount as _format_amount
from frontdesk.standards.x12.errors import X12BuildError, X12ParseError

ADJUSTMENT_GROUPS = frozenset(["CO", "CR", "OA", "PI", "PR"])  # CAS01 (OA = other adjustments)


# ---------------------------------------------------------------------------------------------
# Data shared by the 837P and the 835


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class Adjustment:
    """One CAS triplet: group (CO, PR, OA, PI; CR in the 837P), reason (CARC), amount, quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


# ---------------------------------------------------------------------------------------------
# Fast writing helpers (10,000 claims in a few seconds): cached cleaning/formatting and a serializer
# that gives exactly the text of ``envelope.build`` with the default delimiters (a test holds them
# equal) but joins each segment first and then counts its delimiters, instead of checking every
# character of every element in a Python loop.


@functools.lru_cache(maxsize=65536)
def clean_text(value: str, max_length: int | None = None) -> str:
    """``envelope.clean_text``, remembered (names, cities and payers repeat across a batch)."""
    return _clean_text(value, max_length)


@functools.lru_cache(maxsize=65536)
def format_amount(value: Decimal) -> str:
    """``envelope.format_amount``, remembered (charges repeat across a batch)."""
    return _format_amount(value)


@functools.lru_cache(maxsize=4096)
def format_date(value: dt.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


CODE3_RE = re.compile(r"\d{3}", re.ASCII)
DIGITS10_RE = re.compile(r"\d{10}", re.ASCII)
STATE_RE = re.compile(r"[A-Z]{2}", re.ASCII)
DIGITS9_RE = re.compile(r"\d{9}", re.ASCII)
ZIP_RE = re.compile(r"\d{5}|\d{9}", re.ASCII)
TAXONOMY_RE = re.compile(r"[0-9A-Z]{9}[0-9X]|[0-9A-Z]{10}", re.ASCII)
DIGITS2_RE = re.compile(r"\d{2}", re.ASCII)
TIME_RE = re.compile(r"\d{4}(\d{2})?(\d{1,2})?", re.ASCII)
POINTER_RE = re.compile(r"\d{1,2}", re.ASCII)

_DELIMITERS = Delimiters()
_RESERVED_RE = re.compile("[" + re.escape(_DELIMITERS.reserved) + "]")


def _segment_text(segment: RawSegment) -> str:
    """One segment's text; joined first, then the delimiters are counted (a mismatch means an
    element holds a delimiter, and the slow path names it)."""
    try:
        full = "*".join(segment)  # type: ignore[arg-type]
    except TypeError:  # a composite element (a tuple of components)
        return _composite_segment_text(segment)
    text = full.rstrip("*")  # trailing empty elements
    # Data holding "*" either adds a separator or, at the end, is stripped with them: both show.
    if (
        text.count("*") != len(segment) - 1 - (len(full) - len(text))
        or ":" in text
        or "~" in text
        or "^" in text
    ):
        _find_delimiter(segment)
    return text


def _composite_segment_text(segment: RawSegment) -> str:
    parts: list[str] = []
    separators = 0  # component separators the composites account for
    for element in segment:
        if type(element) is str:
            parts.append(element)
            continue
        components = list(element)
        while components and components[-1] == "":
            components.pop()
        if components:
            separators += len(components) - 1
        parts.append(":".join(components))
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    text = "*".join(parts)
    if (
        text.count("*") != len(parts) - 1
        or text.count(":") != separators
        or "~" in text
        or "^" in text
    ):
        _find_delimiter(segment)
    return text


def _find_delimiter(segment: RawSegment) -> None:
    tag = str(segment[0])
    for position, element in enumerate(segment[1:], start=1):
        for value in [element] if isinstance(element, str) else list(element):
            if _RESERVED_RE.search(value):
                _refuse(value, tag, position)


def _refuse(text: str, tag: str, position: int) -> None:
    bad = next(ch for ch in text if ch in _DELIMITERS.reserved)
    raise X12BuildError(
        f"the value {text!r} contains the delimiter {bad!r}", field=f"{tag}{position:02d}"
    )


def build_interchange(
    header: EnvelopeHeader,
    code: str,
    transactions: Sequence[Sequence[RawSegment]],
    *,
    first_st_control: int = 1,
    st_version: bool = True,
) -> str:
    """``envelope.build`` with the default delimiters, faster; ``st_version=False`` leaves out ST03
    (the 835 guide marks it not used)."""
    if not CODE3_RE.fullmatch(code):
        raise X12BuildError("must be a 3-digit transaction set identifier", field="ST01")
    if not transactions:
        raise X12BuildError("an interchange needs at least one transaction set")
    d = _DELIMITERS
    created = header.created_at
    isa = isa_elements(header, d)
    out: list[str] = [d.element.join(isa)]
    out.append(
        _segment_text(
            (
                "GS",
                header.functional_id,
                header.application_sender or header.sender_id,
                header.application_receiver or header.receiver_id,
                created.strftime("%Y%m%d"),
                created.strftime("%H%M"),
                str(header.group_control_number),
                "X",
                header.version,
            )
        )
    )
    for offset, body in enumerate(transactions):
        if not body:
            raise X12BuildError("a transaction set needs at least one segment")
        control = f"{first_st_control + offset:04d}"
        st: RawSegment = (
            ("ST", code, control, header.version) if st_version else ("ST", code, control)
        )
        out.append(_segment_text(st))
        out.extend(map(_segment_text, body))
        out.append(_segment_text(("SE", str(len(body) + 2), control)))
    out.append(_segment_text(("GE", str(len(transactions)), str(header.group_control_number))))
    out.append(_segment_text(("IEA", "1", f"{header.interchange_control_number:09d}")))
    terminator = d.segment + d.suffix
    return terminator.join(out) + terminator


# ---------------------------------------------------------------------------------------------
# Validation helpers (shared with remittance.py)


@functools.lru_cache(maxsize=4096)
def npi_valid(npi: str) -> bool:
    """A valid NPI (``standards.npi``: 10 digits, check digit right), cached for large batches."""
    return npi == npi.strip() and is_valid_npi(npi)


def format_quantity(value: Decimal) -> str:
    """A quantity (units) without exponent or trailing zeros: 1, 1.5, 0.25."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


_ID_RE = re.compile(r"[A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]+")


class Check:
    """Collects the claim in context so every error names it."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field: str, message: str) -> X12BuildError:
        return X12BuildError(f"{self.where}: {message}" if self.where else message, field=field)

    def ident(
        self, value: str, field: str, max_length: int, *, required: bool = True, min_length: int = 1
    ) -> str:
        value = value.strip()
        if not value:
            if required:
                raise self.fail(field, "is missing")
            return ""
        if len(value) < min_length:
            raise self.fail(field, f"{value!r} is shorter than {min_length} characters")
        if len(value) > max_length:
            raise self.fail(field, f"{value!r} is longer than {max_length} characters")
        if not _ID_RE.fullmatch(value):  # the set holds no delimiter (* : ^ ~)
            raise self.fail(field, f"{value!r} holds characters X12 cannot carry")
        return value

    def code(self, value: str, field: str, allowed: frozenset[str]) -> str:
        if value not in allowed:
            raise self.fail(field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    def npi(self, value: str, field: str) -> str:
        if not value:
            raise self.fail(field, "NPI is missing")
        if not npi_valid(value):
            raise self.fail(field, f"NPI {value!r} is not a valid 10-digit NPI (check digit)")
        return value

    def amount(self, value: Decimal, field: str, *, negative: bool = False) -> Decimal:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise self.fail(field, f"{value!r} is not a decimal amount")
        if value != value.quantize(Decimal("0.01")):
            raise self.fail(field, f"{value} has more than 2 decimal places")
        if value < 0 and not negative:
            raise self.fail(field, f"{value} is negative")
        if abs(value) >= Decimal("10000000000"):
            raise self.fail(field, f"{value} is too large")
        return value

    def quantity(self, value: Decimal, field: str) -> Decimal:
        if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
            raise self.fail(field, f"{value!r} must be a positive number of units")
        if value != value.quantize(Decimal("0.001")) or value >= Decimal("100000"):
            raise self.fail(field, f"{value} must have at most 3 decimals and 5 digits")
        return value

    def date(self, value: object, field: str) -> dt.date:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise self.fail(field, f"{value!r} is not a date")
        return value


_PUNCTUATION_RE = re.compile(r"[\s\-().]", re.ASCII)


def digits_only(value: str) -> str:
    return _PUNCTUATION_RE.sub("", value) if not value.isdigit() else value


def address_segments(check: Check, address: Address, loop: str, *, zip9: bool) -> list[RawSegment]:
    line1 = clean_text(address.line1, 55)
    if not line1:
        raise check.fail(f"{loop} N301", "address line 1 is missing")
    n3: RawSegment = (
        ("N3", line1, clean_text(address.line2, 55)) if address.line2 else ("N3", line1)
    )
    city = clean_text(address.city, 30)
    if len(city) < 2:
        raise check.fail(f"{loop} N401", "city is missing (at least 2 characters)")
    if not STATE_RE.fullmatch(address.state):
        raise check.fail(f"{loop} N402", f"state {address.state!r} must be 2 capital letters")
    postal = digits_only(address.postal_code)
    if zip9:
        if not DIGITS9_RE.fullmatch(postal):
            raise check.fail(
                f"{loop} N403",
                f"ZIP {address.postal_code!r} must be the 9-digit ZIP+4 for the billing provider",
            )
    elif not ZIP_RE.fullmatch(postal):
        raise check.fail(f"{loop} N403", f"ZIP {address.postal_code!r} must be 5 or 9 digits")
    return [n3, ("N4", city, address.state, postal)]


def adjustment_segments(
    check: Check, adjustments: Sequence[Adjustment], loop: str
) -> list[RawSegment]:
    """CAS segments: one per group code (in order of first appearance), 6 triplets each."""
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        check.code(adj.group, f"{loop} CAS01", ADJUSTMENT_GROUPS)
        check.ident(adj.reason, f"{loop} CAS02", 5)
        check.amount(adj.amount, f"{loop} CAS03", negative=True)
        if adj.quantity is not None and (
            not isinstance(adj.quantity, Decimal) or not adj.quantity.is_finite()
        ):
            raise check.fail(f"{loop} CAS04", f"{adj.quantity!r} is not a quantity")
        by_group.setdefault(adj.group, []).append(adj)
    out: list[RawSegment] = []
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            seg: list[str] = ["CAS", group]
            for adj in items[start : start + 6]:
                seg += [
                    adj.reason,
                    format_amount(adj.amount),
                    format_quantity(adj.quantity) if adj.quantity is not None else "",
                ]
            out.append(tuple(seg))
    if len(out) > 5:
        raise check.fail(f"{loop} CAS", "more than 5 CAS segments (30 adjustments, 6 per group)")
    return out


def adjustments_total(adjustments: Sequence[Adjustment]) -> Decimal:
    return sum((a.amount for a in adjustments), Decimal("0"))


def name_text(
    value: str, field: str, check: Check, max_length: int, *, required: bool = True
) -> str:
    cleaned = clean_text(value, max_length)
    if required and not cleaned:
        raise check.fail(field, "name is missing")
    return cleaned


# ---------------------------------------------------------------------------------------------
# Reading helpers

_NUMBER_RE = re.compile(r"-?(\d+\.?\d*|\.\d+)", re.ASCII)
_DATE_RE = re.compile(r"\d{8}", re.ASCII)


@functools.lru_cache(maxsize=65536)
def _decimal(value: str) -> Decimal | None:
    """The number in ``value`` (X12 R: optional minus, digits, one optional point), else None."""
    if len(value) > 18 or not _NUMBER_RE.fullmatch(value):
        return None
    return Decimal(value)


def parse_amount(
    seg: Segment, position: int, what: str, *, required: bool = True
) -> Decimal | None:
    elements = seg.elements
    value = elements[position - 1] if position <= len(elements) else ""
    if not value:
        if required:
            raise seg.error(f"{what} is missing", position)
        return None
    number = _decimal(value)
    if number is None:
        raise seg.error(f"{what} {value[:20]!r} is not a number", position)
    return number


@functools.lru_cache(maxsize=16384)
def _date(text: str) -> dt.date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def parse_date(seg: Segment, position: int, what: str, value: str | None = None) -> dt.date:
    text = seg.get(position) if value is None else value
    day = _date(text)
    if day is None:
        if not _DATE_RE.fullmatch(text):
            raise seg.error(f"{what} {text[:20]!r} must be a date CCYYMMDD", position)
        raise seg.error(f"{what} {text!r} is not a real date", position)
    return day


def parse_adjustments(seg: Segment) -> list[Adjustment]:
    """The (up to 6) reason/amount/quantity triplets of a CAS, one ``Adjustment`` each."""
    elements = seg.elements
    group = seg.require(1, "CAS01 (adjustment group)")
    if len(elements) > 19:
        raise seg.error("CAS holds more than 6 adjustments", 20)
    out: list[Adjustment] = []
    for reason_at in range(2, len(elements) + 1, 3):
        reason = elements[reason_at - 1]
        if not reason:
            if seg.get(reason_at + 1) or seg.get(reason_at + 2):
                raise seg.error("an adjustment amount without its reason code", reason_at)
            continue
        amount = parse_amount(seg, reason_at + 1, f"CAS{reason_at + 1:02d} (adjustment amount)")
        quantity = parse_amount(seg, reason_at + 2, "adjustment quantity", required=False)
        assert amount is not None
        out.append(Adjustment(group, reason, amount, quantity))
    if not out:
        raise seg.error("CAS holds no adjustment", 2)
    return out


def _parse_quantity(seg: Segment, position: int, what: str) -> Decimal:
    value = parse_amount(seg, position, what)
    assert value is not None
    return value


class Reader:
    """Walks the body of one 837P transaction set segment by segment."""

    def __init__(self, transaction: Transaction) -> None:
        self.segs = transaction.body
        self.i = 0
        self.st = transaction.st

    def peek(self) -> Segment | None:
        return self.segs[self.i] if self.i < len(self.segs) else None

    def next(self) -> Segment:
        seg = self.peek()
        if seg is None:
            last = self.segs[-1] if self.segs else self.st
            raise X12ParseError(
                "the transaction set ends too early (truncated?)",
                segment_index=last.index + 1,
                segment_id="SE",
            )
        self.i += 1
        return seg

    def expect(self, tag: str, qualifier: str | None = None, what: str = "") -> Segment:
        seg = self.next()
        if seg.id != tag or (qualifier is not None and seg.get(1) != qualifier):
            wanted = f"{tag}*{qualifier}" if qualifier else tag
            raise seg.error(f"expected {wanted} ({what}), found {seg.id}*{seg.get(1)}")
        return seg

    def take(self, tag: str, qualifier: str | None = None) -> Segment | None:
        seg = self.peek()
        if seg is not None and seg.id == tag and (qualifier is None or seg.get(1) == qualifier):
            self.i += 1
            return seg
        return None

    def skip_until(self, stops: set[str]) -> None:
        while (seg := self.peek()) is not None and seg.id not in stops:
            self.i += 1


@contextlib.contextmanager
def transient_caches() -> Iterator[None]:
    """The speed-up caches live for one call: names, addresses, amounts and birth dates are not
    kept in the process once a file has been written or read."""
    try:
        yield
    finally:
        for cached in (clean_text, format_amount, format_date, npi_valid, _decimal, _date):
            cached.cache_clear()
