"""Reads of code sets and fees: ICD-10-CM lookup, check and search, procedure codes, fee quotes.

These are what charge entry, the claim scrubber and estimates call. Code sets are reference data, not
PHI, so nothing here is audited. ICD-10-CM codes are checked against the release in effect on the
date of service; when no loaded release covers that date, the nearest one is used and the answer
says so (``CodeCheck.warning``) — never silently.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Q
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.coding.choices import CheckStatus, ProcedureKind
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, IcdRelease, ProcedureCode
from frontdesk.coding.tables import (
    HCPCS_COMMON,
    MODIFIER_RE,
    MODIFIERS,
    POS_CODES,
)
from frontdesk.core.queryset import Actor, get_restricted
from frontdesk.standards import icd10cm
from frontdesk.standards.icd10cm import CodeSet

__all__ = [
    "MODIFIERS",
    "POS_CODES",
    "CodeCheck",
    "FeeQuote",
    "IcdCode",
    "Release",
    "fee_for",
    "icd10_check",
    "icd10_check_many",
    "icd10_lookup",
    "icd10_release_for",
    "icd10_releases",
    "icd10_search",
    "modifier_check",
    "pos_check",
    "procedure_lookup",
    "procedure_search",
]

# The release bundled with simple-icd-10-cm 1.5.0: FY2026 with the April 1 2026 update, which CMS
# made effective for dates of service from 2026-04-01 to the end of the fiscal year.
BUNDLED_NAME = "FY2026 (April 2026)"
BUNDLED_FROM = dt.date(2026, 4, 1)
BUNDLED_TO = dt.date(2026, 9, 30)


@dataclass(frozen=True)
class Release:
    """One ICD-10-CM release FrontDesk can check codes against."""

    name: str
    effective_from: dt.date
    effective_to: dt.date | None
    key: tuple[Any, ...]  # ("bundled",) or ("db", pk, sha256): the per-process cache key
    bundled: bool = False

    @property
    def title(self) -> str:
        return f"ICD-10-CM {self.name}"

    def covers(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class IcdCode:
    """An ICD-10-CM code as one release describes it."""

    code: str  # with the dot, as people read it: "E11.9"
    description: str
    billable: bool
    release: str  # the release's name

    @property
    def compact(self) -> str:
        """Without the dot, as X12 claims carry it: "E119"."""
        return self.code.replace(".", "")


@dataclass(frozen=True)
class CodeCheck:
    """The verdict on one ICD-10-CM code for one date of service.

    ``status`` is a CheckStatus; ``message`` names the problem and the fix (empty when ok);
    ``warning`` is set whenever the release used does not cover the date of service.
    """

    code: str
    status: str
    message: str
    on: dt.date
    release: str
    description: str = ""
    warning: str = ""
    suggestions: tuple[str, ...] = ()

    @property
    def status_label(self) -> str:
        return str(CheckStatus(self.status).label)

    @property
    def ok(self) -> bool:
        """True when the code may go on a claim (billable in the release used)."""
        return self.status in (CheckStatus.OK, CheckStatus.WARNING)


@dataclass(frozen=True)
class FeeQuote:
    """What a code costs: the practice's standard charge and the payer's allowed amount.

    ``allowed`` is None when the payer has no schedule entry for the code on the date (``message``
    says so, and estimates fall back to the standard charge: ``expected``).
    """

    standard_charge: Decimal | None
    allowed: Decimal | None
    schedule_name: str
    message: str = ""
    standard_schedule_name: str = ""
    modifier: str = ""  # the modifier whose price applied ("" for the code's own price)

    @property
    def expected(self) -> Decimal | None:
        return self.allowed if self.allowed is not None else self.standard_charge


# --- ICD-10-CM ----------------------------------------------------------------------------------------


def _bundled_release() -> Release:
    return Release(BUNDLED_NAME, BUNDLED_FROM, BUNDLED_TO, ("bundled",), bundled=True)


def icd10_releases() -> list[Release]:
    """Every release loaded, oldest first: the bundled one and those imported (one small query)."""
    releases = [_bundled_release()]
    for row in IcdRelease.objects.order_by("effective_from").values(
        "pk", "name", "effective_from", "effective_to", "sha256"
    ):
        releases.append(
            Release(
                row["name"],
                row["effective_from"],
                row["effective_to"],
                ("db", row["pk"], row["sha256"]),
            )
        )
    releases.sort(key=lambda r: (r.effective_from, r.bundled is False))
    return releases


def icd10_release_for(on: dt.date, *, releases: list[Release] | None = None) -> tuple[Release, str]:
    """The release for a date of service and, when none covers it, the warning naming the one used.

    Several covering releases (an update that overlaps a fiscal year): the one that started last.
    None covering: the newest release starting before the date, or the oldest for an earlier date.
    """
    releases = releases if releases is not None else icd10_releases()
    covering = [r for r in releases if r.covers(on)]
    if covering:
        return covering[-1], ""
    earlier = [r for r in releases if r.effective_from <= on]
    chosen = earlier[-1] if earlier else releases[0]
    return chosen, f"checked against {chosen.title}; no release loaded for {on.isoformat()}"


@lru_cache(maxsize=4)
def _load(key: tuple[Any, ...]) -> CodeSet:
    if key == ("bundled",):
        return icd10cm.bundled_code_set()
    content = IcdRelease.objects.values_list("content", flat=True).get(pk=key[1])
    return icd10cm.parse_order_file(gzip.decompress(bytes(content)).decode("utf-8"))


def code_set(release: Release) -> CodeSet:
    """The release's codes, read once per process (the bundled set takes about a second)."""
    return _load(release.key)


