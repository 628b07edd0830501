"""Which patient a document is about: candidates with a score and the reasons, and when it is certain.

The evidence is what the pages say (names, dates of birth, MRNs, member IDs, phone numbers; see
``analysis/extract.py``). Candidates are found through the indexed keys the patients app keeps (name
keys and sound-alike keys, MRN, member-ID keys, phone digits, date of birth), scored, and ranked.

Filing to the wrong chart is a privacy breach, so ``certain`` is deliberately strict: the document
names exactly one person; that person's last name and first name (or a known nickname) agree with
one patient, together with a second identifier (date of birth, MRN or member ID); nothing on the
document contradicts that patient (another date of birth, another patient's MRN); and no other
patient fits nearly as well. Everything else goes to review with the ranked suggestions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from frontdesk.documents.analysis.extract import page_dates
from frontdesk.documents.models import InboxPage
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.patients.nicknames import nickname_link, variants
from frontdesk.patients.normalize import member_id_key, name_key, phonetic_key

CANDIDATE_LIMIT = 200
SUGGESTIONS = 5
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
# A last name this long may be found on the page with one letter misread by OCR ("Fakelyorth").
OCR_TOLERANT_LENGTH = 6


def page_tokens(text: str) -> tuple[str, ...]:
    """Name keys of the words on the pages, in reading order (words of one letter left out)."""
    keys = [name_key(word) for word in _WORD.findall(text or "")]
    return tuple(key for key in keys if len(key) >= 2)


def page_words(text: str) -> frozenset[str]:
    """Name keys of the words on the pages, and of each two and three adjacent words (so that
    "Van Der Berg" is found as "vanderberg")."""
    keys = list(page_tokens(text))
    found = set(keys)
    for size in (2, 3):
        found.update("".join(keys[i : i + size]) for i in range(len(keys) - size + 1))
    return frozenset(found)


@dataclass(frozen=True)
class Evidence:
    """What a document says about whom it is about (from its pages' identifiers)."""

    names: tuple[tuple[str, str], ...] = ()  # (first, last)
    dobs: frozenset[dt.date] = frozenset()
    mrns: frozenset[str] = frozenset()
    member_ids: frozenset[str] = frozenset()  # member_id_key()s
    phones: frozenset[str] = frozenset()  # 10 digits
    words: frozenset[str] = frozenset()  # page_words() of the text, to find a candidate's name
    tokens: tuple[str, ...] = ()  # page_tokens() of the text, to find names read imperfectly
    page_dates: frozenset[dt.date] = frozenset()  # every possible birth date on the pages

    @classmethod
    def from_json(cls, identifiers: list[dict[str, Any]], text: str = "") -> Evidence:
        """Merge the identifiers JSON of several pages (as the pipeline stores them)."""
        names: list[tuple[str, str]] = []
        dobs: set[dt.date] = set()
        mrns: set[str] = set()
        members: set[str] = set()
        phones: set[str] = set()
        for ids in identifiers:
            for name in ids.get("names", []):
                pair = (str(name.get("first", "")), str(name.get("last", "")))
                if pair[1] and pair not in names:
                    names.append(pair)
            for value in ids.get("dobs", []):
                try:
                    dobs.add(dt.date.fromisoformat(value))
                except (TypeError, ValueError):
                    continue
            mrns.update(str(v).upper() for v in ids.get("mrns", []) if v)
            members.update(member_id_key(str(v)) for v in ids.get("member_ids", []) if v)
            phones.update(str(v)[-10:] for v in ids.get("phones", []) if v)
        return cls(
            names=tuple(names),
            dobs=frozenset(dobs),
            mrns=frozenset(mrns),
            member_ids=frozenset(m for m in members if m),
            phones=frozenset(phones),
            words=page_words(text),
            tokens=page_tokens(text),
            page_dates=frozenset(page_dates(text)),
        )

    def is_empty(self) -> bool:
        return not (self.names or self.dobs or self.mrns or self.member_ids or self.phones)

    def identities(self) -> int:
        """How many different people the names and birth dates point at (at least the larger).
        Names that differ by an OCR slip ("Imaginham" / "Tmaginham") count as one person."""
        people: list[tuple[str, str]] = []
        for first, last in self.names:
            person = (name_key(first)[:1], name_key(last))
            if not person[1]:
                continue
            if not any(
                known[0] == person[0] and JaroWinkler.similarity(known[1], person[1]) >= 0.85
                for known in people
            ):
                people.append(person)
        return max(len(people), len(self.dobs))


@dataclass
class Candidate:
    patient_id: int
    score: float
    reasons: list[str]
    name: str = (
        "none"  # exact | nickname | ocr | ocr_first | close | initial | last_only | near | none
    )
    dob: bool | None = None  # None: the document gives no date of birth
    mrn: bool = False
    member_id: bool = False
    phone: bool = False
    conflicts: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "score": round(self.score, 3),
            "reasons": self.reasons,
        }

    @property
    def strong_name(self) -> bool:
        # A last name with one letter misread counts only with an exact date of birth or MRN.
        # So does a first name with one letter misread ("Liatn"), with the exact last name.
        return self.name in ("exact", "nickname") or (
            self.name in ("ocr", "ocr_first") and bool(self.dob or self.mrn)
        )

    @property
    def second_identifier(self) -> bool:
        return bool(self.dob or self.mrn or self.member_id)


