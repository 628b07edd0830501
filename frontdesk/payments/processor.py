"""The card processor interface, the built-in TEST processor, and the shape of a real adapter.

FrontDesk never sees a card number: the card reader (or the processor's hosted field) turns the card
into a *token*, and FrontDesk sends the processor only that token, the amount and *our reference* (a
unique string per attempt, journalled in ``CardAttempt`` before the call). Real processors treat the
reference as an idempotency key: charging the same reference twice charges once and answers the same.
That is what makes the reconciliation safe: after a timeout or a crash we ``lookup(reference)`` and
either complete the payment with the processor's answer or record that the card was never charged.

Select the processor with ``settings.FRONTDESK_CARD_PROCESSOR``: ``"test"`` (the default) or the
dotted path of a class implementing ``CardProcessor``.

The TEST processor behaves by token:

=========================  ========================================================================
``tok_visa_approve``       approved, Visa ending 4242
``tok_mc_approve``         approved, Mastercard ending 4444
``tok_amex_approve``       approved, American Express ending 0005
``tok_hsa_approve``        approved, Visa (HSA/FSA) ending 1881
``tok_decline``            declined ("Card declined by the issuer")
``tok_timeout``            the processor *records the charge as approved* but the call times out:
                           the caller gets ``ProcessorTimeout``; ``lookup`` later finds it approved
``tok_timeout_unrecorded`` the call times out and the processor never recorded anything:
                           ``lookup`` answers None (the card was not charged)
=========================  ========================================================================

Its state (one small JSON file per reference, written atomically) lives in
``settings.FRONTDESK_TEST_PROCESSOR_DIR`` (default ``DATA_DIR/test-processor``), outside the database, so
it survives a crash of the FrontDesk process exactly as a real processor's books would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

APPROVED, DECLINED, TIMEOUT = "approved", "declined", "timeout"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-]{4,80}$")


class ProcessorTimeout(Exception):
    """The processor did not answer in time: the charge may or may not have happened. Reconcile
    (``lookup`` by reference) before any retry."""


class ProcessorError(Exception):
    """The processor refused the request itself (unknown reference, malformed call)."""


@dataclass(frozen=True)
class ProcessorResult:
    """The processor's answer for one reference. ``status`` is approved or declined (a timeout is an
    exception, never a result)."""

    reference: str
    status: str
    amount: Decimal
    transaction_id: str = ""
    auth_code: str = ""
    brand: str = ""
    last4: str = ""
    message: str = ""
    kind: str = "charge"  # charge / refund
    voided: bool = False
    refunded: Decimal = Decimal("0.00")

    @property
    def approved(self) -> bool:
        return self.status == APPROVED


class CardProcessor(Protocol):
    """What FrontDesk needs from a card processor. Every call is keyed by our ``reference``; a
    repeated call with the same reference must not move money twice (answer the first result)."""

    name: str

    def charge(self, *, reference: str, token: str, amount: Decimal) -> ProcessorResult:
        """Charge ``amount`` to the card behind ``token``; raise ProcessorTimeout when unsure."""

    def void(self, *, reference: str) -> ProcessorResult:
        """Cancel the charge made under ``reference`` (before settlement: nothing moves)."""

    def refund(
        self, *, reference: str, original_reference: str, amount: Decimal
    ) -> ProcessorResult:
        """Give back ``amount`` of the charge ``original_reference`` to the same card."""

    def lookup(self, reference: str) -> ProcessorResult | None:
        """The processor's record of ``reference``, or None when it never received it."""


class ExampleGatewayAdapter:
    """The shape of a real adapter (not usable as is: it names the calls a gateway SDK makes).

    A real adapter maps each method to the gateway's API with our ``reference`` as the gateway's
    idempotency key and a short network timeout, and translates the answer:

    - ``charge`` -> "create payment/sale" with ``idempotency_key=reference``, ``source=token``,
      ``amount`` in cents; approved -> ``ProcessorResult(APPROVED, transaction_id=..., auth_code=...,
      brand=..., last4=...)``; a decline -> ``ProcessorResult(DECLINED, message=<issuer text>)``; a
      network timeout or a 5xx -> raise ``ProcessorTimeout``.
    - ``void`` -> "void/cancel" of the transaction found by ``lookup(reference)``.
    - ``refund`` -> "refund" of that transaction, ``idempotency_key=reference`` (the refund's own).
    - ``lookup`` -> "retrieve by idempotency key / merchant reference"; a 404 -> None.

    Configure it with ``FRONTDESK_CARD_PROCESSOR = "yourpackage.adapters.YourGatewayAdapter"``; read
    credentials from the environment in ``__init__``, never from the database or a log.
    """

    name = "example"

    def __init__(self) -> None:
        raise NotImplementedError("ExampleGatewayAdapter documents the adapter shape only.")


# --- the TEST processor -------------------------------------------------------------------------

