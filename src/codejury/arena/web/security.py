"""Cookies, CSRF checks, form parsing and the security headers of every response.

* The session cookie is ``HttpOnly`` (no script can read it), ``SameSite=Strict`` (no other
  site can make the browser send it) and ``Secure`` when the server is reached over HTTPS.
* Every form that changes something carries the session's CSRF token; a POST without the
  right one is refused. The login form, which has no session yet, uses a double-submit
  cookie instead.
* The Content Security Policy allows no script at all and styles only from this server: even
  markup that slipped past escaping could not run.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qs

from fastapi import Request, Response

SESSION_COOKIE = "cj_session"
LOGIN_COOKIE = "cj_login"
MAX_FORM_BYTES = 16_384
"""Largest form body accepted; the arena's forms are a few short fields."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class FormError(Exception):
    """A request body that is not a small URL-encoded form; ``status`` is the reply code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form body (first value of each field).

    Raises:
        FormError: Wrong content type (415), too large (413) or not parseable (400).
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormError(415, "expected a form (application/x-www-form-urlencoded)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormError(413, "form too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(413, "form too large")
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=32
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError(400, f"cannot read the form: {exc}") from exc
    return {name: values[0] for name, values in fields.items()}


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def new_token() -> str:
    """A fresh random token for cookies and forms."""
    return secrets.token_urlsafe(32)


def is_https(request: Request) -> bool:
    """Whether the client reached the server over HTTPS (directly, as uvicorn sees it)."""
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    """Set a cookie no script can read and no other site can make the browser send."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a cookie set by :func:`set_cookie`."""
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=is_https(request)
    )


def add_security_headers(response: Response, *, cacheable: bool = False) -> None:
    """Add the CSP and friends; pages are never cached (they show per-voter state)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not cacheable:
        response.headers["Cache-Control"] = "no-store"
