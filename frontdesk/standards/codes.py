"""Formats of billing code sets: CPT / HCPCS Level II procedure codes and ICD-10-CM diagnosis codes.

Only the *shape* of a code is checked here; whether a code exists in this year's code set needs the
full code sets (they arrive with billing). Pure Python, no Django.
"""

from __future__ import annotations

import re

# CPT Category I: five digits (99213). Category II: four digits + F (3074F). Category III: four
# digits + T (0042T).
CPT_RE = re.compile(r"^(\d{5}|\d{4}[FT])$")
# HCPCS Level II: one letter A-V + four digits (J3420, G0438).
HCPCS_RE = re.compile(r"^[A-V]\d{4}$")
# A planned item or service of a cost estimate or of an appointment type's expected codes: CPT
# (four digits + a digit or letter) or HCPCS Level II (a letter + four digits). Only the shape; a
# code the fee schedule does not price is reported by the estimate.
PLANNED_PROCEDURE_RE = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
# ICD-10-CM: letter, digit, letter-or-digit, then optionally a dot and 1-4 letters/digits (E11.9,
# S72.001A, Z00.00). Written with or without the dot.
ICD10CM_RE = re.compile(r"^[A-Z]\d[A-Z0-9](\.?[A-Z0-9]{1,4})?$")
# CPT/HCPCS modifier: two letters or digits (25, 59, LT, GT).
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")


def normalize(code: str) -> str:
    """Upper-case and strip surrounding white space."""
    return code.strip().upper()


def is_procedure_code(code: str) -> bool:
    """True for a CPT (Category I-III) or HCPCS Level II code shape."""
    value = normalize(code)
    return bool(CPT_RE.match(value) or HCPCS_RE.match(value))


def is_icd10cm_code(code: str) -> bool:
    """True for an ICD-10-CM code shape."""
    return bool(ICD10CM_RE.match(normalize(code)))


def is_modifier(code: str) -> bool:
    return bool(MODIFIER_RE.match(normalize(code)))


def icd10cm_with_dot(code: str) -> str:
    """The code as printed: ``E119`` -> ``E11.9`` (the dot follows the third character)."""
    value = normalize(code).replace(".", "")
    return value if len(value) <= 3 else f"{value[:3]}.{value[3:]}"
