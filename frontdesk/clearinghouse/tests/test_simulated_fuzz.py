"""Whatever claims FrontDesk can write, the simulated payer answers with files that read back: a 999
accepting them, a 277CA naming every claim, and an 835 that balances (read_835 checks it)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.clearinghouse.simulated import answer_837
from frontdesk.clearinghouse.tests.claim_samples import header
from frontdesk.standards.x12.acks import read_277ca, read_999
from frontdesk.standards.x12.claims import write_837p
from frontdesk.standards.x12.remittance import read_835
from tests.x12.test_fuzz_claims import batches


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), today=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)))
def test_any_batch_gets_readable_balanced_answers(batch, today):
    replies = answer_837(write_837p([batch], header(900)), today)
    (functional,) = read_999(replies.ack_999)
    assert functional.status == "A"
    (report,) = read_277ca(replies.ack_277ca)
    claim_ids = [c.claim_id for g in batch.groups for c in g.claims]
    assert sorted(c.patient_control_number for c in report.claims) == sorted(claim_ids)
    accepted = {c.patient_control_number for c in report.claims if c.accepted}
    remitted = (
        [c.patient_control_number for r in read_835(replies.remittance_835) for c in r.claims]
        if replies.remittance_835
        else []
    )
    assert set(remitted) <= accepted
