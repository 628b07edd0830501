"""Score what the document pipeline did with a corpus against the corpus's labels. Pure: no Django.

``outcomes`` maps a manifest file name to what the pipeline decided for it::

    {"segments": [{"pages": [0, 2], "auto_filed": true, "patient_id": 12, "doc_type": "lab_result",
                   "suggestions": [12, 40, 7]}],
     "seconds": 3.2}

Page ranges are zero-based and half-open, as in the manifest. Each expected segment (a page range of
one patient, or of a person who is not a patient) is compared with the outcome segment that overlaps
it most. The figures:

- share auto-filed: expected segments whose outcome segment was filed without review / segments.
- auto-filed precision: auto-filed outcome segments all of whose pages belong to the patient they were
  filed to / auto-filed outcome segments. Anything else is listed as wrong: a wrong patient is a
  privacy breach, so the target is 100%.
- suggestions, top-1 and top-3: over expected segments of a known patient that were not auto-filed,
  whether that patient is the first / among the first three suggestions (a missing outcome counts as
  a miss).
- non-patients: segments about a person who is not a patient of the practice, and how many of them no
  auto-filed outcome segment touches.
- classification: the outcome segment's type against the expected one (a confusion table by type).
- split: documents with several segments whose outcome has exactly the expected page ranges.
- pages per minute: pages of the scored documents over their seconds (or over ``wall_seconds`` when
  the pipeline ran documents in parallel).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

NONE = "(none)"


class OutcomeSegment(TypedDict, total=False):
    pages: list[int]
    auto_filed: bool
    patient_id: int | None
    doc_type: str
    suggestions: list[int]


class Outcome(TypedDict, total=False):
    segments: list[OutcomeSegment]
    seconds: float


@dataclass(frozen=True)
class WrongFiling:
    """An auto-filed segment that holds pages of someone other than the patient it went to."""

    file: str
    pages: list[int]
    filed_to: int | None
    expected: list[int | None]


@dataclass
class Report:
    documents: int = 0
    documents_scored: int = 0  # documents with an outcome
    pages: int = 0
    segments: int = 0
    segments_auto_filed: int = 0
    auto_filed: int = 0  # outcome segments filed without review
    auto_filed_correct: int = 0
    wrong: list[WrongFiling] = field(default_factory=list)
    review_segments: int = 0  # known-patient segments not auto-filed
    top1: int = 0
    top3: int = 0
    non_patients: int = 0
    non_patients_not_filed: int = 0
    classified_correct: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    multi_patient_documents: int = 0
    split_correct: int = 0
    oversplit_documents: int = 0  # one expected segment, several outcome segments
    seconds: float = 0.0
    pages_scored: int = 0
    wall_seconds: float | None = None
    by_hard: dict[str, dict[str, int]] = field(default_factory=dict)

    # --- ratios (None when there is nothing to divide by) ---------------------------------------
    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def share_auto_filed(self) -> float | None:
        return self._ratio(self.segments_auto_filed, self.segments)

    @property
    def auto_filed_precision(self) -> float | None:
        return self._ratio(self.auto_filed_correct, self.auto_filed)

    @property
    def top1_accuracy(self) -> float | None:
        return self._ratio(self.top1, self.review_segments)

    @property
    def top3_accuracy(self) -> float | None:
        return self._ratio(self.top3, self.review_segments)

    @property
    def classification_accuracy(self) -> float | None:
        return self._ratio(self.classified_correct, self.segments)

    @property
    def split_accuracy(self) -> float | None:
        return self._ratio(self.split_correct, self.multi_patient_documents)

    @property
    def pages_per_minute(self) -> float | None:
        seconds = self.wall_seconds if self.wall_seconds is not None else self.seconds
        return self.pages_scored * 60 / seconds if seconds > 0 else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in (
            "share_auto_filed",
            "auto_filed_precision",
            "top1_accuracy",
            "top3_accuracy",
            "classification_accuracy",
            "split_accuracy",
            "pages_per_minute",
        ):
            data[name] = getattr(self, name)
        return data

    def as_markdown(self) -> str:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{value * 100:.1f}%"

        ppm = self.pages_per_minute
        lines = [
            "# Document inbox benchmark",
            "",
            "| Measure | Value |",
            "|---|---|",
            f"| Documents (scored) | {self.documents} ({self.documents_scored}) |",
            f"| Pages | {self.pages} |",
            f"| Segments | {self.segments} |",
            f"| Auto-filed | {pct(self.share_auto_filed)} ({self.segments_auto_filed}/{self.segments}) |",
            f"| Auto-filed precision (target 100%) | {pct(self.auto_filed_precision)} "
            f"({self.auto_filed_correct}/{self.auto_filed}) |",
            f"| Suggestion top-1 (review queue) | {pct(self.top1_accuracy)} "
            f"({self.top1}/{self.review_segments}) |",
            f"| Suggestion top-3 (review queue) | {pct(self.top3_accuracy)} "
            f"({self.top3}/{self.review_segments}) |",
            f"| Non-patients not filed | {self.non_patients_not_filed}/{self.non_patients} |",
            f"| Classification | {pct(self.classification_accuracy)} "
            f"({self.classified_correct}/{self.segments}) |",
            f"| Multi-patient split | {pct(self.split_accuracy)} "
            f"({self.split_correct}/{self.multi_patient_documents}) |",
            f"| Over-split single-patient documents | {self.oversplit_documents} |",
            f"| Pages per minute | {'n/a' if ppm is None else f'{ppm:.1f}'} |",
        ]
        if self.wrong:
            lines += ["", "## Wrongly auto-filed (privacy breaches)", ""]
            lines += [
                f"- {w.file} pages {w.pages[0] + 1}-{w.pages[1]}: filed to {w.filed_to}, "
                f"expected {', '.join('not a patient' if e is None else str(e) for e in w.expected)}"
                for w in self.wrong
            ]
        if self.by_hard:
            lines += [
                "",
                "## Hard cases",
                "",
                "| Case | Segments | Auto-filed | Wrong |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| {tag} | {row['segments']} | {row['auto_filed']} | {row['wrong']} |"
                for tag, row in sorted(self.by_hard.items())
            ]
        if self.confusion:
            predicted = sorted({p for row in self.confusion.values() for p in row})
            lines += ["", "## Classification (rows: expected, columns: predicted)", ""]
            lines.append("| expected | " + " | ".join(predicted) + " |")
            lines.append("|---" * (len(predicted) + 1) + "|")
            for expected, row in sorted(self.confusion.items()):
                cells = [str(row.get(p, 0)) for p in predicted]
                lines.append(f"| {expected} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def _overlap(a: list[int], b: list[int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _best(expected: list[int], outcome: list[OutcomeSegment]) -> OutcomeSegment | None:
    best: OutcomeSegment | None = None
    best_overlap = 0
    for segment in outcome:
        overlap = _overlap(expected, list(segment.get("pages", [0, 0])))
        if overlap > best_overlap:
            best, best_overlap = segment, overlap
    return best


def score(
    manifest: dict[str, Any],
    outcomes: dict[str, Outcome],
    *,
    wall_seconds: float | None = None,
) -> Report:
    """Compare ``outcomes`` (by file name) with the labels in ``manifest``."""
    report = Report(wall_seconds=wall_seconds)
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_hard: dict[str, dict[str, int]] = defaultdict(
        lambda: {"segments": 0, "auto_filed": 0, "wrong": 0}
    )
    for document in manifest["documents"]:
        report.documents += 1
        report.pages += int(document["pages"])
        expected = document["segments"]
        hard = document.get("hard", [])
        outcome = outcomes.get(document["file"])
        got: list[OutcomeSegment] = list(outcome.get("segments", [])) if outcome else []
        if outcome is not None:
            report.documents_scored += 1
            report.pages_scored += int(document["pages"])
            report.seconds += float(outcome.get("seconds", 0.0))

        # Every auto-filed outcome segment: right only if all its pages are that patient's.
        wrong_here = 0
        for segment in got:
            if not segment.get("auto_filed"):
                continue
            report.auto_filed += 1
            pages = list(segment.get("pages", [0, 0]))
            owners = [e["patient_id"] for e in expected if _overlap(e["pages"], pages)]
            filed_to = segment.get("patient_id")
            if owners and filed_to is not None and all(o == filed_to for o in owners):
                report.auto_filed_correct += 1
            else:
                wrong_here += 1
                report.wrong.append(
                    WrongFiling(document["file"], pages, filed_to, sorted(set(owners), key=str))
                )

        auto_here = 0
        for segment_expected in expected:
            report.segments += 1
            patient_id = segment_expected["patient_id"]
            best = _best(segment_expected["pages"], got)
            filed = bool(best and best.get("auto_filed"))
            if filed:
                report.segments_auto_filed += 1
                auto_here += 1
            if patient_id is None:
                report.non_patients += 1
                touched = any(
                    s.get("auto_filed") and _overlap(segment_expected["pages"], list(s["pages"]))
                    for s in got
                    if "pages" in s
                )
                if not touched:
                    report.non_patients_not_filed += 1
            elif not filed:
                report.review_segments += 1
                suggestions: list[int] = []
                if best is not None:
                    suggestions = list(best.get("suggestions") or [])
                    if not suggestions and best.get("patient_id") is not None:
                        suggestions = [best["patient_id"]]  # type: ignore[list-item]
                if suggestions[:1] == [patient_id]:
                    report.top1 += 1
                if patient_id in suggestions[:3]:
                    report.top3 += 1
            predicted = (best.get("doc_type") or NONE) if best is not None else NONE
            confusion[segment_expected["doc_type"]][predicted] += 1
            if predicted == segment_expected["doc_type"]:
                report.classified_correct += 1

        if len(expected) > 1:
            report.multi_patient_documents += 1
            want = sorted(tuple(e["pages"]) for e in expected)
            have = sorted(tuple(s.get("pages", [])) for s in got)
            if want == have:
                report.split_correct += 1
        elif len(got) > 1:
            report.oversplit_documents += 1

        for tag in hard:
            row = by_hard[tag]
            row["segments"] += len(expected)
            row["auto_filed"] += auto_here
            row["wrong"] += wrong_here

    report.confusion = {k: dict(v) for k, v in sorted(confusion.items())}
    report.by_hard = {k: by_hard[k] for k in sorted(by_hard)}
    return report
