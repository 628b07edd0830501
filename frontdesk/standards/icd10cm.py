"""ICD-10-CM code sets in memory: load, look up, check billability and search (pure Python, no Django).

A ``CodeSet`` is one release of ICD-10-CM: every category, subcategory and 7th-character code with its
description and whether it is billable (a leaf of the tabular list; a header has more specific codes
under it). Two sources are understood:

* the tabular XML and code list bundled with the ``simple-icd-10-cm`` package (FY2026 with the April 1
  2026 update), read by ``bundled_code_set()`` once per process (about a second);
* CMS's order file (``icd10cm-order-YYYY.txt``, fixed width: order number, code, billable flag, short
  and long description), read by ``parse_order_file(text)``; FrontDesk keeps imported releases in the
  database and rebuilds their ``CodeSet`` from the stored text, cached per process.

Search is an inverted index over description words, so a query answers in well under a millisecond
once a release is loaded: exact code first, then codes starting with the query, then descriptions
containing every word of the query (each query word may be the start of a description word).
"""

from __future__ import annotations

import bisect
import heapq
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# What a code looks like: a letter, a digit, an alphanumeric, then up to four more (dot optional).
CODE_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
_WORD_RE = re.compile(r"[a-z0-9]+")
# Words too common to narrow a search ("fracture of femur" searches "fracture femur").
STOP_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to"})
BUNDLED_CODE_LIST = "code-list-April-2026.txt"
BUNDLED_TABULAR = "icd10c-tabular-April-1-2026.xml"


class OrderFileError(ValueError):
    """The text is not a CMS ICD-10-CM order file; the message names the line (safe to show)."""


def normalize(code: str) -> str:
    """``"e11.9 "`` -> ``"E119"``: upper case, no dot, no spaces (the form codes are keyed by)."""
    return code.strip().upper().replace(".", "").replace(" ", "")


def with_dot(code: str) -> str:
    """``"E119"`` -> ``"E11.9"`` (the form people read and claims carry... without the dot on X12)."""
    code = normalize(code)
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def looks_like_code(text: str) -> bool:
    """True for text shaped like an ICD-10-CM code (``E11``, ``E11.9``, ``s0000xa``)."""
    return bool(CODE_RE.match(text.strip().upper()))


@dataclass(frozen=True, slots=True)
class Icd10Entry:
    """One ICD-10-CM code of one release."""

    code: str  # without the dot: "E119"
    description: str
    billable: bool

    @property
    def dotted(self) -> str:
        return with_dot(self.code)


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


class CodeSet:
    """One release's codes, indexed for lookup, code-prefix search and word search.

    Entries are numbered shortest description first, and every word's posting list is in that order,
    so a search walks the lists from the front and stops as soon as it has enough answers.
    """

    def __init__(self, entries: Iterable[Icd10Entry]) -> None:
        by_code: dict[str, Icd10Entry] = {}
        for entry in entries:
            by_code[entry.code] = entry
        self._by_code = by_code
        self._entries: list[Icd10Entry] = sorted(
            by_code.values(), key=lambda e: (len(e.description), e.code)
        )
        # Codes by length, each list sorted: a prefix search takes the shortest codes first.
        self._codes_by_length: dict[int, list[str]] = {}
        for code in sorted(by_code):
            self._codes_by_length.setdefault(len(code), []).append(code)
        postings: dict[str, list[int]] = {}
        for index, entry in enumerate(self._entries):
            for word in dict.fromkeys(_words(entry.description)):
                postings.setdefault(word, []).append(index)
        self._postings: dict[str, tuple[int, ...]] = {w: tuple(p) for w, p in postings.items()}
        self._vocabulary: list[str] = sorted(self._postings)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize(code) in self._by_code

    def __iter__(self) -> Iterator[Icd10Entry]:
        """Every entry in code order."""
        return (self._by_code[c] for c in sorted(self._by_code))

    @property
    def billable_count(self) -> int:
        return sum(1 for e in self._entries if e.billable)

    def get(self, code: str) -> Icd10Entry | None:
        return self._by_code.get(normalize(code))

    def children(self, code: str, *, billable_only: bool = False) -> list[Icd10Entry]:
        """The codes under ``code`` (every depth), in code order."""
        prefix = normalize(code)
        found = [
            self._by_code[c]
            for c in self._with_prefix(prefix)
            if c != prefix and (self._by_code[c].billable or not billable_only)
        ]
        return sorted(found, key=lambda e: e.code)

    def _with_prefix(self, prefix: str, limit: int | None = None) -> Iterator[str]:
        """Codes starting with ``prefix``, shortest first, then in code order."""
        count = 0
        for length in sorted(self._codes_by_length):
            if length < len(prefix):
                continue
            codes = self._codes_by_length[length]
            for index in range(bisect.bisect_left(codes, prefix), len(codes)):
                if not codes[index].startswith(prefix):
                    break
                yield codes[index]
                count += 1
                if limit is not None and count >= limit:
                    return

    def _prefix_postings(self, word: str) -> list[tuple[int, ...]]:
        lists = []
        for index in range(bisect.bisect_left(self._vocabulary, word), len(self._vocabulary)):
            candidate = self._vocabulary[index]
            if not candidate.startswith(word):
                break
            lists.append(self._postings[candidate])
        return lists

    def search(self, query: str, *, limit: int = 20) -> list[Icd10Entry]:
        """Rank: the exact code, then codes starting with the query (shortest first), then
        descriptions holding every query word as a whole word, then as the start of a word (each
        group shortest description first)."""
        text = query.strip()
        if not text or limit <= 0:
            return []
        found: list[Icd10Entry] = []
        seen: set[str] = set()
        compact = normalize(text)
        if re.fullmatch(r"[A-Z][0-9A-Z]{0,6}", compact):
            for code in self._with_prefix(compact, limit=limit + 1):
                if len(found) >= limit:
                    return found
                entry = self._by_code[code]
                if code == compact:
                    found.insert(0, entry)
                else:
                    found.append(entry)
                seen.add(code)
        words = list(dict.fromkeys(w for w in _words(text) if w not in STOP_WORDS)) or _words(text)
        if not words or len(found) >= limit:
            return found[:limit]
        prefix_lists = {w: self._prefix_postings(w) for w in words}
        if any(not lists for lists in prefix_lists.values()):
            return found
        # Entry numbers are already in display order (shortest description first), so the first
        # numbers of a match set are the answers: whole-word matches, then word-start matches.
        streams: list[Iterable[int]]
        if len(words) == 1:
            streams = [
                self._postings.get(words[0], ()),
                heapq.merge(*prefix_lists[words[0]]),
            ]
        else:
            exact = [set(self._postings.get(w, ())) for w in words]
            starts = [set().union(*prefix_lists[w]) for w in words]
            exact.sort(key=len)
            starts.sort(key=len)
            streams = [
                sorted(exact[0].intersection(*exact[1:])),
                sorted(starts[0].intersection(*starts[1:])),
            ]
        for stream in streams:
            for index in stream:
                entry = self._entries[index]
                if entry.code in seen:
                    continue
                found.append(entry)
                seen.add(entry.code)
                if len(found) >= limit:
                    return found
        return found


