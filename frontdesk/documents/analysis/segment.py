"""Split a multi-patient packet into page ranges, one patient each.

Each page's identity is ``Identifiers.key()``: (last name, first initial, date of birth), any part
possibly unknown, plus the FrontDesk MRNs it names. A range keeps the identity it has learned so far
(parts filled in by later pages of the same patient). A page starts a new range when its identity
CONFLICTS with the range's: a known last name that differs (names closer than Jaro-Winkler 0.9
count as the same, OCR slips such as "Testpatlent"), a known first initial that differs, a known
date of birth that differs, or MRNs none of which the range has seen. Pages with no identity, or
with parts that agree or are unknown, join the current range.
"""

from __future__ import annotations

from datetime import date

import jellyfish

from frontdesk.documents.analysis.extract import Identifiers

Key = tuple[str | None, str | None, date | None]
_SAME_NAME = 0.9


def _same_last(a: str, b: str) -> bool:
    return a == b or jellyfish.jaro_winkler_similarity(a, b) >= _SAME_NAME


def conflicts(current: Key, page: Key) -> bool:
    """Whether ``page`` names another patient than ``current`` (unknown parts never conflict)."""
    last_a, initial_a, dob_a = current
    last_b, initial_b, dob_b = page
    if last_a and last_b and not _same_last(last_a, last_b):
        return True
    if initial_a and initial_b and initial_a != initial_b:
        return True
    return bool(dob_a and dob_b and dob_a != dob_b)


def _merge(current: Key, page: Key) -> Key:
    return (current[0] or page[0], current[1] or page[1], current[2] or page[2])


_UNKNOWN: Key = (None, None, None)


def segment(pages: list[Identifiers]) -> list[tuple[int, int]]:
    """Page ranges ``[start, end)`` that each belong to one patient, covering every page."""
    if not pages:
        return []
    ranges: list[tuple[int, int]] = []
    start = 0
    current: Key = _UNKNOWN
    mrns: set[str] = set()
    for index, identifiers in enumerate(pages):
        key = identifiers.key() or _UNKNOWN
        page_mrns = set(identifiers.mrns)
        other_mrns = bool(mrns and page_mrns and not mrns & page_mrns)
        if index > start and (conflicts(current, key) or other_mrns):
            ranges.append((start, index))
            start, current, mrns = index, key, set(page_mrns)
        else:
            current = _merge(current, key)
            mrns |= page_mrns
    ranges.append((start, len(pages)))
    return ranges
