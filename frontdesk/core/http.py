"""One outbound HTTP POST for the provider adapters (SMS gateway, fax transport).

``post`` sends a body with a bearer token and expects a JSON object back. Every failure is one
``HttpPostError`` whose ``code`` is short and safe to store in a message or correspondence log (it
never carries the body, the token or the provider's answer):

    http_<status>       the provider answered with an HTTP error status
    tls_verify_failed   the certificate or host name could not be verified
    unreachable         connection refused, timed out, DNS, a TLS handshake that failed otherwise
    bad_response        the answer is not JSON, or not a JSON object

urllib with the default SSL context (certificate and host name verification on); only http(s) URLs
are accepted, so no ``file:`` or custom scheme reaches urllib.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any


class HttpPostError(Exception):
    """The POST failed; ``code`` (also ``str(error)``) is one of the short codes above."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def require_http_url(url: str, *, what: str) -> str:
    """``url`` when it is http(s); ValueError naming ``what`` otherwise (checked when configured)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"{what} must be http(s).")
    return url


def post(url: str, *, body: bytes, content_type: str, token: str, timeout: float) -> dict[str, Any]:
    """POST ``body`` to ``url`` with ``Authorization: Bearer <token>``; the JSON object answered.

    An empty answer counts as ``{}``. Raises ``HttpPostError`` (see the module's codes).
    """
    require_http_url(url, what="The URL")
    # The scheme is checked to be http(s) just above (no file: or custom schemes).
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        },
    )
    context = ssl.create_default_context() if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise HttpPostError(f"http_{error.code}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, ssl.SSLCertVerificationError):
            raise HttpPostError("tls_verify_failed") from None
        raise HttpPostError("unreachable") from None
    except ssl.SSLCertVerificationError:
        raise HttpPostError("tls_verify_failed") from None
    except (TimeoutError, OSError):
        raise HttpPostError("unreachable") from None
    except ValueError:
        raise HttpPostError("bad_response") from None
    if not isinstance(answer, dict):
        raise HttpPostError("bad_response")
    return answer
