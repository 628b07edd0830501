"""Value sets of the kiosk app."""

from django.db import models


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


# What a patient may report as changed at the kiosk (and a reviewer may apply).
CHANGE_FIELDS: dict[str, str] = {
    "address_line1": "Street address",
    "address_line2": "Apartment / suite",
    "city": "City",
    "state": "State",
    "postal_code": "ZIP code",
    "phone": "Phone",
    "insurance": "Insurance (company and member ID)",
}
