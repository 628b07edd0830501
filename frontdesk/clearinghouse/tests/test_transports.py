"""The file-exchange transport: atomic writes, unique names, collect once, processed folder, timeout."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from frontdesk.clearinghouse.tests.samples import tiny_270, tiny_271
from frontdesk.clearinghouse.transports import (
    FileTransport,
    InboundFile,
    SimulatedTransport,
    TransportError,
    check_271,
    control_number_of,
    get_transport,
    trace_numbers_of,
)


def test_get_transport_reads_the_setting(settings, tmp_path):
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"
    assert isinstance(get_transport(), SimulatedTransport)
    settings.FRONTDESK_CLEARINGHOUSE = f"files:{tmp_path}"
    transport = get_transport()
    assert isinstance(transport, FileTransport)
    assert transport.root == tmp_path
    settings.FRONTDESK_CLEARINGHOUSE = "sftp://nowhere"
    with pytest.raises(TransportError, match="must be 'simulated' or 'files:<dir>'"):
        get_transport()


def test_submit_writes_atomically_under_a_unique_name(tmp_path):
    transport = FileTransport(tmp_path)
    transport.submit("837P-1.x12", "ISA*first~")
    assert (tmp_path / "outbox" / "837P-1.x12").read_text() == "ISA*first~"
    # No temporary file is left behind, and a second file with the same name never overwrites.
    with pytest.raises(TransportError, match="already waiting in the outbox"):
        transport.submit("837P-1.x12", "ISA*second~")
    assert (tmp_path / "outbox" / "837P-1.x12").read_text() == "ISA*first~"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["837P-1.x12"]


def test_submit_cleans_dangerous_names(tmp_path):
    FileTransport(tmp_path).submit("../../etc/passwd", "ISA~")
    assert (tmp_path / "outbox" / "passwd").exists()
    assert not (tmp_path.parent / "etc").exists()


def test_unwritable_folder_is_a_transport_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TransportError, match="cannot be used"):
        FileTransport(blocker).submit("a.x12", "ISA~")


def test_collect_returns_waiting_files_and_done_moves_them(tmp_path):
    transport = FileTransport(tmp_path)
    transport.collect()  # creates the folders
    inbox = tmp_path / "inbox"
    (inbox / "a.999").write_bytes(b"ISA*a~")
    (inbox / ".partial.tmp").write_bytes(b"half")  # another writer's temporary file
    (inbox / "b.835.tmp").write_bytes(b"half")
    files = transport.collect()
    assert files == [InboundFile("a.999", b"ISA*a~")]
    # Not moved until recorded: collecting again sees it again.
    assert transport.collect() == files
    transport.done(files[0])
    assert transport.collect() == []
    assert (inbox / "processed" / "a.999").read_bytes() == b"ISA*a~"
    # The same name arriving again does not overwrite the processed copy.
    (inbox / "a.999").write_bytes(b"ISA*again~")
    transport.done(transport.collect()[0])
    assert sorted(p.read_bytes() for p in (inbox / "processed").iterdir()) == sorted(
        [b"ISA*a~", b"ISA*again~"]
    )


def _answer_later(inbox: Path, name: str, content: str, delay: float = 0.3) -> threading.Thread:
    def answer() -> None:
        time.sleep(delay)
        temp = inbox / f".{name}.tmp"
        temp.write_text(content)
        temp.rename(inbox / name)

    thread = threading.Thread(target=answer)
    thread.start()
    return thread


def test_realtime_over_files_waits_for_the_271_with_the_same_trace(tmp_path):
    transport = FileTransport(tmp_path)
    transport._ensure()
    inbox = tmp_path / "inbox"
    (inbox / "someone-elses.271").write_text(tiny_271(202, trace="OTHER"))
    thread = _answer_later(inbox, "answer.271", tiny_271(203, trace="TRACE101"))
    answer = transport.realtime(tiny_270(101, trace="TRACE101"), timeout=5)
    thread.join()
    assert trace_numbers_of(answer) == {"TRACE101"}
    sent = list((tmp_path / "outbox").iterdir())
    assert len(sent) == 1 and control_number_of(sent[0].read_text()) == "000000101"
    # The answer went to processed/; the other 271 is still waiting for the poll.
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["someone-elses.271"]
    assert (inbox / "processed" / "answer.271").exists()


def test_realtime_over_files_matches_the_isa13_in_the_file_name(tmp_path):
    transport = FileTransport(tmp_path)
    transport._ensure()
    thread = _answer_later(tmp_path / "inbox", "000000105.271", tiny_271(204, trace="X"))
    answer = transport.realtime(tiny_270(105, trace="TRACE105"), timeout=5)
    thread.join()
    assert control_number_of(answer) == "000000204"


def test_realtime_over_files_times_out_with_a_plain_reason(tmp_path):
    transport = FileTransport(tmp_path)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        transport.realtime(tiny_270(), timeout=0.5)
    assert caught.value.reason == "The clearinghouse did not answer within 0.5 s."
    assert caught.value.delivered is True
    assert 0.5 <= time.monotonic() - started < 3


def test_realtime_over_files_refuses_a_garbage_answer(tmp_path):
    transport = FileTransport(tmp_path)
    transport._ensure()
    thread = _answer_later(tmp_path / "inbox", "000000101.271", "<html>Bad gateway</html>")
    with pytest.raises(TransportError, match="not X12") as caught:
        transport.realtime(tiny_270(101), timeout=5)
    thread.join()
    assert caught.value.content == b"<html>Bad gateway</html>"


def test_check_271_refuses_other_transactions():
    with pytest.raises(TransportError, match="270 instead of a 271"):
        check_271(tiny_270())
    assert check_271(tiny_271()).startswith("ISA")
