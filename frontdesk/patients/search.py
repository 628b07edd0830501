"""The one search box: parse what staff type, then find patients with indexed queries only.

What the box understands (in this order):

* a date of birth: ``1960-01-02``, ``01/02/1960``, ``1/2/60``, ``01021960`` (two-digit years that would
  lie in the future mean 19xx), optionally next to name fragments (``smith 1/2/60``);
* a phone number in any format with at least 7 digits (matched on the indexed national digits, or on
  the reversed digits for "the last 7");
* an MRN or an insurance member ID (exact, ignoring case, spaces and dashes);
* name fragments: ``smi jo``, ``jo smith``, ``Smith, John`` -- prefix range queries on the indexed
  name keys in both orders, nickname variants of the first name, then typo tolerance from the
  phonetic key and rapidfuzz over a bounded vocabulary of stored names.

Every database lookup is a B-tree range or equality on an indexed column (``key >= 'smi' AND
key < 'smj'`` works the same on SQLite and PostgreSQL, whatever the collation), bounded by LIMIT.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from rapidfuzz import fuzz, process

from frontdesk.patients import nicknames
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.patients.normalize import member_id_key, name_key, phonetic_key

# Ranks: lower is better. Exact identifiers first, then exact names, prefixes, nicknames, typos.
RANK_IDENTIFIER = 0
RANK_EXACT = 1
RANK_PREFIX = 2
RANK_NICKNAME = 3
RANK_FUZZY = 4

FUZZY_CUTOFF = 75  # rapidfuzz ratio (0..100) a stored name needs to count as a typo of the query
_VOCABULARY_LIMIT = 3000  # distinct stored names examined per fuzzy lookup
_CANDIDATE_LIMIT = 400  # patient rows examined per fuzzy lookup
_MAX_QUERY_LENGTH = 200
FUZZY_WHEN_FEWER_THAN = 3  # look for typos only when the exact/prefix/nickname lookups found less

_DATE_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DATE_MDY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_DATE_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_PHONE_CHARS = re.compile(r"^[\d\s().+\-]+$")
_NON_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class PatientHit:
    """One search result: the patient (phones prefetched, ``primary_coverage`` set) and why it matched."""

    patient: Patient
    rank: int
    matched_on: str  # "mrn" | "member_id" | "phone" | "dob" | "name" | "name_fuzzy"


@dataclass(frozen=True)
class ParsedQuery:
    """What the search box text means. ``kind`` is safe to audit (it holds no query text)."""

    kind: str  # "empty" | "identifier" | "phone" | "dob" | "name" | "name_dob"
    dob: dt.date | None = None
    phone_digits: str = ""
    identifier: str = ""
    tokens: tuple[str, ...] = ()
    comma_split: tuple[tuple[str, ...], tuple[str, ...]] | None = None


def parse_dob(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """Read a date of birth typed in a common US or ISO format; None when it is not one.

    Two-digit years are read as 20xx unless that date would be in the future, then 19xx.
    """
    today = today or dt.date.today()
    text = text.strip()
    year: int
    match = _DATE_YMD.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DATE_MDY.match(text) or _DATE_COMPACT.match(text)
        if not match:
            return None
        month, day, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000
            try:
                if dt.date(year, month, day) > today:
                    year -= 100
            except ValueError:
                return None
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    if value > today or value.year < 1850:
        return None
    return value


def parse_query(query: str, *, today: dt.date | None = None) -> ParsedQuery:
    """Split the search box text into a DOB, a phone, an identifier and name tokens."""
    text = (query or "")[:_MAX_QUERY_LENGTH].strip()
    if not text:
        return ParsedQuery(kind="empty")
    whole_dob = parse_dob(text, today=today)
    if whole_dob is not None:
        return ParsedQuery(kind="dob", dob=whole_dob)
    digits = _NON_DIGITS.sub("", text)
    if _PHONE_CHARS.match(text) and 7 <= len(digits) <= 15:
        # Bare digits may also be an all-digit member ID; "(202) 555-0123" is only a phone.
        identifier = text if text.isdigit() else ""
        return ParsedQuery(kind="phone", phone_digits=digits, identifier=identifier)
    dob: dt.date | None = None
    words: list[str] = []
    for raw in text.split():
        maybe_dob = parse_dob(raw.strip(","), today=today) if dob is None else None
        if maybe_dob is not None:
            dob = maybe_dob
        else:
            words.append(raw)
    remaining = " ".join(words)
    if "," in remaining:
        last_part, first_part = remaining.split(",", 1)
        last_tokens = tuple(t for t in (name_key(p) for p in last_part.split()) if t)
        first_tokens = tuple(t for t in (name_key(p) for p in first_part.split()) if t)
        if last_tokens:
            return ParsedQuery(
                kind="name_dob" if dob else "name",
                dob=dob,
                tokens=last_tokens + first_tokens,
                comma_split=(last_tokens, first_tokens),
            )
    tokens = tuple(t for t in (name_key(w) for w in words) if t)
    has_digit = any(ch.isdigit() for ch in text)
    if has_digit and len(words) == 1 and dob is None:
        # One word with digits: an MRN or member ID (letters-only IDs are not worth the ambiguity).
        return ParsedQuery(kind="identifier", identifier=member_id_key(words[0]), tokens=())
    if has_digit and dob is None and all(any(ch.isdigit() for ch in w) for w in words):
        # "XM-123 45": every word has digits, so it is an ID typed with spaces, not a name.
        return ParsedQuery(kind="identifier", identifier=member_id_key(text))
    if dob is not None:
        return ParsedQuery(kind="name_dob" if tokens else "dob", dob=dob, tokens=tokens)
    if not tokens:
        return ParsedQuery(kind="empty")
    return ParsedQuery(kind="name", tokens=tokens)


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (ASCII keys)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _prefix(column: str, prefix: str) -> dict[str, str]:
    """Range bounds that a B-tree index answers on both databases: col >= 'smi' AND col < 'smj'."""
    return {f"{column}__gte": prefix, f"{column}__lt": _successor(prefix)}


class _Collector:
    """Keeps the best rank per patient id, in first-seen order within a rank."""

    def __init__(self) -> None:
        self.best: dict[int, tuple[int, int, str]] = {}
        self._order = 0

    def add(self, patient_id: int, rank: int, matched_on: str) -> None:
        self._order += 1
        current = self.best.get(patient_id)
        if current is None or rank < current[0]:
            self.best[patient_id] = (rank, self._order, matched_on)

    def __len__(self) -> int:
        return len(self.best)

    def ranked(self, limit: int) -> list[tuple[int, int, str]]:
        items = sorted(self.best.items(), key=lambda item: (item[1][0], item[1][1]))
        return [(pk, rank, matched_on) for pk, (rank, _order, matched_on) in items[:limit]]


def _interpretations(parsed: ParsedQuery) -> list[tuple[str, str]]:
    """(last-name prefix, first-name prefix) readings of the name tokens, most likely first."""
    if parsed.comma_split is not None:
        last_tokens, first_tokens = parsed.comma_split
        return [("".join(last_tokens), first_tokens[0] if first_tokens else "")]
    tokens = parsed.tokens
    if len(tokens) == 1:
        return [(tokens[0], ""), ("", tokens[0])]
    if len(tokens) == 2:
        first, second = tokens
        return [(first, second), (second, first)]
    readings = [
        (tokens[-1], tokens[0]),
        ("".join(tokens[1:]), tokens[0]),
        (tokens[0], tokens[1]),
        ("".join(tokens[:-1]), tokens[-1]),
    ]
    return list(dict.fromkeys(readings))


def _name_rows(
    base: QuerySet[Patient], last: str, first: str, limit: int, *, first_in: Iterable[str] = ()
) -> list[tuple[int, str, str]]:
    lookup: dict[str, object] = {}
    if last:
        lookup.update(_prefix("last_name_key", last))
    first_names = sorted(first_in)
    if first_names:
        lookup["first_name_key__in"] = first_names
    elif first:
        lookup.update(_prefix("first_name_key", first))
    order = (
        ("last_name_key", "first_name_key", "id")
        if last
        else ("first_name_key", "last_name_key", "id")
    )
    return list(
        base.filter(**lookup)
        .order_by(*order)
        .values_list("id", "last_name_key", "first_name_key")[:limit]
    )


def _vocabulary_matches(column: str, token: str) -> list[str]:
    """Stored names (distinct keys) that look like a typo of ``token``, best first.

    The vocabulary is bounded: names sharing the token's first two letters plus names that sound
    the same (phonetic key), so the cost does not grow with the number of patients.
    """
    if len(token) < 3:
        return []
    phonetic_column = column.replace("_key", "_phonetic")
    everyone = Patient.objects.all()  # only chooses keys; the scoped query fetches the rows
    by_prefix = (
        everyone.filter(**_prefix(column, token[:2]))
        .order_by(column)
        .values_list(column, flat=True)
        .distinct()[:_VOCABULARY_LIMIT]
    )
    vocabulary = set(by_prefix)
    sound = phonetic_key(token)
    if sound and phonetic_column == "last_name_phonetic":
        vocabulary.update(
            everyone.filter(last_name_phonetic=sound)
            .order_by(column)
            .values_list(column, flat=True)
            .distinct()[:_VOCABULARY_LIMIT]
        )
    matches = process.extract(
        token, list(vocabulary), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=20
    )
    return [match[0] for match in matches]


def _search_names(base: QuerySet[Patient], parsed: ParsedQuery, limit: int) -> _Collector:
    found = _Collector()
    readings = _interpretations(parsed)
    for last, first in readings:
        for pk, last_key, first_key in _name_rows(base, last, first, limit):
            exact = (not last or last_key == last) and (not first or first_key == first)
            found.add(pk, RANK_EXACT if exact else RANK_PREFIX, "name")
    # Nicknames: "bob smith" finds Robert Smith (exact variants of the first name, last prefix).
    for last, first in readings:
        if last and first and len(first) >= 2:
            names = nicknames.variants(first) - {first}
            if names:
                for pk, _last, _first in _name_rows(base, last, "", limit, first_in=names):
                    found.add(pk, RANK_NICKNAME, "name")
    if len(found) >= min(limit, FUZZY_WHEN_FEWER_THAN):
        return found  # what was typed matches real names: typo guesses would only add noise
    # Typos: candidates from a bounded vocabulary, re-ranked with rapidfuzz.
    for last, first in readings:
        if not last:
            continue
        last_keys = _vocabulary_matches("last_name_key", last)
        if not last_keys:
            continue
        lookup: dict[str, object] = {"last_name_key__in": last_keys}
        rows = list(
            base.filter(**lookup).values_list("id", "last_name_key", "first_name_key")[
                :_CANDIDATE_LIMIT
            ]
        )
        scored: list[tuple[float, int]] = []
        for pk, last_key, first_key in rows:
            score = fuzz.ratio(last, last_key)
            if first:
                first_score = 100.0 if first_key.startswith(first) else fuzz.ratio(first, first_key)
                if nicknames.nickname_link(first, first_key):
                    first_score = 90.0
                if first_score < FUZZY_CUTOFF:
                    continue
                score = (score + first_score) / 2
            scored.append((score, pk))
        for score, pk in sorted(scored, key=lambda item: (-item[0], item[1])):
            found.add(pk, RANK_FUZZY + int((100 - score) // 10), "name_fuzzy")
    if len(parsed.tokens) == 1 and len(found) < min(limit, FUZZY_WHEN_FEWER_THAN):
        token = parsed.tokens[0]
        first_keys = _vocabulary_matches("first_name_key", token)
        if first_keys:
            rows = list(
                base.filter(first_name_key__in=first_keys).values_list(
                    "id", "last_name_key", "first_name_key"
                )[:_CANDIDATE_LIMIT]
            )
            for pk, _last, first_key in sorted(
                rows, key=lambda row: (-fuzz.ratio(token, row[2]), row[0])
            ):
                found.add(
                    pk, RANK_FUZZY + int((100 - fuzz.ratio(token, first_key)) // 10), "name_fuzzy"
                )
    return found


def run_search(
    scoped: QuerySet[Patient], parsed: ParsedQuery, *, limit: int
) -> list[tuple[int, int, str]]:
    """Find patient ids for a parsed query in ``scoped`` (already restricted to the user).

    Returns (patient id, rank, matched_on), best first. Merged records resolve to their survivors;
    inactive records are left out.
    """
    found = _Collector()
    visible = scoped.filter(merged_into__isnull=True, is_active=True)
    if parsed.kind == "empty":
        return []
    if parsed.identifier:
        _search_identifier(scoped, visible, parsed.identifier, found)
    if parsed.kind == "phone":
        _search_phone(visible, parsed.phone_digits, found, limit)
    if parsed.dob is not None:
        by_dob = visible.filter(date_of_birth=parsed.dob)
        if parsed.tokens:
            # Name fragments beside a DOB narrow it: any token a prefix of the last or first name.
            rows = list(by_dob.values_list("id", "last_name_key", "first_name_key")[:500])
            for pk, last_key, first_key in rows:
                if all(last_key.startswith(t) or first_key.startswith(t) for t in parsed.tokens):
                    found.add(pk, RANK_EXACT, "dob")
            if len(found) < limit:
                for pk, last_key, first_key in rows:
                    full_name = f"{first_key} {last_key}"
                    if fuzz.token_set_ratio(" ".join(parsed.tokens), full_name) >= FUZZY_CUTOFF:
                        found.add(pk, RANK_FUZZY, "dob")
        else:
            for pk in by_dob.order_by("last_name_key", "first_name_key", "id").values_list(
                "id", flat=True
            )[:limit]:
                found.add(pk, RANK_EXACT, "dob")
    elif parsed.tokens:
        by_name = _search_names(visible, parsed, limit)
        for pk, rank, matched_on in by_name.ranked(limit * 2):
            found.add(pk, rank, matched_on)
    return found.ranked(limit)


def _search_identifier(
    scoped: QuerySet[Patient], visible: QuerySet[Patient], identifier: str, found: _Collector
) -> None:
    if not identifier:
        return
    # MRNs are stored upper-case; a merged record's MRN leads to its survivor.
    for pk, merged_into_id in scoped.filter(mrn=identifier.upper()).values_list(
        "id", "merged_into_id"
    )[:5]:
        target = merged_into_id or pk
        if visible.filter(pk=target).exists():
            found.add(target, RANK_IDENTIFIER, "mrn")
    member_patients = (
        Coverage.objects.filter(member_id_key=identifier)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)[:25]
    )
    for pk in visible.filter(pk__in=list(member_patients)).values_list("id", flat=True):
        found.add(pk, RANK_IDENTIFIER, "member_id")


def _search_phone(visible: QuerySet[Patient], digits: str, found: _Collector, limit: int) -> None:
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    phones = PatientPhone.objects.all()
    wanted = limit * 4  # room for numbers shared by hidden (merged, inactive, restricted) records
    if len(national) >= 10:
        exact = phones.filter(digits=national)
        matches = list(exact.order_by("patient_id").values_list("patient_id", flat=True)[:wanted])
        rank = RANK_EXACT
    else:
        # "the last 7": a prefix range on the reversed digits, which an ordinary index answers.
        reversed_digits = national[::-1]
        suffix = phones.filter(**_prefix("digits_reversed", reversed_digits))
        # Index order (no sort step): a common last-7 cannot make the lookup read every match.
        matches = list(
            suffix.order_by("digits_reversed", "patient_id").values_list("patient_id", flat=True)[
                :wanted
            ]
        )
        rank = RANK_PREFIX
    if not matches:
        return
    ids = list(
        visible.filter(pk__in=set(matches))
        .order_by("last_name_key", "id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        found.add(pk, rank, "phone")


def load_hits(scoped: QuerySet[Patient], ranked: list[tuple[int, int, str]]) -> list[PatientHit]:
    """Fetch the patients behind ranked ids with phones and the primary coverage (3 queries)."""
    if not ranked:
        return []
    primary = Coverage.objects.filter(status="active", priority=1).select_related("payer", "plan")
    patients = {
        patient.pk: patient
        for patient in scoped.filter(pk__in=[pk for pk, _rank, _on in ranked]).prefetch_related(
            Prefetch("phones", queryset=PatientPhone.objects.order_by("rank", "id")),
            Prefetch("coverages", queryset=primary, to_attr="active_primary_coverages"),
        )
    }
    hits: list[PatientHit] = []
    for pk, rank, matched_on in ranked:
        patient = patients.get(pk)
        if patient is None:
            continue
        coverages = getattr(patient, "active_primary_coverages", [])
        patient.primary_coverage = coverages[0] if coverages else None
        hits.append(PatientHit(patient=patient, rank=rank, matched_on=matched_on))
    return hits
