"""X12 5010 code lists FrontDesk stores as-is, so 270/837 output needs no translation table."""

from __future__ import annotations

# Individual relationship code (INS02 / SBR02 / PAT01), 005010X279A1 and 005010X222A1.
INDIVIDUAL_RELATIONSHIP_CODES: dict[str, str] = {
    "18": "Self",
    "01": "Spouse",
    "19": "Child",
    "20": "Employee",
    "21": "Unknown",
    "39": "Organ donor",
    "40": "Cadaver donor",
    "53": "Life partner",
    "G8": "Other relationship",
}

# Claim filing indicator (SBR09) by payer type.
CLAIM_FILING_INDICATOR: dict[str, str] = {
    "commercial": "CI",
    "medicare": "MB",
    "medicaid": "MC",
    "medicare_advantage": "16",
    "workers_comp": "WC",
    "self_pay": "09",
}
