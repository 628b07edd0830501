"""Writes of printing: encounter-form configurations (the favourite codes per provider or specialty)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import FieldErrors, ValidationFailed
from frontdesk.practice.models import Provider
from frontdesk.printing.choices import CodeSectionKind
from frontdesk.printing.models import EncounterFormConfig
from frontdesk.printing.pdf import CODES_BUDGET_MM, HEADING_MM, codes_height
from frontdesk.standards import codes

MAX_LABEL = 60


def parse_code_lines(text: str, *, kind: CodeSectionKind) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse a textarea of codes into sections; return ``(sections, errors)``.

    One code per line: ``CODE | label`` (procedures may add ``| modifier``). A line ``# Title``
    starts a new section; codes before any title go into a section named after the kind. Blank
    lines are ignored. Each error names its line number.
    """
    default_title = "Procedures" if kind == CodeSectionKind.PROCEDURE else "Diagnoses"
    sections: list[dict[str, Any]] = []
    errors: list[str] = []
    current: dict[str, Any] | None = None
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            if not title:
                errors.append(f"Line {number}: a section title after '#' is required.")
                continue
            current = {"kind": str(kind), "title": title[:MAX_LABEL], "codes": []}
            sections.append(current)
            continue
        parts = [part.strip() for part in line.split("|")]
        max_parts = 3 if kind == CodeSectionKind.PROCEDURE else 2
        if len(parts) < 2 or len(parts) > max_parts or not parts[1]:
            shape = "CODE | label | modifier" if max_parts == 3 else "CODE | label"
            errors.append(f"Line {number}: write {shape}.")
            continue
        code = codes.normalize(parts[0])
        label = parts[1]
        modifier = codes.normalize(parts[2]) if len(parts) == 3 else ""
        if kind == CodeSectionKind.PROCEDURE and not codes.is_procedure_code(code):
            errors.append(
                f"Line {number}: '{parts[0][:20]}' is not a CPT code (5 digits, or 4 digits + F/T) "
                "or a HCPCS code (a letter + 4 digits)."
            )
            continue
        if kind == CodeSectionKind.DIAGNOSIS:
            if not codes.is_icd10cm_code(code):
                errors.append(
                    f"Line {number}: '{parts[0][:20]}' is not an ICD-10-CM code (e.g. E11.9)."
                )
                continue
            code = codes.icd10cm_with_dot(code)
        if modifier and not codes.is_modifier(modifier):
            errors.append(
                f"Line {number}: the modifier '{parts[2][:10]}' must be 2 letters/digits."
            )
            continue
        if len(label) > MAX_LABEL:
            errors.append(f"Line {number}: the label is longer than {MAX_LABEL} characters.")
            continue
        key = f"{code}-{modifier}"
        if key in seen:
            errors.append(f"Line {number}: {code} is listed twice.")
            continue
        seen.add(key)
        if current is None:
            current = {"kind": str(kind), "title": default_title, "codes": []}
            sections.append(current)
        current["codes"].append({"code": code, "label": label, "modifier": modifier})
    return [s for s in sections if s["codes"]], errors


def sections_as_text(sections: list[dict[str, Any]], *, kind: CodeSectionKind) -> str:
    """The inverse of ``parse_code_lines`` for one kind (to fill the edit form)."""
    lines: list[str] = []
    for section in sections:
        if section.get("kind") != kind:
            continue
        lines.append(f"# {section['title']}")
        for entry in section["codes"]:
            parts = [entry["code"], entry["label"]]
            if entry.get("modifier"):
                parts.append(entry["modifier"])
            lines.append(" | ".join(parts))
    return "\n".join(lines)


@transaction.atomic
def encounter_form_config_save(
    *,
    actor: Any,
    config: EncounterFormConfig | None = None,
    provider: Provider | None,
    specialty: str,
    procedures_text: str,
    diagnoses_text: str,
) -> EncounterFormConfig:
    """Create or replace a provider's or a specialty's encounter-form codes; audited.

    Exactly one of ``provider`` / ``specialty`` names the owner. Raises ``ValidationFailed`` with
    per-line messages; nothing is written then.
    """
    errors = FieldErrors()
    specialty = specialty.strip()
    if (provider is None) == (not specialty):
        errors.add("provider", "Choose a provider or type a specialty (one of the two).")
    procedures, procedure_errors = parse_code_lines(procedures_text, kind=CodeSectionKind.PROCEDURE)
    diagnoses, diagnosis_errors = parse_code_lines(diagnoses_text, kind=CodeSectionKind.DIAGNOSIS)
    for message in procedure_errors:
        errors.add("procedures", message)
    for message in diagnosis_errors:
        errors.add("diagnoses", message)
    if not procedures and not diagnoses and not procedure_errors and not diagnosis_errors:
        errors.add("procedures", "List at least one code.")
    needed = codes_height(procedures + diagnoses)
    if needed > CODES_BUDGET_MM:
        errors.add(
            "procedures",
            f"These lists need {needed:.0f} mm of the page and a form has {CODES_BUDGET_MM:.0f} mm "
            f"for codes (three codes a row, {HEADING_MM:.0f} mm a section title): "
            "shorten the lists or merge sections.",
        )
    errors.raise_if_any()
    is_new = config is None
    target = config or EncounterFormConfig()
    target.provider = provider
    target.specialty = "" if provider is not None else specialty[:80]
    target.sections = procedures + diagnoses
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        owner = "provider" if provider is not None else "specialty"
        raise ValidationFailed(
            "Please correct the highlighted fields.",
            fields={owner: [f"This {owner} already has an encounter form."]},
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
        category=AuditCategory.CONFIGURATION,
        object_type="encounter_form_config",
        object_id=target.pk,
        detail={
            "provider_id": provider.pk if provider is not None else None,
            "codes": sum(len(s["codes"]) for s in target.sections),
        },
    )
    return target


@transaction.atomic
def encounter_form_config_delete(*, actor: Any, config: EncounterFormConfig) -> None:
    """Remove a configuration (the provider falls back to their specialty's, or to none)."""
    pk = config.pk
    config.delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        category=AuditCategory.CONFIGURATION,
        object_type="encounter_form_config",
        object_id=pk,
    )