# --- sources --------------------------------------------------------------------------------------------


def parse_order_file(text: str) -> CodeSet:
    """Read CMS's ``icd10cm-order-YYYY.txt`` (fixed width; see docs/codes.md) into a CodeSet.

    Columns: 1-5 order number, 7-13 code (no dot, left aligned), 15 ``1`` billable / ``0`` header,
    17-76 short description, 78 on the long description. Raises OrderFileError naming the line.
    """
    entries: list[Icd10Entry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if len(line) < 17 or not line[:5].strip().isdigit():
            raise OrderFileError(
                f"Line {number} is not an order-file line (5-digit order number, code, flag, text)."
            )
        code = line[6:13].strip().upper()
        flag = line[14:15]
        if not CODE_RE.match(code):
            raise OrderFileError(f"Line {number}: {code!r} is not an ICD-10-CM code.")
        if flag not in ("0", "1"):
            raise OrderFileError(
                f"Line {number}: the billable flag (column 15) must be 0 or 1, not {flag!r}."
            )
        long_description = line[77:].strip() if len(line) > 77 else ""
        description = long_description or line[16:76].strip()
        if not description:
            raise OrderFileError(f"Line {number}: code {code} has no description.")
        entries.append(Icd10Entry(code=code, description=description, billable=flag == "1"))
    if not entries:
        raise OrderFileError("The file holds no codes.")
    return CodeSet(entries)


def format_order_file(entries: Iterable[Icd10Entry]) -> str:
    """Write entries in CMS order-file layout (tests and fixtures build small releases with this)."""
    lines = []
    for number, entry in enumerate(entries, start=1):
        short = entry.description[:60]
        lines.append(
            f"{number:05d} {entry.code:<7} {'1' if entry.billable else '0'} {short:<60} "
            f"{entry.description}"
        )
    return "\n".join(lines) + "\n"


def _bundled_text(name: str) -> str:
    # Found through the import system without importing the package: importing simple_icd_10_cm
    # builds its own tree of every code (three seconds) which FrontDesk does not use.
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("The simple-icd-10-cm package is not installed.")
    return (Path(spec.origin).parent / "data" / name).read_text(encoding="utf-8")


def _tabular_entries(root: ET.Element, confirmed: set[str]) -> list[Icd10Entry]:
    """Walk the tabular list: every <diag> is a code; leaves are billable; a leaf under a 7th-character
    definition becomes its extended codes (padded with X), kept only when the code list has them."""
    entries: list[Icd10Entry] = []

    def walk(node: ET.Element, seventh: dict[str, str] | None) -> None:
        name = node.findtext("name") or ""
        description = node.findtext("desc") or ""
        definition = node.find("sevenChrDef")
        if definition is not None:
            seventh = {
                ext.attrib["char"]: (ext.text or "")
                for ext in definition.findall("extension")
                if "char" in ext.attrib
            }
        children = node.findall("diag")
        code = normalize(name)
        if children:
            entries.append(Icd10Entry(code=code, description=description, billable=False))
            for child in children:
                walk(child, seventh)
            return
        if seventh:
            entries.append(Icd10Entry(code=code, description=description, billable=False))
            padded = code.ljust(6, "X")
            for char, meaning in seventh.items():
                extended = padded + char
                if extended in confirmed:
                    entries.append(
                        Icd10Entry(
                            code=extended, description=f"{description}, {meaning}", billable=True
                        )
                    )
            return
        entries.append(Icd10Entry(code=code, description=description, billable=True))

    for chapter in root.findall("chapter"):
        for section in chapter.findall("section"):
            for diag in section.findall("diag"):
                walk(diag, None)
    return entries


@lru_cache(maxsize=1)
def bundled_code_set() -> CodeSet:
    """The FY2026 (April 2026) release shipped with simple-icd-10-cm, parsed once per process."""
    confirmed = {
        line.split(" ")[0].strip() for line in _bundled_text(BUNDLED_CODE_LIST).split("\n")
    }
    # The installed package's own file, not outside input.
    root = ET.fromstring(_bundled_text(BUNDLED_TABULAR))  # noqa: S314
    return CodeSet(_tabular_entries(root, confirmed))
