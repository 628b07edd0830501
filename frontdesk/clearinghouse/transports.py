"""Transports to the clearinghouse, behind one interface.

``get_transport()`` reads ``settings.FRONTDESK_CLEARINGHOUSE`` (environment variable of the same name):

- ``simulated`` (the default): the built-in simulated payer (``clearinghouse/simulated``) answers a
  real-time 270 at once with a 271; a submitted 837P leaves a 999 and a 277CA to collect at once and an
  835 after ``FRONTDESK_SIMULATED_PAYER_DELAY`` seconds (default 0); a batch 270 leaves its 271s.
  Replies wait encrypted under ``MEDIA_ROOT/simulated-payer``. It fails like a real one when told to:
  ``FRONTDESK_SIMULATED_PAYER_DOWN=1``, or payer id ``SIMDOWN`` (not answering), ``SIMSLOW`` (no answer
  in time) or ``SIMGARBAGE`` (answers something that is not X12) in the file.
- ``files:<dir>``: SFTP-style drop boxes. We write to ``<dir>/outbox`` (a temporary name, then an
  atomic rename: the other side never sees half a file; names are unique and never overwritten) and
  collect from ``<dir>/inbox``; a collected file moves to ``<dir>/inbox/processed`` only once it is
  recorded (``done``). A real-time 270 is written to the outbox and the matching 271 (by the 270's
  ISA13 in the file name, or by the TRN trace number echoed in the 271) is awaited in the inbox until
  the timeout.

Every failure is a ``TransportError`` whose ``reason`` is plain words for the screen; ``delivered``
says whether the file reached the other side before it went wrong (then it was disclosed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from frontdesk.core import crypto
from frontdesk.standards.x12.envelope import Segment, split_segments
from frontdesk.standards.x12.errors import X12Error

DEFAULT_TIMEOUT = 20.0
MAX_FILE_BYTES = 50 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


class TransportError(Exception):
    """The clearinghouse could not be reached, did not answer in time, or answered garbage."""

    def __init__(self, reason: str, *, delivered: bool = False, content: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.delivered = delivered  # the request reached the other side before the failure
        self.content = content  # what came back, when something did (kept for the record)


@dataclass(frozen=True)
class InboundFile:
    """A file waiting in the inbox: its name there and its bytes."""

    name: str
    content: bytes


class Transport(Protocol):
    name: str

    def realtime(self, payload: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Send a 270 and return its 271 (raises ``TransportError``)."""
        ...

    def submit(self, filename: str, payload: str) -> None:
        """Drop a batch file (837P, batch 270) for the clearinghouse (raises ``TransportError``)."""
        ...

    def collect(self) -> list[InboundFile]:
        """The files waiting in the inbox, oldest first (raises ``TransportError``)."""
        ...

    def done(self, file: InboundFile) -> None:
        """Take a collected file out of the inbox, once it has been recorded."""
        ...


# --- helpers shared by the transports -----------------------------------------------------------


def _segments(text: str | bytes) -> list[Segment]:
    return split_segments(text)[1]


def control_number_of(text: str | bytes) -> str:
    """ISA13 of an interchange, or "" when the text is not X12."""
    try:
        segments = _segments(text)
    except X12Error:
        return ""
    return segments[0].get(13) if segments and segments[0].id == "ISA" else ""


def trace_numbers_of(text: str | bytes) -> set[str]:
    """The TRN02 trace numbers in a file (a 270's, echoed by its 271)."""
    try:
        return {s.get(2) for s in _segments(text) if s.id == "TRN" and s.get(2)}
    except X12Error:
        return set()


def transaction_code_of(text: str | bytes) -> str:
    """ST01 of the first transaction ("" when not X12); TA1 for an interchange acknowledgment."""
    try:
        segments = _segments(text)
    except X12Error:
        return ""
    for segment in segments:
        if segment.id == "ST":
            return segment.get(1)
        if segment.id == "TA1":
            return "TA1"
    return ""


def check_271(answer: str | bytes) -> str:
    """The answer as text when it is an X12 271 interchange; ``TransportError`` otherwise."""
    raw = answer.encode() if isinstance(answer, str) else answer
    from frontdesk.standards.x12.envelope import parse

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        interchanges = parse(text)
    except X12Error as exc:
        raise TransportError(
            f"The clearinghouse answered with something that is not X12 ({exc}).",
            delivered=True,
            content=raw,
        ) from None
    codes = {t.code for i in interchanges for t in i.transactions()}
    if codes != {"271"}:
        found = ", ".join(sorted(codes)) or "no transaction"
        raise TransportError(
            f"The clearinghouse answered with {found} instead of a 271 eligibility response.",
            delivered=True,
            content=raw,
        )
    return text