def _as_code(entry: icd10cm.Icd10Entry, release: Release) -> IcdCode:
    return IcdCode(
        code=entry.dotted,
        description=entry.description,
        billable=entry.billable,
        release=release.name,
    )


def _today() -> dt.date:
    return timezone.localdate()


def icd10_lookup(code: str, *, on: dt.date) -> IcdCode | None:
    """The code (with or without its dot) in the release for ``on``; None when that release lacks it."""
    release, _ = icd10_release_for(on)
    entry = code_set(release).get(code)
    return _as_code(entry, release) if entry is not None else None


def icd10_search(query: str, *, limit: int = 20, on: dt.date | None = None) -> list[IcdCode]:
    """Codes for a query (code prefix or description words) in the release for ``on`` (default today)."""
    release, _ = icd10_release_for(on or _today())
    return [_as_code(e, release) for e in code_set(release).search(query, limit=limit)]


def icd10_check(code: str, *, on: dt.date) -> CodeCheck:
    """Whether ``code`` may go on a claim for a date of service, with a message naming any fix."""
    return _check(code, on=on, releases=icd10_releases())


def icd10_check_many(codes: Sequence[str], *, on: dt.date) -> list[CodeCheck]:
    """``icd10_check`` for each code (a claim's diagnoses) with one query for the releases."""
    releases = icd10_releases()
    return [_check(code, on=on, releases=releases) for code in codes]


def _check(code: str, *, on: dt.date, releases: list[Release]) -> CodeCheck:
    raw = (code or "").strip()
    shown = icd10cm.with_dot(raw) if raw else ""
    release, warning = icd10_release_for(on, releases=releases)
    common: dict[str, Any] = {"on": on, "release": release.name, "warning": warning}
    if not raw or not icd10cm.looks_like_code(raw):
        return CodeCheck(
            code=shown or raw,
            status=CheckStatus.UNKNOWN,
            message=(
                f"{raw!r} is not shaped like an ICD-10-CM code (a letter, two characters, then up "
                "to four more, e.g. E11.9)."
                if raw
                else "Enter an ICD-10-CM code."
            ),
            **common,
        )
    codes = code_set(release)
    entry = codes.get(raw)
    if entry is None:
        elsewhere = _valid_elsewhere(raw, exclude=release, releases=releases)
        if elsewhere is not None:
            period = _period(elsewhere)
            return CodeCheck(
                code=shown,
                status=CheckStatus.NOT_VALID_ON_DATE,
                message=(
                    f"{shown} is in {elsewhere.title} ({period}) but not in {release.title}, the "
                    f"release for {on.isoformat()}: use a code valid on the date of service."
                ),
                **common,
            )
        parent = _nearest_known_parent(codes, raw)
        hint = ""
        suggestions: tuple[str, ...] = ()
        if parent is not None and parent.billable:
            hint = f" Did you mean {parent.dotted} ({parent.description})?"
            suggestions = (parent.dotted,)
        elif parent is not None:
            hint = f" Pick a code under {parent.dotted} ({parent.description})."
            suggestions = tuple(
                c.dotted for c in codes.children(parent.code, billable_only=True)[:10]
            )
        return CodeCheck(
            code=shown,
            status=CheckStatus.UNKNOWN,
            message=f"{shown} is not a code in {release.title}.{hint}",
            suggestions=suggestions,
            **common,
        )
    if not entry.billable:
        children = codes.children(entry.code, billable_only=True)
        example = _example_child(children)
        return CodeCheck(
            code=entry.dotted,
            status=CheckStatus.HEADER,
            description=entry.description,
            message=(
                f"{entry.dotted} is a category header, not billable: pick a more specific code"
                f"{' such as ' + example.dotted if example else ''}."
            ),
            suggestions=tuple(c.dotted for c in children[:10]),
            **common,
        )
    return CodeCheck(
        code=entry.dotted,
        status=CheckStatus.WARNING if warning else CheckStatus.OK,
        description=entry.description,
        message=f"{entry.dotted} is billable ({warning})." if warning else "",
        **common,
    )