@dataclass
class MatchResult:
    candidates: list[Candidate]
    certain: Candidate | None
    reasons: list[str]  # why it was (or was not) certain

    def suggestions(self) -> list[dict[str, Any]]:
        return [c.as_json() for c in self.candidates[:SUGGESTIONS]]


def _threshold() -> float:
    return float(getattr(settings, "FRONTDESK_DOCUMENT_AUTOFILE_THRESHOLD", 0.7))


# A member ID read from a card or payer letter with up to this many characters misread (OCR) still
# suggests its patient; it never counts as the second identifier that lets a document file itself.
NEAR_MEMBER_EDITS = 2
NEAR_MEMBER_MIN_LENGTH = 8


def _near_member_ids(evidence: Evidence) -> dict[int, str]:
    """Patients whose member ID is within NEAR_MEMBER_EDITS of one on the document (same first
    three characters; an indexed prefix), by patient id."""
    found: dict[int, str] = {}
    for key in evidence.member_ids:
        if len(key) < NEAR_MEMBER_MIN_LENGTH:
            continue
        rows = Coverage.objects.filter(
            member_id_key__startswith=key[:3], patient__merged_into__isnull=True
        ).values_list("patient_id", "member_id_key")[:CANDIDATE_LIMIT]
        for patient_id, stored in rows:
            if (
                stored != key
                and Levenshtein.distance(stored, key, score_cutoff=NEAR_MEMBER_EDITS)
                <= NEAR_MEMBER_EDITS
            ):
                found[patient_id] = stored
    return found