def safe_name(name: str) -> str:
    cleaned = _SAFE_NAME.sub("_", os.path.basename(name)).lstrip(".")
    return cleaned[:150] or "file.x12"


# --- files: SFTP-style drop boxes ---------------------------------------------------------------


class FileTransport:
    """Outbox/inbox folders (as an SFTP drop box works), written atomically and collected once."""

    poll_interval = 0.2

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        self.name = f"files:{self.root}"
        self.outbox = self.root / "outbox"
        self.inbox = self.root / "inbox"
        self.processed = self.inbox / "processed"

    def _ensure(self) -> None:
        try:
            for folder in (self.outbox, self.inbox, self.processed):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(
                f"The clearinghouse folder {self.root} cannot be used ({exc.strerror})."
            ) from None

    def submit(self, filename: str, payload: str) -> None:
        self._ensure()
        name = safe_name(filename)
        final = self.outbox / name
        temp = self.outbox / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            with open(temp, "xb") as handle:
                handle.write(payload.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                # A hard link refuses to replace an existing file, and appears whole at once.
                os.link(temp, final)
            except FileExistsError:
                raise TransportError(
                    f"A file named {name} is already waiting in the outbox; nothing was sent."
                ) from None
            except OSError:
                if final.exists():
                    raise TransportError(
                        f"A file named {name} is already waiting in the outbox; nothing was sent."
                    ) from None
                os.replace(temp, final)
        except TransportError:
            raise
        except OSError as exc:
            raise TransportError(
                f"The file could not be written to the outbox ({exc.strerror})."
            ) from None
        finally:
            temp.unlink(missing_ok=True)

    def _waiting(self) -> list[Path]:
        try:
            entries = [
                p
                for p in self.inbox.iterdir()
                if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".tmp")
            ]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise TransportError(f"The inbox cannot be read ({exc.strerror}).") from None
        return sorted(entries, key=lambda p: (p.stat().st_mtime, p.name))

    def collect(self) -> list[InboundFile]:
        self._ensure()
        files: list[InboundFile] = []
        for path in self._waiting():
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue  # left for a person: far larger than any file we expect
                files.append(InboundFile(path.name, path.read_bytes()))
            except FileNotFoundError:
                continue  # taken by a concurrent collector
            except OSError as exc:
                raise TransportError(f"The inbox cannot be read ({exc.strerror}).") from None
        return files

    def done(self, file: InboundFile) -> None:
        source = self.inbox / file.name
        if not source.exists():
            return
        target = self.processed / file.name
        if target.exists():
            target = self.processed / f"{target.stem}-{uuid.uuid4().hex[:8]}{target.suffix}"
        with contextlib.suppress(FileNotFoundError):
            os.replace(source, target)

    def realtime(self, payload: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        control = control_number_of(payload)
        traces = trace_numbers_of(payload)
        self.submit(f"270-{control or 'x'}-{uuid.uuid4().hex[:12]}.x12", payload)
        deadline = time.monotonic() + timeout
        while True:
            for path in self._waiting():
                try:
                    content = path.read_bytes()
                except OSError:
                    continue
                by_name = bool(control) and control in path.name
                by_trace = (
                    bool(traces)
                    and transaction_code_of(content) == "271"
                    and bool(trace_numbers_of(content) & traces)
                )
                if by_name or by_trace:
                    self.done(InboundFile(path.name, content))
                    return check_271(content)
            if time.monotonic() >= deadline:
                raise TransportError(
                    f"The clearinghouse did not answer within {timeout:g} s.", delivered=True
                )
            time.sleep(self.poll_interval)


# --- the built-in simulated payer ---------------------------------------------------------------


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value).strip()


def _payer_ids(text: str) -> set[str]:
    try:
        return {
            s.get(9) for s in _segments(text) if s.id == "NM1" and s.get(1) == "PR" and s.get(9)
        }
    except X12Error:
        return set()


def _simulated(name: str) -> Any:
    """The simulated payer's function ``name`` (imported late: it needs every X12 codec)."""
    try:
        from frontdesk.clearinghouse import simulated

        return getattr(simulated, name)
    except ImportError as exc:  # a codec missing from this installation
        raise TransportError(f"The simulated payer is not available ({exc}).") from None


