"""Writing patients: registration, updates with field history, coverages, verifications, merges.

Every service validates all of its input before writing anything, raises ``ValidationFailed`` with one
message per bad field, and writes its audit row in the same transaction as the change.
"""

from frontdesk.patients.services._common import check_upload, image_type
from frontdesk.patients.services.coverages import coverage_create, coverage_update
from frontdesk.patients.services.merge import patient_merge
from frontdesk.patients.services.patients import (
    MAX_AGE_YEARS,
    mrn_for,
    patient_register,
    patient_update,
    verification_record,
)

__all__ = [
    "MAX_AGE_YEARS",
    "check_upload",
    "coverage_create",
    "coverage_update",
    "image_type",
    "mrn_for",
    "patient_merge",
    "patient_register",
    "patient_update",
    "verification_record",
]