def _candidate_ids(evidence: Evidence) -> set[int]:
    live = Patient.objects.filter(merged_into__isnull=True)
    ids: set[int] = set()
    if evidence.mrns:
        ids.update(live.filter(mrn__in=evidence.mrns).values_list("pk", flat=True))
    if evidence.member_ids:
        ids.update(
            Coverage.objects.filter(
                member_id_key__in=evidence.member_ids, patient__merged_into__isnull=True
            ).values_list("patient_id", flat=True)
        )
    ids.update(_near_member_ids(evidence))
    if evidence.phones:
        ids.update(
            PatientPhone.objects.filter(
                digits__in=evidence.phones, patient__merged_into__isnull=True
            ).values_list("patient_id", flat=True)
        )
    if evidence.dobs:
        ids.update(
            live.filter(date_of_birth__in=evidence.dobs).values_list("pk", flat=True)[
                :CANDIDATE_LIMIT
            ]
        )
    # A name written "LAST FIRST" without a comma was read as first "Last", last "First": the
    # first names are looked up as last names too (they must then match exactly, see _grade).
    lasts = {name_key(part) for pair in evidence.names for part in pair} - {""}
    sounds = {phonetic_key(last) for _first, last in evidence.names} - {""}
    if lasts:
        ids.update(
            live.filter(last_name_key__in=lasts).values_list("pk", flat=True)[:CANDIDATE_LIMIT]
        )
        ids.update(
            live.filter(previous_last_name__in=[last for _f, last in evidence.names]).values_list(
                "pk", flat=True
            )[:CANDIDATE_LIMIT]
        )
    if sounds:
        ids.update(
            live.filter(last_name_phonetic__in=sounds).values_list("pk", flat=True)[
                :CANDIDATE_LIMIT
            ]
        )
    # A last name read with a letter or two wrong ("Placcholderer"): patients whose last name starts
    # the same and is that close.
    for _first, last in evidence.names:
        key = name_key(last)
        if len(key) < 5:
            continue
        for pk, known in live.filter(last_name_key__startswith=key[:3]).values_list(
            "pk", "last_name_key"
        )[:NEAR_ROWS]:
            if _close(key, known):
                ids.add(pk)
    return ids


def _first_name_grade(said: str, patient: Patient) -> tuple[str, float]:
    said_key = name_key(said)
    if not said_key:
        return "none", 0.0
    keys = {name_key(patient.first_name), name_key(patient.preferred_name)} - {""}
    if said_key in keys:
        return "exact", 1.0
    for known in (patient.first_name, patient.preferred_name):
        if known and nickname_link(said_key, name_key(known)):
            return "nickname", 0.95
    if len(said_key) == 1 and any(key.startswith(said_key) for key in keys):
        return "initial", 0.55
    best = max((JaroWinkler.similarity(said_key, key) for key in keys), default=0.0)
    if best >= 0.92:
        return "close", 0.8
    # Not the same first name; a resemblance only ranks patients of one last name ("Lea" read for
    # Luca puts Luca before her brother Mark).
    return "none", (0.3 * best if best >= 0.7 else 0.0)


def _last_name_grade(said: str, patient: Patient) -> float:
    said_key = name_key(said)
    if not said_key:
        return 0.0
    if said_key in {patient.last_name_key, name_key(patient.previous_last_name)}:
        return 1.0
    similarity = JaroWinkler.similarity(said_key, patient.last_name_key)
    if similarity >= 0.93 or _close(said_key, patient.last_name_key):
        return 0.8
    if phonetic_key(said) and phonetic_key(said) == patient.last_name_phonetic:
        return 0.7
    return 0.0


def _swapped_exact(first: str, last: str, patient: Patient) -> bool:
    """Whether "``first`` ``last``" is the patient's name written last name first without a
    comma ("PSEUDOTON RACHEL"): both words must be the patient's last and first name exactly."""
    first_key, last_key = name_key(first), name_key(last)
    if not first_key or not last_key or first_key == last_key:
        return False
    lasts = {patient.last_name_key, name_key(patient.previous_last_name)} - {""}
    firsts = {name_key(patient.first_name), name_key(patient.preferred_name)} - {""}
    return first_key in lasts and last_key in firsts


def _first_name_keys(patient: Patient) -> set[str]:
    keys = {name_key(patient.first_name), name_key(patient.preferred_name)} - {""}
    for key in list(keys):
        keys.update(variants(key))
    return keys