_TEST_CARDS: dict[str, tuple[str, str, str]] = {
    # token: (behaviour, brand, last4)
    "tok_visa_approve": (APPROVED, "Visa", "4242"),
    "tok_mc_approve": (APPROVED, "Mastercard", "4444"),
    "tok_amex_approve": (APPROVED, "Amex", "0005"),
    "tok_hsa_approve": (APPROVED, "Visa", "1881"),
    "tok_decline": (DECLINED, "Visa", "0002"),
    "tok_timeout": ("timeout", "Visa", "0341"),
    "tok_timeout_unrecorded": ("lost", "Visa", "0119"),
}
TEST_TOKENS = tuple(_TEST_CARDS)


class TestProcessor:
    """A processor that keeps its books in files (see the module docstring for the test tokens)."""

    __test__ = False  # not a pytest test class
    name = "test"

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        configured = directory or getattr(settings, "FRONTDESK_TEST_PROCESSOR_DIR", None)
        self.directory = Path(configured or Path(settings.DATA_DIR) / "test-processor")

    # -- storage: one file per reference, replaced atomically --
    def _path(self, reference: str) -> Path:
        digest = hashlib.sha256(reference.encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def _read(self, reference: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self._path(reference).read_text()))
        except FileNotFoundError:
            return None

    def _write(self, record: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(record, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self._path(record["reference"]))

    @staticmethod
    def _result(record: dict[str, Any]) -> ProcessorResult:
        return ProcessorResult(
            reference=record["reference"],
            status=record["status"],
            amount=Decimal(record["amount"]),
            transaction_id=record.get("transaction_id", ""),
            auth_code=record.get("auth_code", ""),
            brand=record.get("brand", ""),
            last4=record.get("last4", ""),
            message=record.get("message", ""),
            kind=record.get("kind", "charge"),
            voided=bool(record.get("voided", False)),
            refunded=Decimal(record.get("refunded", "0.00")),
        )

    @staticmethod
    def _ids(reference: str) -> tuple[str, str]:
        digest = hashlib.sha256(reference.encode()).hexdigest()
        return f"tp_{digest[:20]}", str(int(digest[20:28], 16) % 1_000_000).zfill(6)

    # -- the interface --
    def charge(self, *, reference: str, token: str, amount: Decimal) -> ProcessorResult:
        existing = self._read(reference)
        if existing is not None:  # idempotent: same reference, same answer, no second charge
            return self._result(existing)
        behaviour, brand, last4 = _TEST_CARDS.get(token, (DECLINED, "", ""))
        if behaviour == "lost":
            raise ProcessorTimeout(reference)
        transaction_id, auth_code = self._ids(reference)
        record: dict[str, Any] = {
            "reference": reference,
            "kind": "charge",
            "amount": str(amount),
            "token": token,
            "brand": brand,
            "last4": last4,
        }
        if behaviour == DECLINED:
            message = "Card declined by the issuer." if brand else "Unknown card token."
            record.update(status=DECLINED, message=message)
        else:
            record.update(status=APPROVED, transaction_id=transaction_id, auth_code=auth_code)
        self._write(record)
        if behaviour == "timeout":
            raise ProcessorTimeout(reference)
        return self._result(record)

    def void(self, *, reference: str) -> ProcessorResult:
        record = self._read(reference)
        if record is None or record["status"] != APPROVED:
            raise ProcessorError("No approved charge under that reference.")
        record["voided"] = True
        self._write(record)
        return self._result(record)

    def refund(
        self, *, reference: str, original_reference: str, amount: Decimal
    ) -> ProcessorResult:
        existing = self._read(reference)
        if existing is not None:
            return self._result(existing)
        original = self._read(original_reference)
        if original is None or original["status"] != APPROVED or original.get("voided"):
            raise ProcessorError("No approved charge to refund under that reference.")
        refunded = Decimal(original.get("refunded", "0.00"))
        if refunded + amount > Decimal(original["amount"]):
            raise ProcessorError("That is more than is left of the charge to refund.")
        original["refunded"] = str(refunded + amount)
        self._write(original)
        transaction_id, auth_code = self._ids(reference)
        record = {
            "reference": reference,
            "kind": "refund",
            "status": APPROVED,
            "amount": str(amount),
            "original_reference": original_reference,
            "transaction_id": transaction_id,
            "auth_code": auth_code,
            "brand": original.get("brand", ""),
            "last4": original.get("last4", ""),
        }
        self._write(record)
        return self._result(record)

    def lookup(self, reference: str) -> ProcessorResult | None:
        record = self._read(reference)
        return None if record is None else self._result(record)

    def charges(self) -> list[ProcessorResult]:
        """Every record the test processor holds (tests count charges with it)."""
        if not self.directory.exists():
            return []
        return [
            self._result(json.loads(path.read_text()))
            for path in sorted(self.directory.glob("*.json"))
        ]


def get_processor() -> CardProcessor:
    """The configured processor (``FRONTDESK_CARD_PROCESSOR``: "test" or a dotted class path)."""
    configured = getattr(settings, "FRONTDESK_CARD_PROCESSOR", "test") or "test"
    if configured == "test":
        return TestProcessor()
    module_name, _, class_name = configured.rpartition(".")
    cls = getattr(import_module(module_name), class_name)
    processor: CardProcessor = cls()
    return processor


def result_dict(result: ProcessorResult) -> dict[str, Any]:
    data = asdict(result)
    data["amount"], data["refunded"] = str(result.amount), str(result.refunded)
    return data
