"""X12 5010 interchanges: delimiters, segments, the ISA/GS/ST envelopes, reading and writing.

Reading: ``parse(data)`` finds the delimiters the sender chose in the fixed-width ISA segment (element
separator at byte 4, repetition separator ISA11, component separator ISA16, the segment terminator right
after ISA16), splits the rest (line breaks after terminators are allowed and ignored), and checks the
envelopes: IEA02 = ISA13, GE02 = GS06, SE02 = ST02, and the counts in SE01 (segments from ST to SE),
GE01 (transaction sets) and IEA01 (functional groups). Anything wrong raises ``X12ParseError`` naming
the segment and element. Several interchanges in one file are read in order.

Writing: ``build(header, groups)`` puts transaction bodies (segments between ST and SE) into envelopes
with matching control numbers and counts. Element data that contains a delimiter is refused
(``X12BuildError``), never silently garbled; transaction writers clean free text first with
``clean_text``.

No Django here: pure Python, so the codecs can be used and fuzzed on their own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from frontdesk.standards.x12.errors import X12BuildError, X12ParseError

_TAG_RE = re.compile(r"[A-Z][A-Z0-9]{1,2}")

ISA_LENGTH = 106  # "ISA" + 16 elements with their separators + the segment terminator

# ISA element widths (ISA01..ISA16), fixed by the standard.
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


@dataclass(frozen=True)
class Delimiters:
    """The four delimiters of an interchange; ``suffix`` is what a writer puts after each terminator."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    suffix: str = "\n"

    def __post_init__(self) -> None:
        chars = [self.element, self.component, self.repetition, self.segment]
        if any(len(c) != 1 for c in chars):
            raise X12BuildError("each delimiter is exactly one character", field="delimiters")
        if len(set(chars)) != 4:
            raise X12BuildError("the four delimiters must differ", field="delimiters")
        if any(c.isalnum() or c == " " for c in chars):
            raise X12BuildError(
                "delimiters cannot be letters, digits or spaces", field="delimiters"
            )

    @property
    def reserved(self) -> str:
        return self.element + self.component + self.repetition + self.segment


_DEFAULT_DELIMITERS = Delimiters()


class Segment:
    """One segment as read: its tag, its elements (raw text, 1-based through ``get``), its position.

    A plain slotted class rather than a frozen dataclass: readers make one per segment (150,000 for
    a 10,000-claim 835), and a frozen dataclass's ``__init__`` costs three times as much.
    """

    __slots__ = ("delimiters", "elements", "id", "index")

    def __init__(
        self,
        id: str,
        elements: tuple[str, ...],
        index: int = 0,  # 1-based position in the interchange (ISA = 1)
        delimiters: Delimiters | None = None,
    ) -> None:
        self.id = id
        self.elements = elements
        self.index = index
        self.delimiters = delimiters if delimiters is not None else _DEFAULT_DELIMITERS

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segment):
            return NotImplemented
        return (self.id, self.elements, self.index) == (other.id, other.elements, other.index)

    def __hash__(self) -> int:
        return hash((self.id, self.elements, self.index))

    def __repr__(self) -> str:
        return f"Segment(id={self.id!r}, elements={self.elements!r}, index={self.index!r})"

    def get(self, position: int, default: str = "") -> str:
        """Element ``position`` (1-based) or ``default`` when absent or empty."""
        if 1 <= position <= len(self.elements):
            value = self.elements[position - 1]
            return value if value != "" else default
        return default

    def components(self, position: int) -> list[str]:
        """Element ``position`` split into its components (a composite such as SV101)."""
        value = self.get(position)
        return value.split(self.delimiters.component) if value else []

    def component(self, position: int, part: int, default: str = "") -> str:
        """Component ``part`` (1-based) of element ``position``."""
        parts = self.components(position)
        if 1 <= part <= len(parts) and parts[part - 1] != "":
            return parts[part - 1]
        return default

    def repeats(self, position: int) -> list[str]:
        """Element ``position`` split on the repetition separator (e.g. EB03 service types)."""
        value = self.get(position)
        return [v for v in value.split(self.delimiters.repetition) if v] if value else []

    def error(self, message: str, element: int | None = None) -> X12ParseError:
        return X12ParseError(message, segment_index=self.index, segment_id=self.id, element=element)

    def require(self, position: int, what: str) -> str:
        value = self.get(position)
        if not value:
            raise self.error(f"{what} is missing", position)
        return value