def _name_on_page(patient: Patient, words: frozenset[str]) -> str:
    """ "exact" when the patient's last and first name (or a nickname) are words on the page, "ocr"
    when the last name is there with one letter misread, "" otherwise."""
    if not _first_name_keys(patient) & words:
        return ""
    lasts = {patient.last_name_key, name_key(patient.previous_last_name)} - {""}
    if lasts & words:
        return "exact"
    for last in lasts:
        if len(last) < OCR_TOLERANT_LENGTH:
            continue
        for word in words:
            if (
                abs(len(word) - len(last)) <= 1
                and word[:1] == last[:1]
                and Levenshtein.distance(word, last, score_cutoff=1) <= 1
            ):
                return "ocr"
    return ""


def _first_name_misread(said: str, patient: Patient, practice_names: set[tuple[str, str]]) -> bool:
    """Whether ``said`` is the patient's first name with one letter misread by OCR ("Liatn" for
    Liam, "Cynthla" for Cynthia): both at least 4 letters, the same first letter, one edit apart, and
    no patient of the practice has that name exactly (then it is that person's name, not a slip)."""
    said_key = name_key(said)
    if len(said_key) < 4 or (said_key, patient.last_name_key) in practice_names:
        return False
    for known in {name_key(patient.first_name), name_key(patient.preferred_name)} - {""}:
        if (
            len(known) >= 4
            and known[:1] == said_key[:1]
            and Levenshtein.distance(said_key, known, score_cutoff=1) <= 1
        ):
            return True
    return False


def _grade(
    patient: Patient,
    evidence: Evidence,
    members: set[str],
    phones: set[str],
    practice_names: set[tuple[str, str]] | None = None,
    near_name: str = "",
) -> Candidate:
    reasons: list[str] = []
    conflicts: list[str] = []
    grade_name, name_score = "none", 0.0
    for first, last in evidence.names:
        last_score = _last_name_grade(last, patient)
        if not last_score:
            continue
        first_grade, first_score = _first_name_grade(first, patient)
        score = 0.5 * last_score + 0.5 * first_score
        if score > name_score:
            name_score = score
            if last_score == 1.0 and first_grade in ("exact", "nickname"):
                grade_name = first_grade
            elif first_grade == "none":
                grade_name = "last_only"
            elif first_grade == "initial":
                grade_name = "initial"
            else:
                grade_name = "close"
    if grade_name in ("close", "last_only") and practice_names is not None:
        for first, last in evidence.names:
            if _last_name_grade(last, patient) == 1.0 and _first_name_misread(
                first, patient, practice_names
            ):
                grade_name, name_score = "ocr_first", 0.9
                reasons.append("first name found with one letter misread")
                break
    if grade_name != "exact":
        for first, last in evidence.names:
            if _swapped_exact(first, last, patient):
                grade_name, name_score = "exact", 1.0
                reasons.append("name matches (written last name first)")
                break
    # The page's words can confirm a name the extractor missed or read imperfectly, never
    # overrule a name it read: a document that names someone else is not this patient's.
    if grade_name in ("close", "initial", "last_only") or (not evidence.names and evidence.words):
        found = _name_on_page(patient, evidence.words)
        if found:
            grade_name, name_score = found, (1.0 if found == "exact" else 0.9)
            reasons.append(
                "name found on the page"
                if found == "exact"
                else "name found on the page with one letter misread"
            )
    if grade_name == "none" and near_name:
        grade_name, name_score = "near", 0.6
        reasons.append(near_name)
    if grade_name == "exact":
        if "name found on the page" not in reasons:
            reasons.append("name matches")
    elif grade_name == "nickname":
        reasons.append("name matches (nickname)")
    elif grade_name in ("close", "initial"):
        reasons.append("name is close")
    elif grade_name == "last_only":
        reasons.append("last name only")
    dob: bool | None = None
    if evidence.dobs:
        dob = patient.date_of_birth in evidence.dobs
        reasons.append("date of birth matches" if dob else "date of birth differs")
        if not dob:
            conflicts.append("date of birth differs")
        elif len(evidence.dobs) > 1:
            conflicts.append("the document gives more than one date of birth")
    mrn = patient.mrn.upper() in evidence.mrns
    if mrn:
        reasons.append("MRN matches")
    elif evidence.mrns:
        conflicts.append("another MRN on the document")
    member = bool(members)
    if member:
        reasons.append("member ID matches")
    phone = bool(phones)
    if phone:
        reasons.append("phone matches")
    score = 0.45 * name_score
    score += 0.35 if dob else 0.0
    score += 0.3 if mrn else 0.0
    score += 0.25 if member else 0.0
    score += 0.1 if phone else 0.0
    if dob is None and patient.date_of_birth in evidence.page_dates:
        # Not a confirmed date of birth (no label said so): it ranks, it never files.
        score += 0.2
        reasons.append("date of birth found on the page (unlabelled)")
        if grade_name == "none" and _resembles(patient, evidence.tokens):
            score += 0.15
            reasons.append("name resembles words on the page")
    if dob is False:
        score *= 0.35
    if evidence.mrns and not mrn:
        score *= 0.5
    return Candidate(
        patient_id=patient.pk,
        score=min(score, 1.0),
        reasons=reasons,
        name=grade_name,
        dob=dob,
        mrn=mrn,
        member_id=member,
        phone=phone,
        conflicts=conflicts,
    )


