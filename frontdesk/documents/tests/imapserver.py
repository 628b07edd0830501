"""A small IMAP4rev1 server on loopback for the mailbox tests: just enough for ``imaplib``.

One mailbox (any name SELECTs it), messages held in memory with their flags; commands: CAPABILITY,
NOOP, LOGIN, SELECT/EXAMINE, UID SEARCH (ALL, UNSEEN), UID FETCH (BODY.PEEK[] / BODY[] / RFC822 /
FLAGS / UID), UID STORE +FLAGS/-FLAGS/FLAGS, LOGOUT. Fetching BODY[] or RFC822 sets \\Seen, as a
real server does; BODY.PEEK[] does not. Every command line is kept in ``commands`` for assertions.

    with ImapServer(user="docs", password="pw") as server:
        server.add(message_bytes)
        url = server.url  # imap://docs:pw@127.0.0.1:PORT/INBOX
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')


def _tokens(line: bytes) -> list[bytes]:
    found = []
    for quoted, group, atom in _TOKEN.findall(line):
        if quoted:
            found.append(re.sub(rb"\\(.)", rb"\1", quoted))
        else:
            found.append(group or atom)
    return found


def _uid_set(spec: bytes, uids: list[int]) -> list[int]:
    chosen: list[int] = []
    highest = max(uids, default=0)
    for part in spec.split(b","):
        if b":" in part:
            low_raw, high_raw = part.split(b":", 1)
            low = highest if low_raw == b"*" else int(low_raw)
            high = highest if high_raw == b"*" else int(high_raw)
            low, high = min(low, high), max(low, high)
            chosen.extend(uid for uid in uids if low <= uid <= high)
        else:
            uid = highest if part == b"*" else int(part)
            chosen.extend(u for u in uids if u == uid)
    return chosen


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: bytes | str) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        owner = self.server.owner
        self.authenticated = False
        self.send("* OK [CAPABILITY IMAP4rev1] FrontDesk test IMAP server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            line = line.rstrip(b"\r\n")
            with owner.lock:
                owner.commands.append(line.decode("utf-8", "replace"))
            parts = line.split(b" ", 2)
            if len(parts) < 2:
                self.send(b"* BAD no command")
                continue
            tag, command = parts[0].decode(), parts[1].upper().decode()
            rest = parts[2] if len(parts) > 2 else b""
            if command == "UID":
                sub = rest.split(b" ", 1)
                command = "UID " + sub[0].upper().decode()
                rest = sub[1] if len(sub) > 1 else b""
            if not self.dispatch(tag, command, rest):
                return

    def dispatch(self, tag: str, command: str, rest: bytes) -> bool:
        owner = self.server.owner
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
        elif command == "NOOP":
            pass
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            args = _tokens(rest)
            if len(args) != 2 or (args[0].decode(), args[1].decode()) != (
                owner.user,
                owner.password,
            ):
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] wrong user or password")
                return True
            self.authenticated = True
        elif not self.authenticated:
            self.send(f"{tag} BAD log in first")
            return True
        elif command in {"SELECT", "EXAMINE"}:
            with owner.lock:
                count = len(owner.messages)
                next_uid = owner.next_uid
            self.send(f"* {count} EXISTS")
            self.send("* 0 RECENT")
            self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
            self.send("* OK [UIDVALIDITY 1] UIDs valid")
            self.send(f"* OK [UIDNEXT {next_uid}] next uid")
            self.send(f"{tag} OK [READ-WRITE] {command} completed")
            return True
        elif command == "UID SEARCH":
            criteria = rest.upper().split()
            with owner.lock:
                found = [
                    m.uid
                    for m in owner.messages
                    if b"UNSEEN" not in criteria or "\\Seen" not in m.flags
                ]
            self.send("* SEARCH" + "".join(f" {uid}" for uid in found))
        elif command == "UID FETCH":
            spec, _, items = rest.partition(b" ")
            self.fetch(spec, items.upper())
        elif command == "UID STORE":
            spec, mode, flags = ([*rest.split(b" ", 2), b"", b""])[:3]
            names = {f.decode() for f in flags.strip(b"()").split()}
            with owner.lock:
                for seq, message in enumerate(owner.messages, start=1):
                    if message.uid not in _uid_set(spec, [m.uid for m in owner.messages]):
                        continue
                    if mode.upper().startswith(b"+"):
                        message.flags |= names
                    elif mode.upper().startswith(b"-"):
                        message.flags -= names
                    else:
                        message.flags = set(names)
                    flag_text = " ".join(sorted(message.flags))
                    self.send(f"* {seq} FETCH (UID {message.uid} FLAGS ({flag_text}))")
        else:
            self.send(f"{tag} BAD unknown command {command}")
            return True
        self.send(f"{tag} OK {command} completed")
        return True

    def fetch(self, spec: bytes, items: bytes) -> None:
        owner = self.server.owner
        with owner.lock:
            uids = _uid_set(spec, [m.uid for m in owner.messages])
            chosen = [(seq, m) for seq, m in enumerate(owner.messages, start=1) if m.uid in uids]
        for seq, message in chosen:
            if b"BODY.PEEK[]" in items or b"BODY[]" in items or b"RFC822" in items:
                label = b"RFC822" if b"RFC822" in items and b"BODY" not in items else b"BODY[]"
                if b"BODY.PEEK[]" not in items:
                    with owner.lock:
                        message.flags.add("\\Seen")
                header = b"* %d FETCH (UID %d %s {%d}" % (seq, message.uid, label, len(message.raw))
                self.send(header)
                self.wfile.write(message.raw)
                self.send(b")")
            else:
                flag_text = " ".join(sorted(message.flags))
                self.send(f"* {seq} FETCH (UID {message.uid} FLAGS ({flag_text}))")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: ImapServer


class ImapServer:
    """The test server; a context manager that serves on 127.0.0.1 at a free port."""

    def __init__(self, *, user: str = "docs", password: str = "secret-pw") -> None:
        self.user = user
        self.password = password
        self.messages: list[StoredMessage] = []
        self.commands: list[str] = []
        self.next_uid = 1
        self.lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add(self, raw: bytes, *, flags: set[str] | None = None) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.messages.append(StoredMessage(uid=uid, raw=raw, flags=set(flags or ())))
        return uid

    def flags(self, uid: int) -> set[str]:
        with self.lock:
            return next(set(m.flags) for m in self.messages if m.uid == uid)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def __enter__(self) -> ImapServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
