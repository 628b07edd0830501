from django.db import models


class AuditAction(models.TextChoices):
    """What happened, in the vocabulary of ONC 170.315(d)(2) and FHIR AuditEvent.action."""

    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    PRINT = "print", "Print"
    EXPORT = "export", "Export"
    QUERY = "query", "Query"
    DISCLOSE = "disclose", "Disclose"
    LOGIN = "login", "Login"
    LOGOUT = "logout", "Logout"
    LOGIN_FAILED = "login-failed", "Login failed"
    PRIVILEGE_CHANGE = "privilege-change", "Privilege change"
    EMERGENCY_ACCESS = "emergency-access", "Emergency access"
    MERGE = "merge", "Merge"


class AuditCategory(models.TextChoices):
    """The kind of data touched (minimum-necessary reviews filter by it)."""

    DEMOGRAPHICS = "demographics", "Demographics"
    INSURANCE = "insurance", "Insurance"
    SCHEDULE = "schedule", "Schedule"
    FINANCIAL = "financial", "Financial"
    DOCUMENTS = "documents", "Documents"
    CLINICAL = "clinical", "Clinical"
    SECURITY = "security", "Security"
    AUDIT = "audit", "Audit log"
    CONFIGURATION = "configuration", "Configuration"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"