def _resembles(patient: Patient, tokens: tuple[str, ...]) -> bool:
    """Whether the patient's last name resembles a word on the pages (Jaro-Winkler 0.85: an OCR
    reading with two or three letters wrong, "Mdckupby" for Mockupby)."""
    last = patient.last_name_key
    return bool(last) and any(
        JaroWinkler.similarity(token, last) >= 0.85 for token in set(tokens) if len(token) >= 4
    )


def match(evidence: Evidence) -> MatchResult:
    """Rank the patients the evidence could be about and say whether one is certain."""
    # Patients whose first and last name stand side by side on the pages are candidates too (a
    # name whose label OCR misread); their name alone never files (a second identifier is needed).
    named = _patients_named(evidence.words)
    near = _patients_near_named(evidence.tokens)
    born = _patients_born(evidence)
    if evidence.is_empty() and not named and not near and not born:
        return MatchResult([], None, ["no patient identifiers found on the document"])
    ids = _candidate_ids(evidence) | set(named) | set(near) | born
    if not ids:
        return MatchResult([], None, ["no patient of the practice matches what the document says"])
    patients = list(
        Patient.objects.filter(pk__in=ids).only(
            "pk",
            "mrn",
            "first_name",
            "preferred_name",
            "last_name",
            "previous_last_name",
            "last_name_key",
            "last_name_phonetic",
            "date_of_birth",
        )
    )
    member_hits: dict[int, set[str]] = {}
    for patient_id, key in Coverage.objects.filter(
        patient_id__in=ids, member_id_key__in=evidence.member_ids
    ).values_list("patient_id", "member_id_key"):
        member_hits.setdefault(patient_id, set()).add(key)
    phone_hits: dict[int, set[str]] = {}
    for patient_id, digits in PatientPhone.objects.filter(
        patient_id__in=ids, digits__in=evidence.phones
    ).values_list("patient_id", "digits"):
        phone_hits.setdefault(patient_id, set()).add(digits)
    # Every patient with a last name on the document is a candidate: their exact names tell an OCR
    # slip in a first name from the name of another person of the practice.
    practice_names = {
        (key, p.last_name_key)
        for p in patients
        for key in {name_key(p.first_name), name_key(p.preferred_name)} - {""}
    }
    candidates = [
        _grade(
            p,
            evidence,
            member_hits.get(p.pk, set()),
            phone_hits.get(p.pk, set()),
            practice_names,
            near.get(p.pk, ""),
        )
        for p in patients
    ]
    near_members = _near_member_ids(evidence)
    for candidate in candidates:
        if candidate.patient_id in near_members and not candidate.member_id:
            # A suggestion only: a misread member ID is never the second identifier.
            candidate.score = min(candidate.score + 0.15, 1.0)
            candidate.reasons.append("member ID nearly matches (a character or two misread)")
    candidates = [c for c in candidates if c.score > 0.05]
    candidates.sort(key=lambda c: (-c.score, c.patient_id))
    certain, reasons = _certainty(candidates, evidence)
    if certain is not None:
        # A namesake (the same first and last name) is no other person on the page: the date of
        # birth told them apart above.
        own = named.get(certain.patient_id) or _name_pairs(
            Patient.objects.get(pk=certain.patient_id)
        )
        if any(not pairs <= own for pk, pairs in named.items() if pk != certain.patient_id):
            certain, reasons = None, ["the document also names another patient of the practice"]
    return MatchResult(candidates, certain, reasons)