class SimulatedTransport:
    """The simulated payer as a transport: real X12 answers from documented rules, no network."""

    name = "simulated"

    def __init__(self, root: str | Path | None = None, *, delay: float | None = None) -> None:
        base = root or _setting("FRONTDESK_SIMULATED_PAYER_DIR", "")
        # Under MEDIA_ROOT by default: the replies are encrypted files like every stored file, and
        # each test run (which isolates MEDIA_ROOT) gets a payer with an empty mailbox.
        self.root = Path(base) if base else Path(settings.MEDIA_ROOT) / "simulated-payer"
        self.pending = self.root / "pending"
        self.delay = (
            delay
            if delay is not None
            else float(_setting("FRONTDESK_SIMULATED_PAYER_DELAY", "0") or 0)
        )

    def _down(self, payload: str) -> None:
        flag = _setting("FRONTDESK_SIMULATED_PAYER_DOWN", "").lower()
        if flag in ("1", "true", "yes", "on") or "SIMDOWN" in _payer_ids(payload):
            raise TransportError("The clearinghouse is not answering (simulated outage).")

    def _today(self) -> dt.date:
        return timezone.localdate()

    def realtime(self, payload: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        self._down(payload)
        payers = _payer_ids(payload)
        if "SIMSLOW" in payers:
            raise TransportError(
                f"The clearinghouse did not answer within {timeout:g} s.", delivered=True
            )
        if "SIMGARBAGE" in payers:
            return check_271("<html><body>502 Bad Gateway</body></html>")
        answer_270 = _simulated("answer_270")
        try:
            answer = answer_270(payload, self._today())
        except X12Error as exc:
            raise TransportError(
                f"The clearinghouse refused the inquiry ({exc}).", delivered=True
            ) from None
        return check_271(answer)

    def submit(self, filename: str, payload: str) -> None:
        self._down(payload)
        code = transaction_code_of(payload)
        now = time.time()
        replies: list[tuple[float, str, str]] = []
        if code == "837":
            answer_837 = _simulated("answer_837")
            try:
                answered = answer_837(payload, self._today())
            except X12Error as exc:
                raise TransportError(f"The clearinghouse refused the file ({exc}).") from None
            # In the order a payer answers, a millisecond apart so the inbox lists them in that
            # order: the 999, then the 277CA (both already waiting), then the 835 (after the delay).
            replies.append((now - 0.002, "999", answered.ack_999))
            if answered.ack_277ca:
                replies.append((now - 0.001, "277CA", answered.ack_277ca))
            if answered.remittance_835:
                replies.append((now + self.delay, "835", answered.remittance_835))
        elif code == "270":
            answer_270 = _simulated("answer_270")
            try:
                replies.append((now, "271", answer_270(payload, self._today())))
            except X12Error as exc:
                raise TransportError(f"The clearinghouse refused the file ({exc}).") from None
        else:
            raise TransportError(
                "The simulated payer accepts 270 and 837P files only; nothing was sent."
            )
        try:
            self.pending.mkdir(parents=True, exist_ok=True)
            for ready, kind, text in replies:
                readable = f"{kind}-{control_number_of(text) or 'x'}-{uuid.uuid4().hex[:8]}.x12"
                # Encrypted at rest like every stored file: replies carry (synthetic) PHI.
                target = self.pending / f"{int(ready * 1000):015d}__{readable}.enc"
                temp = target.with_suffix(".tmp")
                temp.write_bytes(crypto.encrypt_bytes(text.encode("utf-8")))
                os.replace(temp, target)
        except OSError as exc:
            raise TransportError(
                f"The simulated payer could not store its answer ({exc.strerror})."
            ) from None

    def _ready(self) -> list[tuple[Path, str]]:
        if not self.pending.is_dir():
            return []
        now_ms = int(time.time() * 1000)
        ready: list[tuple[Path, str]] = []
        for path in sorted(self.pending.glob("*__*.enc")):
            stamp, _, readable = path.name.partition("__")
            if stamp.isdigit() and int(stamp) <= now_ms:
                ready.append((path, readable.removesuffix(".enc")))
        return ready

    def collect(self) -> list[InboundFile]:
        if _setting("FRONTDESK_SIMULATED_PAYER_DOWN", "").lower() in ("1", "true", "yes", "on"):
            raise TransportError("The clearinghouse is not answering (simulated outage).")
        files: list[InboundFile] = []
        for path, readable in self._ready():
            try:
                files.append(InboundFile(readable, crypto.decrypt_bytes(path.read_bytes())))
            except (OSError, ValueError):
                continue
        return files

    def done(self, file: InboundFile) -> None:
        for path in self.pending.glob(f"*__{file.name}.enc"):
            path.unlink(missing_ok=True)


def get_transport() -> Transport:
    """The configured transport: ``simulated`` (default) or ``files:<dir>``."""
    configured = _setting("FRONTDESK_CLEARINGHOUSE", "simulated") or "simulated"
    if configured == "simulated":
        return SimulatedTransport()
    if configured.startswith("files:") and configured[len("files:") :].strip():
        return FileTransport(configured[len("files:") :].strip())
    raise TransportError(
        f"FRONTDESK_CLEARINGHOUSE must be 'simulated' or 'files:<dir>', not {configured!r}."
    )
