"""Plain-language meanings of the 835's codes, from the codec's tables (standards/x12).

A code the tables do not know still gets a readable line ("CARC 999 (no description on file)"), so
a new code from a payer never breaks an import or a screen.
"""

from __future__ import annotations

from typing import Any

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


def _tables() -> Any:
    try:
        from frontdesk.standards.x12 import adjustment_codes
    except ImportError:  # the codec branch has not landed yet
        return None
    return adjustment_codes


def adjustment(group: str, reason: str) -> str:
    """``CO`` + ``45`` -> "Contractual obligation: charge exceeds fee schedule ..." in plain words."""
    tables = _tables()
    if tables is not None:
        try:
            return str(tables.describe_adjustment(group, reason))
        except (KeyError, ValueError):
            pass
    return f"{group} adjustment, reason {reason} (no description on file)"


def rarc(code: str) -> str:
    tables = _tables()
    meaning = tables.RARC.get(code) if tables is not None else None
    return str(meaning or f"Remark {code} (no description on file)")[:300]


def carc(code: str) -> str:
    tables = _tables()
    meaning = tables.CARC.get(code) if tables is not None else None
    return str(meaning or f"Reason {code} (no description on file)")


def claim_status(code: str) -> str:
    tables = _tables()
    if tables is not None:
        try:
            return str(tables.claim_status_meaning(code))
        except (KeyError, ValueError):
            pass
    return {
        "1": "Processed as primary",
        "2": "Processed as secondary",
        "3": "Processed as tertiary",
        "4": "Denied",
        "19": "Processed as primary, forwarded to additional payer(s)",
        "20": "Processed as secondary, forwarded to additional payer(s)",
        "21": "Processed as tertiary, forwarded to additional payer(s)",
        "22": "Reversal of previous payment",
        "23": "Not our claim, forwarded to additional payer(s)",
        "25": "Predetermination pricing only - no payment",
    }.get(code, f"Claim status {code}")


def plb_meaning(reason: str) -> str:
    return PLB_REASONS.get(reason, f"Provider adjustment {reason}")