def _period(release: Release) -> str:
    end = release.effective_to.isoformat() if release.effective_to else "onwards"
    return f"{release.effective_from.isoformat()} to {end}"


def _example_child(children: list[icd10cm.Icd10Entry]) -> icd10cm.Icd10Entry | None:
    """The example a person would reach for: the shortest code, "without complications" or an
    "unspecified" one first (E11 -> E11.9)."""

    def preference(entry: icd10cm.Icd10Entry) -> tuple[int, int, str]:
        text = entry.description.lower()
        kind = 0 if "without complication" in text else 1 if text.endswith("unspecified") else 2
        return (len(entry.code), kind, entry.code)

    return min(children, key=preference) if children else None


def _nearest_known_parent(codes: CodeSet, raw: str) -> icd10cm.Icd10Entry | None:
    compact = icd10cm.normalize(raw)
    for length in range(len(compact) - 1, 2, -1):
        entry = codes.get(compact[:length])
        if entry is not None:
            return entry
    return None


def _valid_elsewhere(code: str, *, exclude: Release, releases: list[Release]) -> Release | None:
    for release in reversed(releases):
        if release.key != exclude.key and code in code_set(release):
            return release
    return None


# --- procedures, modifiers, place of service ---------------------------------------------------------


def procedure_lookup(code: str) -> ProcedureCode | None:
    """A CPT or HCPCS code the practice imported, or one of the common HCPCS codes FrontDesk ships
    (then an unsaved ProcedureCode: ``pk`` is None); None when neither knows it."""
    normalized = (code or "").strip().upper()
    row = ProcedureCode.objects.filter(code=normalized).first()
    if row is not None:
        return row
    if normalized in HCPCS_COMMON:
        return ProcedureCode(
            code=normalized, kind=ProcedureKind.HCPCS, description=HCPCS_COMMON[normalized]
        )
    return None


def procedure_search(query: str, *, limit: int = 20) -> list[ProcedureCode]:
    """Imported codes and shipped HCPCS codes whose code starts with, or description holds, the query."""
    # Control characters (a NUL is refused by PostgreSQL) can match nothing: drop them.
    text = "".join(ch for ch in (query or "") if ch.isprintable()).strip()
    if not text:
        return []
    upper = text.upper()
    rows = list(
        ProcedureCode.objects.filter(
            Q(code__startswith=upper) | Q(description__icontains=text), is_active=True
        ).order_by("code")[: limit * 2]
    )
    known = {r.code for r in rows}
    words = text.lower().split()
    for code, description in HCPCS_COMMON.items():
        if code in known:
            continue
        if code.startswith(upper) or all(w in description.lower() for w in words):
            rows.append(ProcedureCode(code=code, kind=ProcedureKind.HCPCS, description=description))
    # Exact code, then code prefix, then description matches.
    rows.sort(key=lambda r: (r.code != upper, not r.code.startswith(upper), r.code))
    return rows[:limit]


