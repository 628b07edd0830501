"""Find a page's patient identifiers in its text (OCR output or a PDF's text layer).

Only labelled fields are trusted, so that letterheads and sender blocks do not become patients:

- names after "Patient:", "Patient Name", "Pt Name", "Name:", "Re:", "Member:", "Member Name",
  "Subscriber", "Insured", and "Last Name: / First Name:" pairs; patient labels are listed before
  member and subscriber ones. A value with a doctor's mark ("Dr.", "MD", "DO", "NP", ...) is not a
  patient. "DOE, JANE Q" and "Jane Q. Doe" both give first "Jane", last "Doe" (all-caps values are
  put in name case; mixed case is kept).
- dates of birth after "DOB" (also "D.O.B.", "D0B", OCR's "OOB"), "Date of Birth", "Birth Date",
  "Birthdate"; the one nearest the first patient's name (same line, then just below) comes first;
  dates of service after "Date of Service", "DOS", "Service Date", "Collected", "Collection Date",
  "Exam Date", "Visit Date", "Encounter Date", "Procedure Date". Dates: 03/04/1961, 3/4/61,
  1961-03-04, March 4, 1961, 4 March 1961, 04-Mar-1961 (US month-first order; OCR's O/o/Q for 0 and
  l/I/| for 1 are read as digits).
- FrontDesk MRNs: "M" and 7 digits anywhere ("M0001234", "M 000 1234", OCR's "MO001234").
- member ids after "Member ID", "Member #", "ID #", "ID No", "Subscriber ID", "Policy #",
  "Policy Number": upper case, no spaces or dashes, at least one digit.
- phones: North American numbers written with separators or after a phone label, except on
  letterhead lines (before the first patient field) and on lines about the sender, a fax number or a
  provider.
- the sender: the "From:" value, else the first letterhead line that names a facility.

Two-digit years: a birth year is in the past century when it would otherwise be in the future;
service years are 20xx.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date

# --- small helpers --------------------------------------------------------------------------------

_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "|": "1"})

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_D = r"[0-9OoQlI|]"
# A three-letter month as OCR may give it: letters, or 0 for O/D ("0EC", "N0V", "0CT").
_OCR_MONTH = r"[A-Za-z0][A-Za-z0][A-Za-z0]"
_DATE = re.compile(
    # 1961-03-04
    rf"(?<![0-9A-Za-z])(?P<iso>(?:19|20)\d\d)\s?-\s?(?P<im>{_D}{{1,2}})\s?-\s?(?P<id>{_D}{{1,2}})(?![0-9])"
    # 03/04/1961, 3-4-61, 03.04.1961
    rf"|(?<![0-9A-Za-z])(?P<m>{_D}{{1,2}})\s?(?P<sep>[/.-])\s?(?P<d>{_D}{{1,2}})\s?(?P=sep)\s?"
    rf"(?P<y>{_D}{{4}}|{_D}{{2}})(?![0-9])"
    # March 4, 1961
    rf"|(?<![A-Za-z]){_MONTH}\s*(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<my>\d{{4}})(?![0-9])"
    # 4 March 1961, 04-Mar-1961, OCR's "13 .JAN-1991", "01-0EC- 2008", "20-FUN-1973"
    rf"|(?<![0-9A-Za-z])(?P<dm>{_D}{{1,2}})\s?[\s.\-]?\s?(?P<mon2>{_OCR_MONTH})[a-z]*\.?\s?[\s.\-]?"
    rf",?\s*(?P<dy>{_D}{{4}})(?![0-9])",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return text.translate(_OCR_DIGITS)


_MONTH_OCR_LETTERS = str.maketrans({"0": "o"})


def _ocr_month(raw: str) -> int | None:
    """The month a three-letter abbreviation stands for, allowing one misread letter when only one
    month is that close ("0EC" and "DEG" are December, "FUN" is June; "MAX" could be March or May
    and is no month)."""
    token = raw.lower().translate(_MONTH_OCR_LETTERS)
    if token in _MONTHS:
        return _MONTHS[token]
    close = [
        month
        for name, month in _MONTHS.items()
        if sum(a != b for a, b in zip(name, token, strict=True)) == 1
    ]
    return close[0] if len(close) == 1 else None


def _year(raw: str, *, birth: bool, today: date) -> int:
    value = int(raw)
    if len(raw) == 2:
        if birth:
            value += 2000 if 2000 + value <= today.year else 1900
        else:
            value += 2000
    return value


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_date(match: re.Match[str], *, birth: bool, today: date) -> date | None:
    try:
        return _parse_date_groups(match, birth=birth, today=today)
    except ValueError:  # a letter the pattern let through (it ignores case) that is no digit
        return None


def _parse_date_groups(match: re.Match[str], *, birth: bool, today: date) -> date | None:
    groups = match.groupdict()
    if groups["iso"]:
        return _make_date(
            int(groups["iso"]), int(_digits(groups["im"])), int(_digits(groups["id"]))
        )
    if groups["m"]:
        raw = match.group(0)
        if sum(ch.isdigit() for ch in raw) < 4:  # "lO/Il/OO" is text, not a date
            return None
        year = _year(_digits(groups["y"]), birth=birth, today=today)
        return _make_date(year, int(_digits(groups["m"])), int(_digits(groups["d"])))
    if groups["mon"]:
        month = _MONTHS[groups["mon"][:3].lower()]
        return _make_date(int(groups["my"]), month, int(groups["md"]))
    if groups["mon2"]:
        month2 = _ocr_month(groups["mon2"])
        if month2 is None:
            return None
        return _make_date(int(_digits(groups["dy"])), month2, int(_digits(groups["dm"])))
    return None


def _first_date(text: str, *, birth: bool, today: date) -> date | None:
    for match in _DATE.finditer(text):
        parsed = _parse_date(match, birth=birth, today=today)
        if parsed is None:
            continue
        if birth and not (parsed.year >= 1900 and parsed <= today):
            continue
        if not birth and not (1990 <= parsed.year <= today.year + 1):
            continue
        return parsed
    return None


def page_dates(text: str, *, today: date | None = None) -> list[date]:
    """Every date on the page that could be a birth date (1900 to today), labelled or not, in the
    order they stand. Matching uses them to rank suggestions (a form whose "Date of birth" label
    OCR garbled still shows the date), never as the confirmed date of birth."""
    today = today or date.today()
    found: list[date] = []
    for match in _DATE.finditer(text or ""):
        parsed = _parse_date(match, birth=True, today=today)
        if parsed is not None and parsed.year >= 1900 and parsed <= today and parsed not in found:
            found.append(parsed)
    return found


def _add(items: list, value: object) -> None:  # type: ignore[type-arg]
    if value is not None and value not in items:
        items.append(value)


# --- lines ----------------------------------------------------------------------------------------

_SEPARATOR = r"\s*[:;]\s*"
_COLON_VARIANTS = str.maketrans({"\uff1a": ":", "\ufe55": ":", "\u2236": ":"})


def _lines(text: str) -> list[str]:
    text = text.translate(_COLON_VARIANTS).replace("\t", "   ").replace("\u00a0", " ")
    return [line.rstrip() for line in text.replace("\r", "\n").split("\n")]


# --- names ----------------------------------------------------------------------------------------

# (label regex, priority, needs a separator). Lower priority numbers are listed first.
_NAME_LABELS: list[tuple[str, int]] = [
    # OCR reads "Patient name" as "Patiant name", "Patlant nama"
    (r"pat[il1][ae]nt'?s?\s*(?:full\s*|legal\s*)?nam[ea]", 0),
    (r"p[ty]\.?\s*name", 0),  # OCR's "Py name"
    (r"patient", 0),
    (r"re", 1),
    (r"(?:full\s*|legal\s*)?name", 2),
    (r"member\s*name", 3),
    (r"member", 3),
    (r"subscriber\s*name", 4),
    (r"subscriber", 4),
    (r"insured'?s?\s*name", 4),
    (r"insured", 4),
]
_NAME_LABEL = re.compile(
    # Not inside a word; OCR often puts a quote or a speck before a label ("‘Name:").
    r"(?<![A-Za-z0-9])(?P<label>"
    + "|".join(f"(?:{label})" for label, _ in _NAME_LABELS)
    + r")(?:\s?\((?:last|first|middle|mi|,|\s)+\)(?:\s?first\))?)?"  # "Patient name (last, first)"
    + r"(?P<sep>\s*[:;]\s*|\s{2,}|\s(?=(?-i:[A-Z][A-Z'\-]+,?\s+[A-Z]))|(?<=\))\s*)",
    re.IGNORECASE | re.MULTILINE,
)
_PRIORITY = [
    (re.compile(label + r"$", re.IGNORECASE), priority) for label, priority in _NAME_LABELS
]
# Labels that stand for a field only at the start of a line or of a column (after 2+ spaces).
_STRICT = re.compile(r"^(?:re|(?:full\s*|legal\s*)?name)$", re.IGNORECASE)
# One-word labels that stand before a card's all-caps name without a colon ("Member  JANE DOE").
_CARD_LABEL = re.compile(r"^(?:member|subscriber|insured)$", re.IGNORECASE)
# Marks OCR leaves at the start of a line: quotes, specks, bars.
_JUNK = re.compile(r"[^A-Za-z0-9]+")
# A value ends at the next field.
_LABEL_WORD = (
    r"date|birth|mrn|sex|gender|age|dos|member|id|acct|account|phone|tel|ssn|chart|insurance|"
    r"policy|group|address|home|cell|mobile|sub(?:scriber)?|ins(?:ured)?|plan|payer|claim|"
    r"provider|physician|ordering|referring|patient|pt|exam|visit|service|collected"
)
_FIELD_WORD = re.compile(rf"\b(?:{_LABEL_WORD})\b", re.IGNORECASE)
_VALUE_END = re.compile(
    # a column gap, a digit or a sign no name holds (a dash between spaces too), a date-of-birth
    # label with or without colon,
    # or a known label word followed by its colon ("Member ID:", "Date of Birth:", "Exam Date:")
    r"\s{2,}|[0-9(#|/@_~=\u2013\u2014]|\s-+\s|\b[do][.,]?\s?[o0][.,]?\s?[b8]\b|\bdate\s+of\s+birth\b|\bbirth\s*date\b"
    rf"|\b(?:{_LABEL_WORD})\b[^:;\n]{{0,20}}[:;#]",
    re.IGNORECASE,
)
_DOCTOR = re.compile(
    r"\b(?:dr|md|m\.d|do|d\.o|np|pa-c|pa|rn|fnp|aprn|dds|dmd|phd|dpm|od|facp|faap|facs)\b\.?",
    re.IGNORECASE,
)
_TITLES = {"mr", "mrs", "ms", "miss", "mx"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_PARTICLES = {"de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "st", "mac"}
_STOP = {
    "for",
    "re",
    "patient",
    "pt",
    "referral",
    "request",
    "requested",
    "records",
    "record",
    "results",
    "result",
    "lab",
    "labs",
    "report",
    "authorization",
    "auth",
    "prior",
    "consult",
    "consultation",
    "letter",
    "of",
    "the",
    "our",
    "mutual",
    "your",
    "medical",
    "name",
    "member",
    "new",
    "established",
    "information",
    "on",
    "about",
    "regarding",
    # a form's column heading read as a value ("Patient: name (last, first)")
    "first",
    "last",
    "middle",
}
_NOT_NAMES = {
    "yes",
    "no",
    "n/a",
    "na",
    "none",
    "unknown",
    "self",
    "same",
    "male",
    "female",
    "signature",
    "date",
    "print",
    "please",
    "sex",
}


@dataclass(frozen=True)
class PersonName:
    first: str
    last: str
    raw: str


def _name_case(token: str) -> str:
    if not (token.isupper() or token.islower()):
        return token
    return "-".join(
        "'".join(piece[:1].upper() + piece[1:].lower() for piece in part.split("'"))
        for part in token.split("-")
    )


_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*\.?")


def _tokens(text: str) -> list[str]:
    found = []
    for token in _TOKEN.findall(text):
        bare = token.rstrip(".").strip("'-")
        if not bare:
            continue
        lower = bare.lower()
        if lower in _TITLES or lower in _SUFFIXES:
            continue
        found.append(bare)
    return found


def parse_name(raw: str) -> PersonName | None:
    """``"DOE, JANE Q"`` / ``"Jane Q. Doe"`` as a name, or None when it does not read as one."""
    value = raw.strip().strip(",;:.-").strip()
    if not value or _DOCTOR.search(value):
        return None
    if "," in value:
        last_part, _, first_part = value.partition(",")
        before = _tokens(last_part)
        if len(before) >= 2 and len(before[-1]) == 1 and len(_tokens(first_part)) == 1:
            # "Elizabeth C, Fictionski": no last name ends in an initial; OCR read a period as
            # a comma. Read as "Elizabeth C. Fictionski".
            return parse_name(f"{last_part} {first_part}".replace(",", " "))
        last_tokens, first_tokens = _tokens(last_part), _tokens(first_part)
        stops = [i for i, token in enumerate(last_tokens) if token.lower() in _STOP]
        if stops:  # "Records request for DOE, JANE"
            last_tokens = last_tokens[stops[-1] + 1 :]
        if len(last_tokens) > 3:
            return None
        if not last_tokens or not first_tokens:
            return None
        last, first = " ".join(last_tokens), first_tokens[0]
    else:
        tokens = _tokens(value)
        stops = [i for i, token in enumerate(tokens) if token.lower() in _STOP]
        if stops:
            tokens = tokens[stops[-1] + 1 :]
        while len(tokens) > 2 and len(tokens[-1]) == 1:
            tokens = tokens[:-1]  # "Jane Doe F": a sex marker or a stray letter, not a surname
        if len(tokens) < 2 or len(tokens) > 5:
            return None
        first = tokens[0]
        start = len(tokens) - 1
        while start > 1 and tokens[start - 1].lower() in _PARTICLES:
            start -= 1
        last = " ".join(tokens[start:])
    if len(last.replace(" ", "")) < 2 or not first:
        return None
    if last.lower() in _NOT_NAMES or first.lower() in _NOT_NAMES:
        return None
    if any(token.lower() in _STOP for token in [first, *last.split()]):
        return None
    first = _name_case(first)
    last = " ".join(_name_case(part) for part in last.split())
    return PersonName(first=first, last=last, raw=value)


_PROSE = {"and", "or", "must", "be", "is", "are", "with", "to", "as", "in", "at", "by", "if", "all"}


def _plain_caps_name(value: str) -> bool:
    """A value after a label without a colon: 2-4 capitalised words that are not prose."""
    words = [word.strip(",.") for word in value.split()]
    return 2 <= len(words) <= 4 and not any(
        word.lower() in _STOP or word.lower() in _PROSE or word.lower() in _NOT_NAMES
        for word in words
    )


def _priority(label: str) -> int:
    for pattern, priority in _PRIORITY:
        if pattern.match(label.strip()):
            return priority
    return 9


def _names(lines: list[str]) -> tuple[list[PersonName], int | None, int | None]:
    """Names by label priority, then position; the first line holding a name field; the line of
    the first name returned."""
    found: list[tuple[int, int, PersonName]] = []
    first_line: int | None = None
    for number, line in enumerate(lines):
        for match in _NAME_LABEL.finditer(line):
            label, sep = match.group("label"), match.group("sep")
            prefix = line[: match.start()]
            line_start = not _JUNK.sub("", prefix)
            if _STRICT.match(label) and not line_start and not prefix.endswith("  "):
                continue
            rest = line[match.end() :]
            end = _VALUE_END.search(rest)
            value = rest[: end.start()] if end else rest
            if ":" not in sep and ";" not in sep and " " not in label.strip():
                # A one-word label needs its colon ("Patient DOE" is prose), except a card's
                # "Member  JANE DOE" at the start of a line.
                card = (
                    line_start
                    and _CARD_LABEL.match(label)
                    and value.strip().isupper()
                    and _plain_caps_name(value)
                    and not _FIELD_WORD.search(value)  # "Member ID XQ123"
                )
                if not card:
                    continue
            # "Patient name (last, first)  Date of birth" / "Patient Name:  DOB:": a form's
            # heading, its values on the next line (not "PATIENT NAME AND DATE ... MUST MATCH")
            header = (
                " " in label.strip()
                and (")" in match.group(0) or ":" in sep)
                and parse_name(value) is None
            )
            if (
                (not value.strip() or header)
                and number + 1 < len(lines)
                and not re.search(r"[0-9]", rest)
            ):
                # A form: the value under its label (the label's line names other fields only,
                # "Patient name (last, first)   Date of birth   Phone"); its first column.
                following = re.split(r"\s{2,}|\s*[|\[\]{}]\s*", lines[number + 1].strip())
                first_column = next((part for part in following if part.strip()), "")
                end = _VALUE_END.search(first_column)
                value = first_column[: end.start()] if end else first_column
            if sep == " " and not _plain_caps_name(value):
                continue  # "PATIENT NAME AND DATE OF BIRTH MUST MATCH" is a sentence
            name = parse_name(value)
            if name is None:
                continue
            found.append((_priority(label), number * 1000 + match.start(), name))
            if first_line is None or number < first_line:
                first_line = number
    found.extend(_split_names(lines))
    if not found:
        found.extend(_id_card_names(lines))
    found.sort(key=lambda item: (item[0], item[1]))
    names: list[PersonName] = []
    keys: set[tuple[str, str]] = set()
    for _, _, name in found:
        key = (name.last.lower(), name.first.lower())
        if key not in keys:
            keys.add(key)
            names.append(name)
    top_line = found[0][1] // 1000 if found else None
    return names, first_line, top_line


_LAST_NAME = re.compile(r"\blast\s*name" + _SEPARATOR + r"([A-Za-z][A-Za-z'\-]+)", re.IGNORECASE)
_FIRST_NAME = re.compile(r"\bfirst\s*name" + _SEPARATOR + r"([A-Za-z][A-Za-z'\-]+)", re.IGNORECASE)


def _split_names(lines: list[str]) -> list[tuple[int, int, PersonName]]:
    """ "Last Name: DOE   First Name: JANE" (same line or within two lines)."""
    found = []
    for number, line in enumerate(lines):
        last = _LAST_NAME.search(line)
        if not last:
            continue
        for near in lines[max(0, number - 2) : number + 3]:
            first = _FIRST_NAME.search(near)
            if first:
                name = parse_name(f"{last.group(1)}, {first.group(1)}")
                if name is not None:
                    found.append((0, number * 1000 + last.start(), name))
                break
    return found


_ID_CARD = re.compile(
    r"\b(?:driver'?s?\s*licen[cs]e|licen[cs]e|identification\s*card|state\s*id|id\s*card)\b",
    re.IGNORECASE,
)
_CAPS_WORD = re.compile(r"[A-Z][A-Z'\-]+")
_ID_CARD_NOT_NAMES = {"dob", "sex", "exp", "iss", "class", "dl", "id", "hgt", "eyes", "end", "rstr"}


def _caps_line(line: str) -> list[str] | None:
    """The words of a line that is only all-caps words (a card's name line), else None."""
    words = _JUNK.sub(" ", line).split()
    if not 1 <= len(words) <= 3 or not all(_CAPS_WORD.fullmatch(w) or len(w) == 1 for w in words):
        return None
    if not _CAPS_WORD.fullmatch(words[0]) or words[0].lower() in _ID_CARD_NOT_NAMES:
        return None
    return words


def _id_card_names(lines: list[str]) -> list[tuple[int, int, PersonName]]:
    """A driver's licence or ID card's unlabelled name: the last name alone on a line in capitals,
    the first name (and initials) on the next, within three lines of the date of birth."""
    if not any(_ID_CARD.search(line) for line in lines):
        return []
    dob_lines = [n for n, line in enumerate(lines) if _DOB_LABEL.search(line)]
    texts = [(n, line) for n, line in enumerate(lines) if line.strip()]
    found = []
    for (number, line), (_, below) in itertools.pairwise(texts):
        last, first = _caps_line(line), _caps_line(below)
        if not last or not first or len(last) != 1 or len(first[0]) < 2:
            continue
        if not any(abs(number - dob) <= 3 for dob in dob_lines):
            continue
        name = parse_name(f"{last[0]}, {' '.join(first)}")
        if name is not None:
            found.append((5, number * 1000, name))
    return found


# --- dates ----------------------------------------------------------------------------------------

_DOB_LABEL = re.compile(
    r"(?<![A-Za-z0-9])(?:[do]\s?[.,]?\s?[o0q]\s?[.,]?\s?[b8](?:[rt!](?![a-z0-9]))?(?![a-z0-9])\.?|"
    r"date\s*of\s*birth|birth\s*date|birthdate|born)\s*[:;#.!\-]?"
    # "(DOB 1961-02-09)" with the D read as a zero: only at the start of a line or in brackets,
    # before a date
    r"|(?:(?<=[({\[])|^)0[o0][b8](?=\s?[:;]?\s?[0-9])"
    # "0.0.8. 11/04/2025": the dotted form, before a date
    r"|(?<![A-Za-z0-9.])0\.[o0]\.[b8]\.?(?=\s?[0-9])",
    re.IGNORECASE,
)
_SERVICE_LABEL = re.compile(
    r"(?<![A-Za-z0-9])(?:date\s*of\s*service|dates?\s*of\s*services?|d\.?o\.?s(?![a-z])\.?|"
    r"service\s*date|collected(?:\s*(?:date|on))?|collection\s*date|date\s*collected|"
    r"exam\s*date|date\s*of\s*exam|visit\s*date|date\s*of\s*visit|encounter\s*date|"
    r"procedure\s*date|date\s*of\s*procedure|study\s*date)\s*[:;#.\-]?",
    re.IGNORECASE,
)


def _labelled_dates(
    lines: list[str], label: re.Pattern[str], *, birth: bool, today: date
) -> list[tuple[int, date]]:
    """(line number, date) of each distinct labelled date, in page order."""
    dates: list[tuple[int, date]] = []
    for number, line in enumerate(lines):
        for match in label.finditer(line):
            window = line[match.end() : match.end() + 32]
            found = _first_date(window, birth=birth, today=today)
            if found is None and not re.search(r"[0-9]", window) and number + 1 < len(lines):
                # A form: the value under its label (the label's line names other fields only).
                found = _first_date(lines[number + 1][:48], birth=birth, today=today)
            if found is not None and all(found != seen for _, seen in dates):
                dates.append((number, found))
    return dates


def _closeness(dob_line: int, name_line: int) -> int:
    """How well a DOB belongs to a name: same line, the two lines below, the two above, further."""
    distance = dob_line - name_line
    if distance == 0:
        return 0
    if 0 < distance <= 2:
        return 1
    if -2 <= distance < 0:
        return 2
    return 3


# --- MRN, member ids, phones ----------------------------------------------------------------------

_MRN = re.compile(r"(?<![A-Za-z0-9])[Mm][\s\-]?((?:[0-9OQoDIl|]\s?){6}[0-9OQoDIl|])(?![A-Za-z0-9])")


def _mrns(text: str) -> list[str]:
    found: list[str] = []
    for match in _MRN.finditer(text):
        raw = match.group(1).replace(" ", "")
        if sum(ch.isdigit() for ch in raw) < 4:
            continue
        _add(found, "M" + _digits(raw))
    return found


_MEMBER_LABEL = re.compile(
    r"(?<![A-Za-z])(?P<before>[A-Za-z]+\s+)?(?:member\s*(?:[il1!|]d|#|no\.?|number)|"
    r"subscriber\s*(?:[il1!|]d|#|no\.?|number)|policy\s*(?:#|no\.?|number|[il1!|]d)|"
    r"[il1!|]d\s*(?:#|no\.?|number)|"
    r"identification\s*(?:#|no\.?|number))\s*[:;#.]?\s*(?:#\s*)?",
    re.IGNORECASE,
)
_NOT_MEMBER_BEFORE = {
    "tax",
    "provider",
    "npi",
    "employer",
    "federal",
    "payer",
    "payor",
    "group",
    "claim",
    "patient",
    "facility",
    "clinic",
    "account",
    "license",
    "state",
    "fax",
}
# Signs OCR reads instead of the letters of an id ("X¥Z123", "§AB123").
_ID_LOOKALIKES = str.maketrans({"\u00a5": "Y", "\u00a7": "S", "$": "S", "\u20ac": "E"})
_ID_CHUNK = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")


def _member_ids(lines: list[str]) -> list[str]:
    found: list[str] = []
    for line in lines:
        for match in _MEMBER_LABEL.finditer(line):
            before = (match.group("before") or "").strip().lower()
            if before in _NOT_MEMBER_BEFORE:
                continue
            rest = re.split(r"\s{2,}", line[match.end() :].strip(), maxsplit=1)[0]
            rest = rest.translate(_ID_LOOKALIKES)
            chunks: list[str] = []
            for chunk in rest.split(" "):
                if not _ID_CHUNK.fullmatch(chunk):
                    break
                if chunks and not any(ch.isdigit() for ch in chunk):
                    break  # "XYZ123456 Group" stops before the next word
                chunks.append(chunk)
            value = "".join(chunks).replace("-", "").upper()
            if not 5 <= len(value) <= 20 or not any(ch.isdigit() for ch in value):
                continue
            if _MRN.fullmatch(value):
                continue  # our own MRN, reported as one
            _add(found, value)
    return found


_PHONE = re.compile(
    r"(?<![0-9])(?:\+?1[\s.\-]?)?(?:\((?P<a1>[2-9]\d\d)\)\s?|(?P<a2>[2-9]\d\d)[\s.\-])"
    r"(?P<exchange>[2-9]\d\d)[\s.\-](?P<line>\d{4})(?![0-9])"
)
_PHONE_LABEL = re.compile(
    r"\b(?:phone|ph|tel|telephone|cell|mobile|home|work|contact)\s*(?:#|no\.?|number)?\s*[:;#.]?\s*"
    r"(?:\+?1)?(?P<digits>[2-9]\d\d[2-9]\d{6})(?![0-9])",
    re.IGNORECASE,
)
_SENDER_LINE = re.compile(
    r"\b(?:fax|from|to|attn|dr|md|physician|provider|office|clinic|laborator(?:y|ies)|lab|"
    r"hospital|ordering|referring|facility|center|centre|radiology|imaging|pharmacy|plan|"
    r"customer\s*service|member\s*services|provider\s*services)\b",
    re.IGNORECASE,
)


def _phones(lines: list[str], first_patient_line: int | None) -> list[str]:
    found: list[str] = []
    if first_patient_line is None:
        return found  # a page naming no patient: its numbers are the sender's ("Fux (518) ...")
    for number, line in enumerate(lines):
        if first_patient_line is not None and number < first_patient_line:
            continue  # the letterhead
        if _SENDER_LINE.search(line):
            continue
        for match in _PHONE.finditer(line):
            area = match.group("a1") or match.group("a2")
            _add(found, f"{area}{match.group('exchange')}{match.group('line')}")
        for match in _PHONE_LABEL.finditer(line):
            _add(found, match.group("digits"))
    return found


# --- sender ---------------------------------------------------------------------------------------

_FROM = re.compile(r"^\s*from" + _SEPARATOR + r"(?P<value>.+)$", re.IGNORECASE)
_FACILITY = re.compile(
    r"\b(?:clinic|laborator(?:y|ies)|lab|hospital|medical|health|healthcare|imaging|radiology|"
    r"center|centre|associates|practice|group|insurance|plan|pharmacy|physicians|partners|"
    r"services|diagnostics|pathology|orthopedics|cardiology|pediatrics|family medicine|"
    r"institute|university|department|dept)\b",
    re.IGNORECASE,
)
_NOT_SENDER = re.compile(
    r"\b(?:fax|cover\s*sheet|confidential|page\s*\d|urgent|transmission)\b", re.IGNORECASE
)


def _sender(lines: list[str], first_patient_line: int | None) -> str | None:
    for line in lines:
        match = _FROM.match(line)
        if match:
            value = re.split(r"\s{2,}", match.group("value").strip())[0].strip(" ,;")
            if value:
                return value
    limit = first_patient_line if first_patient_line is not None else 6
    head = [line.strip() for line in lines[: min(limit, 6)] if line.strip()]
    for line in head:
        if ":" in line or _NOT_SENDER.search(line):
            continue
        if _FACILITY.search(line) and sum(ch.isalpha() for ch in line) >= 4:
            return re.split(r"\s{2,}", line)[0]
    return None


# --- the result -----------------------------------------------------------------------------------


@dataclass
class Identifiers:
    names: list[PersonName] = field(default_factory=list)
    dobs: list[date] = field(default_factory=list)
    mrns: list[str] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    service_dates: list[date] = field(default_factory=list)
    sender: str | None = None

    def is_empty(self) -> bool:
        """No patient identifier at all (the sender and service dates do not identify a patient)."""
        return not (self.names or self.dobs or self.mrns or self.member_ids or self.phones)

    def key(self) -> tuple[str | None, str | None, date | None] | None:
        """(last name lower-cased, first initial lower-cased, date of birth) of the first patient
        named; parts not on the page are None; None when the page names neither a name nor a DOB."""
        name = self.names[0] if self.names else None
        dob = self.dobs[0] if self.dobs else None
        if name is None and dob is None:
            return None
        if name is None:
            return (None, None, dob)
        return (name.last.lower(), name.first[:1].lower(), dob)


def extract(text: str, *, today: date | None = None) -> Identifiers:
    """The identifiers in one page's text. ``today`` bounds birth dates (default: the real date)."""
    today = today or date.today()
    lines = _lines(text)
    names, first_name_line, top_name_line = _names(lines)
    dob_hits = _labelled_dates(lines, _DOB_LABEL, birth=True, today=today)
    if top_name_line is not None:  # the first patient's DOB first (not the subscriber's above it)
        dob_hits.sort(key=lambda hit: _closeness(hit[0], top_name_line))
    dob_lines = [n for n, line in enumerate(lines) if _DOB_LABEL.search(line)]
    candidates = [
        n for n in (first_name_line, dob_lines[0] if dob_lines else None) if n is not None
    ]
    first_patient_line = min(candidates) if candidates else None
    joined = "\n".join(lines)
    return Identifiers(
        names=names,
        dobs=[found for _, found in dob_hits],
        mrns=_mrns(joined),
        member_ids=_member_ids(lines),
        phones=_phones(lines, first_patient_line),
        service_dates=[
            found for _, found in _labelled_dates(lines, _SERVICE_LABEL, birth=False, today=today)
        ],
        sender=_sender(lines, first_patient_line),
    )
