# mypy: disable-error-code="arg-type, attr-defined, misc, union-attr"
"""A posted 835 with one denial at a location: for the policy and API matrices."""

from __future__ import annotations

from typing import Any

from frontdesk.remittance.models import Denial
from frontdesk.remittance.services import era_import
from frontdesk.remittance.tests.helpers import (
    World,
    adj,
    claim_payment,
    era,
    make_claim,
    service,
)


def sample_denial(location: Any, patient: Any = None) -> Denial:
    """A denied line (CO-50) of a claim at ``location``, from a posted 835."""
    world = World(location)
    claim = make_claim(world, [("99213", [], "150.00"), ("97110", [], "60.00")], patient=patient)
    first, second = claim.lines.order_by("line_number")
    payment = claim_payment(
        claim,
        [
            service(first, "100.00", adj("CO", "45", "30.00"), adj("PR", "2", "20.00")),
            service(second, "0.00", adj("CO", "50", "60.00"), remarks=["N115"]),
        ],
    )
    era_import(
        actor=world.biller,
        data=era(world, [payment], trace=f"SAMPLE{claim.pk:06d}"),
        filename="sample.835",
    )
    return Denial.objects.get(claim=claim)