def _name_pairs(patient: Patient) -> set[tuple[str, str]]:
    return {
        (given, patient.last_name_key)
        for given in {name_key(patient.first_name), name_key(patient.preferred_name)} - {""}
    }


def _patients_named(words: frozenset[str]) -> dict[int, set[tuple[str, str]]]:
    """Patients whose first and last name stand next to each other on the pages ("Cynthia
    Testworth", "TESTWORTH, CYNTHIA"), with the (first, last) name keys found, even where the
    extractor missed the label (a misread "Narne:"). Besides the patient a document is about, such a
    name is a page about someone else in the segment, or a doctor who shares a patient's name:
    either way the document is not certainly about one patient."""
    lasts = [word for word in words if len(word) >= 3]
    named: dict[int, set[tuple[str, str]]] = {}
    if not lasts:
        return named
    for pk, first, preferred, last in Patient.objects.filter(
        merged_into__isnull=True, last_name_key__in=lasts
    ).values_list("pk", "first_name", "preferred_name", "last_name_key"):
        for given in {name_key(first), name_key(preferred)} - {""}:
            if given + last in words or last + given in words:
                named.setdefault(pk, set()).add((given, last))
    return named


# Reading a name imperfectly: how far apart (OSA: a swapped pair of letters is one edit) a word on
# the page and a patient's name may be, by the name's length; words closer than NEAR_WINDOW words to
# each other count as one name ("Synthwood, ood, Brenda" on a boxed form, "Pseudomore, Agnela").
NEAR_WINDOW = 4
NEAR_FIRST_LIMIT = 40  # different first names on a page looked up
NEAR_ROWS = 5000  # patients with one first name compared (the largest first-name group, bounded)


def _near_edits(name: str) -> int:
    if len(name) >= 9:
        return 2
    if len(name) >= 5:
        return 1
    return 0


def _close(word: str, name: str) -> bool:
    edits = _near_edits(name)
    return word == name or (
        edits > 0
        and abs(len(word) - len(name)) <= edits
        and OSA.distance(word, name, score_cutoff=edits) <= edits
    )


def _near_units(tokens: tuple[str, ...], at: int) -> set[str]:
    """Words near position ``at`` (not the word itself), with each run of two or three adjacent
    words joined ("Specimenbe erg", "Ss ynthing ton")."""
    units: set[str] = set()
    low, high = max(0, at - NEAR_WINDOW), min(len(tokens), at + NEAR_WINDOW + 1)
    for start in range(low, high):
        for size in (1, 2, 3):
            end = start + size
            if end > high or start <= at < end:
                continue
            units.add("".join(tokens[start:end]))
    return {unit for unit in units if len(unit) >= 3}