@dataclass(frozen=True)
class Transaction:
    """One transaction set: the ST segment, the body (ST..SE inclusive), its group's version."""

    st: Segment
    segments: tuple[Segment, ...]  # ST first, SE last
    version: str  # GS08, e.g. "005010X222A1"
    functional_id: str  # GS01, e.g. "HC"

    @property
    def code(self) -> str:
        return self.st.get(1)  # "837", "835", ...

    @property
    def control_number(self) -> str:
        return self.st.get(2)

    @property
    def body(self) -> tuple[Segment, ...]:
        """The segments between ST and SE."""
        return self.segments[1:-1]


@dataclass(frozen=True)
class FunctionalGroup:
    gs: Segment
    transactions: tuple[Transaction, ...]
    ge: Segment

    @property
    def control_number(self) -> str:
        return self.gs.get(6)

    @property
    def functional_id(self) -> str:
        return self.gs.get(1)

    @property
    def version(self) -> str:
        return self.gs.get(8)


@dataclass(frozen=True)
class Interchange:
    isa: Segment
    groups: tuple[FunctionalGroup, ...]
    iea: Segment
    delimiters: Delimiters
    # TA1 interchange acknowledgments, which stand between the ISA and the first GS (or the IEA).
    acknowledgments: tuple[Segment, ...] = ()

    @property
    def control_number(self) -> str:
        return self.isa.get(13)

    @property
    def sender_id(self) -> str:
        return self.isa.get(6).strip()

    @property
    def receiver_id(self) -> str:
        return self.isa.get(8).strip()

    @property
    def usage(self) -> str:
        return self.isa.get(15)  # "P" production, "T" test

    def transactions(self) -> Iterator[Transaction]:
        for group in self.groups:
            yield from group.transactions


# ---------------------------------------------------------------------------------------------
# Reading


def _text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data.removeprefix("\ufeff")


def detect_delimiters(data: str) -> Delimiters:
    """Delimiters from the ISA segment at the start of ``data`` (after optional whitespace)."""
    text = data.lstrip()
    if not text.startswith("ISA"):
        found = text[:20].replace("\n", " ").replace("\r", " ")
        raise X12ParseError(
            f"not an X12 interchange: it must begin with ISA, found {found!r}", segment_index=1
        )
    if len(text) < ISA_LENGTH:
        raise X12ParseError(
            f"the ISA segment is truncated: {len(text)} characters, 106 are needed",
            segment_index=1,
            segment_id="ISA",
        )
    element = text[3]
    # Walk the fixed widths; a sender that padded wrongly gets told which element.
    position = 4
    for number, width in enumerate(_ISA_WIDTHS, start=1):
        end = position + width
        if number < 16 and text[end] != element:
            raise X12ParseError(
                f"ISA{number:02d} must be {width} characters wide followed by the element "
                f"separator {element!r}",
                segment_index=1,
                segment_id="ISA",
                element=number,
            )
        position = end + 1
    repetition = text[82]
    component = text[104]
    terminator = text[105]
    try:
        return Delimiters(
            element=element,
            component=component,
            repetition=repetition if repetition != "U" else "^",
            segment=terminator,
        )
    except X12BuildError as exc:
        raise X12ParseError(
            f"the ISA segment declares unusable delimiters: {exc.message}",
            segment_index=1,
            segment_id="ISA",
        ) from exc


