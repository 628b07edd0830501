"""Fuzzed 270/271/999/277CA: readers return or raise X12ParseError — never another exception, never hang.

Each example runs under a 2-second alarm (SIGALRM), so a reader that loops forever fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.standards.x12.acks import read_277ca, read_999
from frontdesk.standards.x12.eligibility import read_270, read_271, write_270
from frontdesk.standards.x12.envelope import parse
from frontdesk.standards.x12.errors import X12ParseError
from tests.x12.conftest import header, inquiry

SAMPLES = Path(__file__).parent / "samples"


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"the reader ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _dependent_270() -> str:
    from frontdesk.standards.x12.eligibility import Person

    return write_270([inquiry(dependent=Person("TESTPATIENT", "KID"), relationship="19")], header())


CORPUS: list[tuple[str, Callable[[str], object]]] = [
    (write_270([inquiry()], header()), read_270),
    (_dependent_270(), read_270),
    *[
        ((SAMPLES / n).read_text(), read_271)
        for n in ("active_ppo.x12", "dependent.x12", "not_found.x12", "other_delimiters.x12")
    ],
    ((SAMPLES / "999_rejected.x12").read_text(), read_999),
    ((SAMPLES / "277ca_mixed.x12").read_text(), read_277ca),
]
READERS: list[Callable[[str], object]] = [read_270, read_271, read_999, read_277ca, parse]


def _check(reader: Callable[[str], object], text: str) -> None:
    with time_limit(2.0):
        try:
            reader(text)
        except X12ParseError as exc:
            assert str(exc)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Callable[[str], object]]:
    text, reader = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        size = len(text)
        if size == 0:
            break
        at = draw(st.integers(0, size - 1))
        kind = draw(
            st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate", "swap"])
        )
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            text = (
                text[:at]
                + draw(
                    st.text(
                        st.sampled_from("*:^~|>!'\n\r0123456789ABCDEFGHLNSTZ-. \x00é"),
                        min_size=1,
                        max_size=12,
                    )
                )
                + text[at:]
            )
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from("*:^~\n0A9Z.-")) + text[at + 1 :]
        elif kind == "truncate":
            text = text[:at]
        elif kind == "duplicate":
            end = min(size, at + draw(st.integers(1, 80)))
            text = text[:end] + text[at:end] + text[end:]
        else:
            segments = text.split("~")
            if len(segments) > 3:
                i = draw(st.integers(0, len(segments) - 2))
                j = draw(st.integers(0, len(segments) - 2))
                segments[i], segments[j] = segments[j], segments[i]
                text = "~".join(segments)
    return text, reader


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated(), st.booleans())
def test_mutated_files_never_crash_or_hang(
    case: tuple[str, Callable[[str], object]], other_reader: bool
) -> None:
    text, reader = case
    _check(reader, text)
    if other_reader:
        for any_reader in READERS:
            _check(any_reader, text)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_random_input_never_crashes(data: str | bytes) -> None:
    for reader in READERS:
        _check(reader, data)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=200))
def test_random_bodies_behind_a_valid_isa(body: str) -> None:
    isa = CORPUS[2][0][:106]
    for reader in READERS:
        _check(reader, isa + body)


@pytest.mark.parametrize(("text", "reader"), CORPUS)
def test_every_prefix_of_a_valid_file_is_refused_cleanly(
    text: str, reader: Callable[[str], object]
) -> None:
    step = max(1, len(text) // 150)
    for cut in range(0, len(text) - 2, step):
        with pytest.raises(X12ParseError), time_limit(2.0):
            reader(text[:cut])
