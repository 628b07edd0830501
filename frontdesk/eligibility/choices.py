"""Value sets of eligibility (X12 codes where a code set exists)."""

from __future__ import annotations

from django.db import models


class CheckStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent, waiting for the answer"
    COMPLETE = "complete", "Answered"
    REJECTED = "rejected", "Rejected by the payer"
    FAILED = "failed", "Failed (will be retried)"


class CheckSource(models.TextChoices):
    REALTIME = "realtime", "Real time"
    BATCH = "batch", "Nightly batch"
    IMPORT = "import", "Imported 271 file"


class BenefitKind(models.TextChoices):
    """What one EB loop says, from EB01 (and EB06 "29" remaining for deductible and out-of-pocket)."""

    ACTIVE = "active", "Active coverage"
    INACTIVE = "inactive", "Inactive"
    COPAY = "copay", "Copay"
    COINSURANCE = "coinsurance", "Coinsurance"
    DEDUCTIBLE = "deductible", "Deductible"
    DEDUCTIBLE_REMAINING = "deductible_remaining", "Deductible remaining"
    OUT_OF_POCKET = "out_of_pocket", "Out-of-pocket maximum"
    OUT_OF_POCKET_REMAINING = "out_of_pocket_remaining", "Out-of-pocket remaining"
    LIMITATION = "limitation", "Limitation"
    OTHER = "other", "Other"


class CoverageLevel(models.TextChoices):
    """EB02, narrowed to what the screens use (individual or family); anything else is ``""``."""

    INDIVIDUAL = "IND", "Individual"
    FAMILY = "FAM", "Family"
    UNSPECIFIED = "", "Not stated"


class Network(models.TextChoices):
    """EB12: Y in network, N out of network, W both (not applicable), U or absent unknown."""

    IN = "in", "In network"
    OUT = "out", "Out of network"
    BOTH = "both", "In and out of network"
    UNKNOWN = "unknown", "Not stated"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped by an error"


ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
REMAINING_PERIOD = "29"  # EB06 "Remaining"


def benefit_kind(code: str, time_period: str) -> BenefitKind:
    """The kind of an EB loop from EB01 and EB06."""
    if code in ACTIVE_CODES:
        return BenefitKind.ACTIVE
    if code in INACTIVE_CODES:
        return BenefitKind.INACTIVE
    if code == "B":
        return BenefitKind.COPAY
    if code == "A":
        return BenefitKind.COINSURANCE
    if code == "C":
        if time_period == REMAINING_PERIOD:
            return BenefitKind.DEDUCTIBLE_REMAINING
        return BenefitKind.DEDUCTIBLE
    if code == "G":
        if time_period == REMAINING_PERIOD:
            return BenefitKind.OUT_OF_POCKET_REMAINING
        return BenefitKind.OUT_OF_POCKET
    if code == "F":
        return BenefitKind.LIMITATION
    return BenefitKind.OTHER


def network_of(in_network: str) -> Network:
    return {"Y": Network.IN, "N": Network.OUT, "W": Network.BOTH}.get(in_network, Network.UNKNOWN)


def level_of(coverage_level: str) -> CoverageLevel:
    if coverage_level == "IND":
        return CoverageLevel.INDIVIDUAL
    if coverage_level == "FAM":
        return CoverageLevel.FAMILY
    return CoverageLevel.UNSPECIFIED


TIME_PERIODS = {
    "6": "hour",
    "7": "day",
    "13": "24 hours",
    "21": "year",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "28": "outlier",
    "29": "remaining",
    "30": "exceeded",
    "31": "not exceeded",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "month",
    "35": "week",
    "36": "admission",
}