def split_segments(data: str | bytes) -> tuple[Delimiters, list[Segment]]:
    """Delimiters and the segments of ``data``, line breaks around terminators ignored."""
    text = _text(data).lstrip()
    delimiters = detect_delimiters(text)
    tail = text.rstrip(" \r\n\t\x00\x1a")
    if delimiters.segment not in " \r\n\t\x00\x1a" and not tail.endswith(delimiters.segment):
        last = tail.rsplit(delimiters.segment, 1)[-1].strip("\r\n")
        raise X12ParseError(
            f"the file is truncated: it ends inside a segment ({last[:20]!r}) without the segment "
            f"terminator {delimiters.segment!r}",
            segment_index=tail.count(delimiters.segment) + 1,
            segment_id=last.split(delimiters.element, 1)[0][:3],
        )
    segments: list[Segment] = []
    append = segments.append
    element = delimiters.element
    good_tags: set[str] = set()
    for raw in text.split(delimiters.segment):
        raw = raw.strip("\r\n")
        if not raw or raw.isspace():
            continue  # the line break (or nothing) after the last terminator
        parts = raw.split(element)
        tag = parts[0]
        position = len(segments) + 1
        if tag not in good_tags:
            tag = tag.strip()
            if not _TAG_RE.fullmatch(tag):
                raise X12ParseError(
                    f"segment {position} has no valid segment tag (found {tag[:10]!r})",
                    segment_index=position,
                )
            if tag == parts[0]:
                good_tags.add(tag)
        append(Segment(tag, tuple(parts[1:]), position, delimiters))
    return delimiters, segments


def parse(data: str | bytes) -> list[Interchange]:
    """Every interchange in ``data``, envelopes checked (control numbers and counts)."""
    delimiters, segments = split_segments(data)
    interchanges: list[Interchange] = []
    position = 0
    total = len(segments)

    def expect(seg: Segment | None, tag: str, context: str) -> Segment:
        if seg is None:
            last = segments[-1] if segments else None
            raise X12ParseError(
                f"the file ends before the {tag} segment that closes {context} (truncated?)",
                segment_index=(last.index + 1) if last else 1,
                segment_id=tag,
            )
        if seg.id != tag:
            raise seg.error(f"expected {tag} ({context}), found {seg.id}")
        return seg

    def at(i: int) -> Segment | None:
        return segments[i] if i < total else None

    while position < total:
        isa = expect(at(position), "ISA", "the start of an interchange")
        if len(isa.elements) != 16:
            raise isa.error(f"ISA must have 16 elements, found {len(isa.elements)}")
        isa_control = isa.get(13)
        if not re.fullmatch(r"\d{9}", isa_control):
            raise isa.error("ISA13 (interchange control number) must be 9 digits", 13)
        position += 1
        acknowledgments: list[Segment] = []
        while (seg := at(position)) is not None and seg.id == "TA1":
            acknowledgments.append(seg)
            position += 1
        groups: list[FunctionalGroup] = []
        while (seg := at(position)) is not None and seg.id == "GS":
            gs = seg
            if not gs.get(6):
                raise gs.error("GS06 (group control number) is missing", 6)
            position += 1
            transactions: list[Transaction] = []
            while (seg := at(position)) is not None and seg.id == "ST":
                st = seg
                st_control = st.require(2, "ST02 (transaction set control number)")
                start = position
                position += 1
                while (seg := at(position)) is not None and seg.id not in ("SE", "ST", "GE", "IEA"):
                    position += 1
                se = expect(at(position), "SE", f"transaction set {st_control}")
                body = tuple(segments[start : position + 1])
                if se.get(2) != st_control:
                    raise se.error(f"SE02 {se.get(2)!r} does not match ST02 {st_control!r}", 2)
                if se.get(1) != str(len(body)):
                    raise se.error(
                        f"SE01 says {se.get(1) or 'nothing'} segments but transaction set "
                        f"{st_control} has {len(body)} (ST through SE)",
                        1,
                    )
                transactions.append(Transaction(st, body, gs.get(8), gs.get(1)))
                position += 1
            ge = expect(at(position), "GE", f"functional group {gs.get(6)}")
            if ge.get(2) != gs.get(6):
                raise ge.error(f"GE02 {ge.get(2)!r} does not match GS06 {gs.get(6)!r}", 2)
            if ge.get(1) != str(len(transactions)):
                raise ge.error(
                    f"GE01 says {ge.get(1) or 'nothing'} transaction sets but the group has "
                    f"{len(transactions)}",
                    1,
                )
            groups.append(FunctionalGroup(gs, tuple(transactions), ge))
            position += 1
        iea = expect(at(position), "IEA", f"interchange {isa_control}")
        if iea.get(2) != isa_control:
            raise iea.error(f"IEA02 {iea.get(2)!r} does not match ISA13 {isa_control!r}", 2)
        if iea.get(1) != str(len(groups)):
            raise iea.error(
                f"IEA01 says {iea.get(1) or 'nothing'} functional groups but the interchange has "
                f"{len(groups)}",
                1,
            )
        interchanges.append(
            Interchange(isa, tuple(groups), iea, delimiters, tuple(acknowledgments))
        )
        position += 1
    if not interchanges:
        raise X12ParseError("the file holds no interchange", segment_index=1)
    return interchanges