def _patients_near_named(tokens: tuple[str, ...]) -> dict[int, str]:
    """Patients whose name stands on the pages read imperfectly: one of their names exactly and the
    other close (within ``_near_edits``), near each other. Suggestions only: such a name is never the
    strong name that lets a document file itself. Found through the indexed first- and last-name
    keys: the pages' words that are somebody's first (or last) name, then that name's patients."""
    if not tokens:
        return {}
    distinct = sorted({token for token in tokens if len(token) >= 3})[:2000]
    live = Patient.objects.filter(merged_into__isnull=True)
    firsts = set(
        live.filter(first_name_key__in=distinct).values_list("first_name_key", flat=True).distinct()
    )
    lasts = set(
        live.filter(last_name_key__in=distinct).values_list("last_name_key", flat=True).distinct()
    )
    found: dict[int, str] = {}
    near_lasts: dict[str, set[str]] = {}
    near_firsts: dict[str, set[str]] = {}
    for at, token in enumerate(tokens):
        if token in firsts:
            near_lasts.setdefault(token, set()).update(_near_units(tokens, at))
        if token in lasts:
            near_firsts.setdefault(token, set()).update(_near_units(tokens, at))
    for first in sorted(near_lasts)[:NEAR_FIRST_LIMIT]:
        guesses = near_lasts[first]
        for pk, last in live.filter(first_name_key=first).values_list("pk", "last_name_key")[
            :NEAR_ROWS
        ]:
            if last and any(_close(guess, last) for guess in guesses):
                found.setdefault(pk, "first name on the page, last name read closely")
    for last in sorted(near_firsts)[:NEAR_FIRST_LIMIT]:
        guesses = near_firsts[last]
        for pk, first, preferred in live.filter(last_name_key=last).values_list(
            "pk", "first_name", "preferred_name"
        )[:CANDIDATE_LIMIT]:
            keys = {name_key(first), name_key(preferred)} - {""}
            if any(_close(guess, key) for guess in guesses for key in keys):
                found.setdefault(pk, "last name on the page, first name read closely")
    return found


def _patients_born(evidence: Evidence) -> set[int]:
    """Patients born on a date that stands anywhere on the pages (a "Date of birth" label OCR
    garbled): candidates to rank by the rest of the evidence, never a confirmed date of birth."""
    dates = set(evidence.page_dates) - set(evidence.dobs)
    if not dates:
        return set()
    return set(
        Patient.objects.filter(merged_into__isnull=True, date_of_birth__in=dates).values_list(
            "pk", flat=True
        )[:CANDIDATE_LIMIT]
    )


def _certainty(
    candidates: list[Candidate], evidence: Evidence
) -> tuple[Candidate | None, list[str]]:
    if not candidates:
        return None, ["no patient of the practice matches what the document says"]
    top = candidates[0]
    if evidence.identities() > 1:
        return None, ["the document names more than one person"]
    if not top.strong_name:
        return None, ["no patient's full name matches the document"]
    if not top.second_identifier:
        return None, ["the name matches but no date of birth, MRN or member ID confirms it"]
    if top.conflicts:
        return None, [f"not certain: {conflict}" for conflict in top.conflicts]
    rivals = [c for c in candidates[1:] if c.strong_name and c.second_identifier]
    if rivals:
        return None, ["more than one patient matches the name and another identifier"]
    if len(candidates) > 1 and candidates[1].score > top.score - 0.25:
        return None, ["another patient matches nearly as well"]
    if top.score < _threshold():
        return None, [f"match score {top.score:.2f} is under the auto-file threshold"]
    return top, [*top.reasons, "unique match"]


def page_suggestions(item_id: int, indexes: list[int]) -> list[dict[str, Any]]:
    """The ranked suggestions for some pages of an inbox item, from those pages alone (a part a
    person split off or merged is matched again: a packet's second part is somebody else's)."""
    rows = {
        page.index: page
        for page in InboxPage.objects.filter(item_id=item_id, index__in=indexes, deleted=False)
    }
    kept = [index for index in indexes if index in rows]
    evidence = Evidence.from_json(
        [rows[i].identifiers for i in kept], text="\n".join(rows[i].text for i in kept)
    )
    return match(evidence).suggestions()
