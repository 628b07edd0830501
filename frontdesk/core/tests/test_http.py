"""The one outbound POST of the provider adapters, against a real HTTP server on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from frontdesk.core import http as core_http


class _Provider(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200
    answer = b'{"id": "job-1", "extra": 2}'

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "accept": self.headers["Accept"],
                "body": self.rfile.read(length),
            }
        )
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(type(self).answer)))
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    _Provider.received, _Provider.status, _Provider.answer = [], 200, b'{"id": "job-1", "extra": 2}'
    server = http.server.HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


def _post(url: str) -> dict[str, Any]:
    return core_http.post(url, body=b"payload", content_type="text/plain", token="tok", timeout=5)


def test_it_posts_the_body_with_the_bearer_token_and_returns_the_json_object(provider):
    assert _post(provider) == {"id": "job-1", "extra": 2}
    assert _Provider.received == [
        {
            "path": "/send",
            "auth": "Bearer tok",
            "type": "text/plain",
            "accept": "application/json",
            "body": b"payload",
        }
    ]


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
        (503, b"{}", "http_503"),
        (401, b'{"error": "no"}', "http_401"),
        (200, b"not json", "bad_response"),
        (200, b'["job-1"]', "bad_response"),
    ],
)
def test_failures_are_short_codes(provider, status, answer, code):
    _Provider.status, _Provider.answer = status, answer
    with pytest.raises(core_http.HttpPostError) as caught:
        _post(provider)
    assert (caught.value.code, str(caught.value)) == (code, code)


def test_an_empty_answer_is_an_empty_object(provider):
    _Provider.answer = b""
    assert _post(provider) == {}


def test_a_closed_port_is_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(core_http.HttpPostError) as caught:
        _post(f"http://127.0.0.1:{port}/send")
    assert caught.value.code == "unreachable"


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError) as caught:
        core_http.require_http_url("file:///etc/passwd", what="The fax provider URL")
    assert str(caught.value) == "The fax provider URL must be http(s)."
    with pytest.raises(ValueError):
        _post("ftp://127.0.0.1/send")
    assert core_http.require_http_url("https://example.com/x", what="x") == "https://example.com/x"