def transactions_of(
    data: str | bytes, code: str, versions: Iterable[str] = ()
) -> list[Transaction]:
    """Every transaction set ``code`` (e.g. "835") in ``data``; refuses other transaction types.

    ``versions``, when given, are the implementation guides accepted in GS08 (e.g. "005010X221A1").
    """
    wanted = set(versions)
    found: list[Transaction] = []
    for interchange in parse(data):
        for transaction in interchange.transactions():
            if transaction.code != code:
                raise transaction.st.error(
                    f"expected a {code} transaction set, found {transaction.code or 'none'}", 1
                )
            if wanted and transaction.version not in wanted and transaction.st.get(3) not in wanted:
                raise transaction.st.error(
                    f"implementation guide {transaction.st.get(3) or transaction.version!r} is not "
                    f"supported (expected {', '.join(sorted(wanted))})",
                    3,
                )
            found.append(transaction)
    if not found:
        raise X12ParseError(f"the file holds no {code} transaction set", segment_index=1)
    return found


# ---------------------------------------------------------------------------------------------
# Writing

Element = str | Sequence[str]  # a simple element, or a composite's components
RawSegment = Sequence[
    Element
]  # ("NM1", "85", "2", "ACME CLINIC", "", "", "", "", "XX", "1234567893")


class Repeated(tuple[str, ...]):
    """An element sent several times, joined by the repetition separator (EB03 service types)."""

    __slots__ = ()


