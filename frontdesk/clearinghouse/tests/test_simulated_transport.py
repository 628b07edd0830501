"""The simulated payer as a transport: answers at once, the 835 after the delay, encrypted while
waiting, and failures on demand (down, slow, garbage)."""

from __future__ import annotations

import time

import pytest

from frontdesk.clearinghouse.tests.claim_samples import batch, claim, file_837, group
from frontdesk.clearinghouse.tests.samples import tiny_270
from frontdesk.clearinghouse.transports import SimulatedTransport, TransportError, get_transport


def test_down_flag_fails_everything(simulated, settings):
    settings.FRONTDESK_SIMULATED_PAYER_DOWN = "1"
    transport = get_transport()
    for call in (
        lambda: transport.realtime(tiny_270()),
        lambda: transport.submit("a.x12", file_837()),
        transport.collect,
    ):
        with pytest.raises(TransportError, match="not answering"):
            call()


@pytest.mark.parametrize(
    ("payer_id", "reason"),
    [
        ("SIMDOWN", "The clearinghouse is not answering (simulated outage)."),
        ("SIMSLOW", "The clearinghouse did not answer within 3 s."),
    ],
)
def test_special_payer_ids_fail_realtime(simulated, payer_id, reason):
    with pytest.raises(TransportError) as caught:
        get_transport().realtime(tiny_270(payer_id=payer_id), timeout=3)
    assert caught.value.reason == reason


def test_garbage_answer_is_a_transport_error_with_the_content(simulated):
    with pytest.raises(TransportError, match="not X12") as caught:
        get_transport().realtime(tiny_270(payer_id="SIMGARBAGE"))
    assert b"502 Bad Gateway" in caught.value.content


def test_submit_leaves_acks_now_and_the_835_after_the_delay(simulated):
    transport = SimulatedTransport(delay=0.6)
    transport.submit("claims.x12", file_837())
    waiting = transport.pending.iterdir()
    # Stored encrypted: no member's name in the payer's mailbox.
    assert all(b"TESTPATIENT" not in path.read_bytes() for path in waiting)
    now = [f.name.split("-")[0] for f in transport.collect()]
    assert now == ["999", "277CA"]  # in the order a payer answers, ready at once
    time.sleep(0.7)
    files = transport.collect()
    assert [f.name.split("-")[0] for f in files] == ["999", "277CA", "835"]
    for file in files:
        transport.done(file)
    assert transport.collect() == []


def test_submit_of_something_else_is_refused(simulated):
    with pytest.raises(TransportError, match="270 and 837P files only"):
        get_transport().submit("x.x12", "ISA*junk")


def test_rejected_claims_get_no_835(simulated):
    transport = get_transport()
    transport.submit("claims.x12", file_837(batch(group(claim("FD1"), member_id="ZX1237777"))))
    kinds = sorted(f.name.split("-")[0] for f in transport.collect())
    assert kinds == ["277CA", "999"]


def test_a_batch_270_leaves_its_271(simulated):
    from frontdesk.clearinghouse.tests.test_simulated_payer import _270
    from frontdesk.standards.x12.eligibility import read_271

    transport = get_transport()
    transport.submit("batch.270", _270("ZX1234525"))
    (file,) = transport.collect()
    assert file.name.startswith("271-")
    (response,) = read_271(file.content)
    assert response.active is True
