"""Run pyx12 (an X12 validator we did not write) over a string and return its error messages.

``pyx12_errors(text)`` validates against pyx12's 5010 maps (837P 005010X222A1, 835 005010X221A1,
999 005010X231A1, 277CA 005010X214, ...) chosen from GS08, and returns one message a problem
(``"segment 12 CLM05: ..."``); an empty list means pyx12 found the file valid.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _walk(node: Any, where: str, out: list[str]) -> None:
    if isinstance(node, dict):
        here = where
        if "seg_id" in node:
            here = f"segment {node.get('seg_count')} {node.get('seg_id')}"
        elif "trn_set_control_num" in node:
            here = f"ST {node.get('trn_set_control_num')}"
        elif "gs_control_num" in node:
            here = f"GS {node.get('gs_control_num')}"
        elif "isa_trn_set_id" in node:
            here = f"ISA {node.get('isa_trn_set_id')}"
        if "ele_pos" in node:
            here = f"{where} element {node.get('ele_pos')}" + (
                f"-{node['subele_pos']}" if node.get("subele_pos") else ""
            )
        for err in node.get("errors") or ():
            value = err.get("err_val")
            suffix = f" (value {value!r})" if value not in (None, "") else ""
            out.append(f"{here}: [{err.get('err_cde')}] {err.get('err_str')}{suffix}")
        for key in ("interchanges", "groups", "transactions", "segments", "elements"):
            for child in node.get(key) or ():
                _walk(child, here, out)


def pyx12_errors(text: str) -> list[str]:
    """pyx12's validation errors for the X12 ``text`` (empty list = valid)."""
    import pyx12.params
    import pyx12.x12n_document

    param = pyx12.params.params()
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    logger.addHandler(handler)
    fd_json = io.StringIO()
    fd_997 = io.StringIO()
    try:
        try:
            valid = pyx12.x12n_document.x12n_document(
                param, io.StringIO(text), fd_997, None, None, fd_json
            )
        except Exception as exc:  # pyx12 raises EngineError & co. on hopeless input
            return [f"pyx12 could not read the file: {type(exc).__name__}: {exc}"]
    finally:
        logger.removeHandler(handler)
    messages: list[str] = []
    raw = fd_json.getvalue()
    if raw:
        try:
            _walk(json.loads(raw), "", messages)
        except ValueError:
            messages.append("pyx12 wrote unreadable JSON error output")
    if not messages:  # errors pyx12 only logs (a file it cannot read at all, a missing map)
        messages.extend(
            re.sub(r'"<_io\.StringIO object at 0x[0-9a-f]+>"', "the text", m)
            for m in handler.messages
        )
    if not valid and not messages:
        messages.append("pyx12 reports the file invalid (no message given)")
    return messages
