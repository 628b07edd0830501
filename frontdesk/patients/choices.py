from django.db import models


class SexAtBirth(models.TextChoices):
    """US Core birth sex (http://hl7.org/fhir/us/core/ValueSet/birthsex)."""

    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "UNK", "Unknown"


class GenderIdentity(models.TextChoices):
    """US Core gender identity (SNOMED CT codes plus HL7 null flavours)."""

    FEMALE = "446141000124107", "Identifies as female"
    MALE = "446151000124109", "Identifies as male"
    NON_BINARY = "33791000087105", "Identifies as non-binary"
    OTHER = "OTH", "Other"
    ASKED_DECLINED = "ASKU", "Asked but declined"
    UNKNOWN = "UNK", "Unknown"


class PhoneType(models.TextChoices):
    """FHIR ContactPoint.use."""

    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    WORK = "work", "Work"


class GuarantorKind(models.TextChoices):
    SELF = "self", "The patient"
    PATIENT = "patient", "Another patient"
    PERSON = "person", "Another person"


class CoveragePriority(models.IntegerChoices):
    """Coordination of benefits order (FHIR Coverage.order)."""

    PRIMARY = 1, "Primary"
    SECONDARY = 2, "Secondary"
    TERTIARY = 3, "Tertiary"


class CoverageStatus(models.TextChoices):
    """FHIR Coverage.status."""

    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class SubscriberRelationship(models.TextChoices):
    """X12 individual relationship codes (INS02/SBR02/PAT01), stored as-is for 270 and 837P."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    EMPLOYEE = "20", "Employee"
    UNKNOWN = "21", "Unknown"
    ORGAN_DONOR = "39", "Organ donor"
    CADAVER_DONOR = "40", "Cadaver donor"
    LIFE_PARTNER = "53", "Life partner"
    OTHER = "G8", "Other relationship"