def modifier_check(code: str) -> str | None:
    """None for a well-formed, known modifier; else the message naming the problem."""
    value = (code or "").strip().upper()
    if not MODIFIER_RE.match(value):
        return f"Modifier {code!r} is not two letters or digits (e.g. 25, 59, RT)."
    if value not in MODIFIERS:
        return f"Modifier {value} is not a modifier FrontDesk knows: check it against the payer's list."
    return None


def pos_check(code: str) -> str | None:
    """None for an assigned CMS place-of-service code; else the message."""
    value = (code or "").strip()
    if value in POS_CODES:
        return None
    return f"Place of service {value!r} is not a CMS place-of-service code (e.g. 11 office)."


# --- fees ---------------------------------------------------------------------------------------------


def _schedules_on(on: dt.date, payer_id: int | None) -> Any:
    in_force = FeeSchedule.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    if payer_id is None:
        in_force = in_force.filter(payer__isnull=True)
    else:
        in_force = in_force.filter(payer_id=payer_id)
    return in_force.order_by("-effective_from", "-pk")


def _price(
    on: dt.date, payer_id: int | None, code: str, modifiers: tuple[str, ...]
) -> tuple[Decimal | None, str, str]:
    """(amount, schedule name, modifier priced) from the newest schedule in force with the code."""
    wanted = [m for m in modifiers if m] + [""]
    entries = list(
        FeeScheduleEntry.objects.filter(
            schedule__in=_schedules_on(on, payer_id), code=code, modifier__in=wanted
        )
        .select_related("schedule")
        .order_by("-schedule__effective_from", "-schedule_id")
    )
    if not entries:
        return None, "", ""
    newest = entries[0].schedule_id
    by_modifier = {e.modifier: e for e in entries if e.schedule_id == newest}
    for modifier in wanted:
        if modifier in by_modifier:
            entry = by_modifier[modifier]
            return entry.amount, entry.schedule.name, modifier
    return None, "", ""  # pragma: no cover - the newest schedule holds at least one wanted entry


def fee_for(
    *, code: str, modifiers: tuple[str, ...] = (), payer_id: int | None, on: dt.date
) -> FeeQuote:
    """The standard charge and the payer's allowed amount for a code on a date of service.

    A modifier-specific price (e.g. 26) wins over the code's own price; the first of ``modifiers``
    with a price applies. Without a payer (self-pay) ``allowed`` is None.
    """
    normalized = (code or "").strip().upper()
    mods = tuple((m or "").strip().upper() for m in modifiers)
    standard, standard_name, standard_modifier = _price(on, None, normalized, mods)
    notes: list[str] = []
    if standard is None:
        notes.append(f"No standard charge for {normalized} on {on.isoformat()}.")
    allowed: Decimal | None = None
    schedule_name = standard_name
    modifier = standard_modifier
    if payer_id is not None:
        allowed, payer_name, payer_modifier = _price(on, payer_id, normalized, mods)
        if allowed is None:
            notes.append(
                f"{normalized} is not in the payer's fee schedule for {on.isoformat()}: "
                "the standard charge is the estimate."
            )
        else:
            schedule_name, modifier = payer_name, payer_modifier
    return FeeQuote(
        standard_charge=standard,
        allowed=allowed,
        schedule_name=schedule_name,
        message=" ".join(notes),
        standard_schedule_name=standard_name,
        modifier=modifier,
    )


def fee_schedule_list(*, user: Actor) -> list[FeeSchedule]:
    from django.db.models import Count

    return list(
        FeeSchedule.objects.restrict(user, A.CODES_VIEW)
        .select_related("payer")
        .annotate(entry_count=Count("entries"))
        .order_by("payer__name", "-effective_from", "pk")
    )


def fee_schedule_get(*, user: Actor, schedule_id: int, action: str = A.CODES_VIEW) -> FeeSchedule:
    return get_restricted(FeeSchedule.objects.select_related("payer"), user, action, pk=schedule_id)


def fee_schedule_entries(*, schedule: FeeSchedule, query: str = "") -> list[FeeScheduleEntry]:
    entries = schedule.entries.all()
    if query:
        entries = entries.filter(code__startswith=query.strip().upper())
    return list(entries.order_by("code", "modifier"))
