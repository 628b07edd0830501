"""The simulated payer: pure functions from an X12 request to the payer's X12 answers.

No Django, no models, no clock (``today`` is passed in), no randomness: the same file always gets the
same answer, decided by the documented rules in ``docs/simulated-payer.md`` from member IDs, payer IDs
and codes in the file. The transports (``clearinghouse/transports.py``) deliver what these return.

``answer_270`` lives in ``eligibility``, ``answer_837`` and ``SimulatedReplies`` in ``claims``; they
are imported on first use, so each half needs only its own codecs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SimulatedReplies", "answer_270", "answer_837"]


def __getattr__(name: str) -> Any:
    if name == "answer_270":
        from frontdesk.clearinghouse.simulated.eligibility import answer_270

        return answer_270
    if name in ("answer_837", "SimulatedReplies"):
        from frontdesk.clearinghouse.simulated import claims

        return getattr(claims, name)
    raise AttributeError(name)