_CLEAN_RE = re.compile(r"[^A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


def clean_text(value: str, max_length: int | None = None) -> str:
    """Free text made safe for an element: the X12 extended character set, no delimiters, trimmed.

    Accented letters lose their accent (José -> Jose); anything else outside the set becomes a space.
    """
    import unicodedata

    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join(_CLEAN_RE.sub(" ", folded).split())
    for ch in "*:^~|>":
        cleaned = cleaned.replace(ch, " ")
    cleaned = " ".join(cleaned.split())
    return cleaned[:max_length].rstrip() if max_length else cleaned


def format_amount(value: object) -> str:
    """An X12 decimal (R) amount: no trailing zeros beyond need, no leading '+', '-' kept."""
    from decimal import Decimal

    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    text = format(amount.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def segment_text(segment: RawSegment, delimiters: Delimiters) -> str:
    """One segment as text (without its terminator); trailing empty elements are dropped."""
    if not segment:
        raise X12BuildError("a segment needs a tag")
    tag = str(segment[0])
    parts: list[str] = [tag]
    for position, element in enumerate(segment[1:], start=1):
        if isinstance(element, str):
            text = element
            _check(text, delimiters, tag, position)
        elif isinstance(element, Repeated):
            for repetition in element:
                _check(repetition, delimiters, tag, position)
            text = delimiters.repetition.join(r for r in element if r)
        else:
            components = list(element)
            for component in components:
                _check(component, delimiters, tag, position)
            while components and components[-1] == "":
                components.pop()
            text = delimiters.component.join(components)
        parts.append(text)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return delimiters.element.join(parts)


def _check(text: str, delimiters: Delimiters, tag: str, position: int) -> None:
    bad = [ch for ch in text if ch in delimiters.reserved]
    if bad:
        raise X12BuildError(
            f"the value {text!r} contains the delimiter {bad[0]!r}", field=f"{tag}{position:02d}"
        )


@dataclass(frozen=True)
class EnvelopeHeader:
    """Who sends to whom, and the control numbers; the writer fills in counts."""

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    functional_id: str  # GS01: HS (270), HB (271), HC (837), HP (835), FA (999), HN (277)
    version: str  # GS08: 005010X279A1, 005010X222A1, ...
    created_at: dt.datetime
    application_sender: str = ""  # GS02 (defaults to sender_id)
    application_receiver: str = ""  # GS03 (defaults to receiver_id)
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    usage: str = "P"  # ISA15: P production, T test
    acknowledgment_requested: bool = False  # ISA14 (a TA1)

    def __post_init__(self) -> None:
        if not 1 <= self.interchange_control_number <= 999_999_999:
            raise X12BuildError("must be 1..999999999", field="interchange_control_number")
        if not 1 <= self.group_control_number <= 999_999_999:
            raise X12BuildError("must be 1..999999999", field="group_control_number")
        for name in ("sender_id", "receiver_id"):
            value = getattr(self, name)
            if not value or len(value) > 15:
                raise X12BuildError("must be 1 to 15 characters", field=name)
        if self.usage not in ("P", "T"):
            raise X12BuildError("must be P or T", field="usage")


def isa_elements(header: EnvelopeHeader, delimiters: Delimiters) -> tuple[str, ...]:
    """The ISA segment's elements for ``header`` (fixed widths; ISA11 and ISA16 are delimiters,
    so join them with the element separator without the delimiter check)."""
    created = header.created_at
    return (
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        header.sender_qualifier.ljust(2),
        header.sender_id.ljust(15),
        header.receiver_qualifier.ljust(2),
        header.receiver_id.ljust(15),
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        delimiters.repetition,
        "00501",
        f"{header.interchange_control_number:09d}",
        "1" if header.acknowledgment_requested else "0",
        header.usage,
        delimiters.component,
    )


def build(
    header: EnvelopeHeader,
    code: str,
    transactions: Sequence[Sequence[RawSegment]],
    delimiters: Delimiters | None = None,
    *,
    first_st_control: int = 1,
) -> str:
    """One interchange, one functional group, holding ``transactions`` of set ``code`` ("837").

    Each transaction is its body: the segments between ST and SE. ST02 numbers run from
    ``first_st_control`` (at least 4 digits); ST03 carries the guide (GS08); SE01 counts ST through SE.
    """
    if not re.fullmatch(r"\d{3}", code):
        raise X12BuildError("must be a 3-digit transaction set identifier", field="ST01")
    d = delimiters or Delimiters()
    if not transactions:
        raise X12BuildError("an interchange needs at least one transaction set")
    created = header.created_at
    out: list[str] = []
    isa = isa_elements(header, d)
    # ISA11 and ISA16 are the delimiters themselves: write them without the delimiter check.
    out.append(d.element.join(isa))
    gs = (
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
    out.append(segment_text(gs, d))
    for offset, body in enumerate(transactions):
        if not body:
            raise X12BuildError("a transaction set needs at least one segment")
        control = f"{first_st_control + offset:04d}"
        out.append(segment_text(("ST", code, control, header.version), d))
        for segment in body:
            out.append(segment_text(segment, d))
        out.append(segment_text(("SE", str(len(body) + 2), control), d))
    out.append(segment_text(("GE", str(len(transactions)), str(header.group_control_number)), d))
    out.append(segment_text(("IEA", "1", f"{header.interchange_control_number:09d}"), d))
    terminator = d.segment + d.suffix
    return terminator.join(out) + terminator
