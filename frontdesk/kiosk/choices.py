"""Value sets of the kiosk app."""

from django.db import models

from frontdesk.patients.choices import SubscriberRelationship


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


# Address and phone a patient may report as changed at the kiosk (and a reviewer may apply).
CHANGE_FIELDS: dict[str, str] = {
    "address_line1": "Street address",
    "address_line2": "Apartment / suite",
    "city": "City",
    "state": "State",
    "postal_code": "ZIP code",
    "phone": "Phone",
}

# A reported insurance change is stored under this key of ``KioskChangeRequest.fields`` as a dict
# (payer, member ID, group number, who holds it); card photos are the request's own files.
INSURANCE = "insurance"
PAYER_OTHER = "other"


class InsuranceHolder(models.TextChoices):
    """Who holds the insurance, as the patient answers it on the tablet."""

    SELF = "self", "Me"
    SPOUSE = "spouse", "My spouse"
    CHILD = "child", "My parent (I am their child)"
    OTHER = "other", "Someone else"


# The coverage's "patient's relationship to subscriber" (X12 code) for each answer.
HOLDER_RELATIONSHIP: dict[str, str] = {
    InsuranceHolder.SELF: SubscriberRelationship.SELF,
    InsuranceHolder.SPOUSE: SubscriberRelationship.SPOUSE,
    InsuranceHolder.CHILD: SubscriberRelationship.CHILD,
    InsuranceHolder.OTHER: SubscriberRelationship.OTHER,
}

CARD_SIDES: dict[str, str] = {"front": "card_front", "back": "card_back"}
