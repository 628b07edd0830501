"""The simulated payer: pure functions from an X12 request to the payer's X12 answers.

No Django, no models, no clock (``today`` is passed in), no randomness: the same file always gets the
same answer, decided by the documented rules in ``docs/simulated-payer.md`` from member IDs, payer IDs
and codes in the file. The transports (``clearinghouse/transports.py``) deliver what these return.
"""

from __future__ import annotations

from frontdesk.clearinghouse.simulated.claims import SimulatedReplies, answer_837
from frontdesk.clearinghouse.simulated.eligibility import answer_270

__all__ = ["SimulatedReplies", "answer_270", "answer_837"]
