"""Plain-language meanings of the 835's codes, from the codec's tables (standards/x12).

A code the tables do not know still gets a readable line ("CARC 999 (no description on file)"), so
a new code from a payer never breaks an import or a screen.
"""

from __future__ import annotations

import functools

from frontdesk.standards.x12 import adjustment_codes

PLB_REASONS = {
    "50": "Late charge",
    "51": "Interest penalty charge",
    "72": "Authorized return",
    "90": "Early payment allowance",
    "AH": "Origination fee",
    "AM": "Applied to borrower's account",
    "AP": "Acceleration of benefits",
    "B2": "Rebate",
    "B3": "Recovery allowance",
    "BD": "Bad debt adjustment",
    "BN": "Bonus",
    "C5": "Temporary allowance",
    "CR": "Capitation interest",
    "CS": "Adjustment",
    "CT": "Capitation payment",
    "CV": "Capital passthru",
    "CW": "Certified registered nurse anesthetist passthru",
    "DM": "Direct medical education passthru",
    "E3": "Withholding",
    "FB": "Forwarding balance",
    "FC": "Fund allocation",
    "GO": "Graduate medical education passthru",
    "HM": "Hemophilia clotting factor supplement",
    "IP": "Incentive premium payment",
    "IR": "Internal Revenue Service withholding",
    "IS": "Interim settlement",
    "J1": "Nonreimbursable",
    "L3": "Penalty",
    "L6": "Interest owed",
    "LE": "Levy",
    "LS": "Lump sum",
    "OA": "Organ acquisition passthru",
    "OB": "Offset for affiliated providers",
    "PI": "Periodic interim payment",
    "PL": "Payment final",
    "RA": "Retro-activity adjustment",
    "RE": "Return on equity",
    "SL": "Student loan repayment",
    "TL": "Third party liability",
    "WO": "Overpayment recovery",
    "WU": "Unspecified recovery",
}


@functools.lru_cache(maxsize=4096)
def adjustment(group: str, reason: str) -> str:
    """``CO`` + ``45`` -> the group and reason in plain words."""
    return str(adjustment_codes.describe_adjustment(group, reason))


@functools.lru_cache(maxsize=4096)
def rarc(code: str) -> str:
    return str(adjustment_codes.rarc_meaning(code))[:300]


def carc(code: str) -> str:
    return str(adjustment_codes.carc_meaning(code))


@functools.lru_cache(maxsize=256)
def claim_status(code: str) -> str:
    return str(adjustment_codes.claim_status_meaning(code))


def plb_meaning(reason: str) -> str:
    return PLB_REASONS.get(reason, f"Provider adjustment {reason}")
