"""The voting web app: log in, see two anonymous answers, vote, then see who wrote them.

Pages are rendered on the server; the app serves everything itself (no CDN, no JavaScript).
Database work runs in the thread pool, one short transaction per action; a vote is committed
before the reply that acknowledges it is sent, so a vote the voter saw acknowledged survives a
killed or restarted server.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from codejury.arena.matchmaking import Matchmaker
from codejury.arena.ratelimit import RateLimit, TokenBuckets
from codejury.arena.web import security
from codejury.arena.web.render import render, stylesheet
from codejury.errors import CodejuryError, StoreError
from codejury.store import Store
from codejury.store.arena_people import SESSION_DAYS
from codejury.store.arena_records import CHOICES, Session

CHOICE_LABELS = {
    "a": "A is better",
    "b": "B is better",
    "tie": "Tie",
    "bothbad": "Both are bad",
}

_MAX_CACHED_SESSIONS = 100_000

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


@dataclass(frozen=True)
class ArenaConfig:
    """Settings of one arena server.

    Attributes:
        vote_limit: Votes per voter (and, at four times the rate, battle requests).
        login_limit: Failed login attempts per client address.
        show_tests: Show each answer's test results next to it.
        refresh_s: Most seconds a ratings fit is reused to choose pairs.
        data_dir: Where benchmark files are, for adding runs from the admin page.
        session_days: How long a login lasts.
        session_cache_s: Seconds a session read from the store is reused in memory (a voter
            disabled from the CLI is locked out within this time; at once from the web).
        rng: Randomness for battles (a system RNG when None).
    """

    vote_limit: RateLimit = field(default_factory=RateLimit)
    login_limit: RateLimit = field(default_factory=lambda: RateLimit(per_minute=10, burst=5))
    show_tests: bool = False
    refresh_s: float = 10.0
    data_dir: Path | None = None
    session_days: float = SESSION_DAYS
    session_cache_s: float = 10.0
    rng: random.Random | None = None


class ArenaState:
    """What every request handler shares: the store, the matchmaker and the rate limits."""

    def __init__(self, store: Store, config: ArenaConfig) -> None:
        self.store = store
        self.config = config
        self.matchmaker = Matchmaker(store, config.refresh_s, config.rng)
        self.votes = TokenBuckets(config.vote_limit)
        self.nexts = TokenBuckets(
            RateLimit(config.vote_limit.per_minute * 4, config.vote_limit.burst * 4)
        )
        self.logins = TokenBuckets(config.login_limit)
        self.sessions = SessionCache(config.session_cache_s)


def page(
    template: str,
    status: int = 200,
    session: Session | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A rendered page; ``session`` fills in the header (voter name, logout form)."""
    html = render(template, session=session, **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def message(status: int, title: str, text: str, session: Session | None = None) -> HTMLResponse:
    """A page that only says something (errors, confirmations)."""
    return page("message.html", status, session, title=title, text=text)


def redirect(url: str) -> RedirectResponse:
    """A 303 See Other: after a POST the browser fetches ``url`` with GET."""
    return RedirectResponse(url, status_code=303)


class SessionCache:
    """Live sessions by token, kept in memory for a few seconds.

    Every page needs the session; reading it from the store each time costs a trip to the
    thread pool and a query. A session ended in this process (logout, voter disabled here) is
    dropped at once; one ended by another process (the CLI) is noticed within ``ttl_s``.

    Args:
        ttl_s: Seconds a looked-up session is reused; 0 turns the cache off.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Session, float]] = {}

    def get(self, token: str) -> Session | None:
        """The cached session of ``token``, if fresh."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if self._clock() >= entry[1]:
                del self._entries[token]
                return None
            return entry[0]

    def put(self, token: str, session: Session) -> None:
        """Remember a session just read from the store."""
        if self._ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= _MAX_CACHED_SESSIONS:
                self._entries.clear()
            self._entries[token] = (session, self._clock() + self._ttl_s)

    def drop(self, token: str | None = None, voter_id: str | None = None) -> None:
        """Forget one token, or every session of one voter."""
        with self._lock:
            if token is not None:
                self._entries.pop(token, None)
            if voter_id is not None:
                for key in [k for k, (s, _) in self._entries.items() if s.voter.id == voter_id]:
                    del self._entries[key]


async def current_session(state: ArenaState, request: Request) -> Session | None:
    """The session of the request's cookie, if it is live."""
    token = request.cookies.get(security.SESSION_COOKIE)
    if not token:
        return None
    session = state.sessions.get(token)
    if session is None:
        session = await run_in_threadpool(state.store.arena.voters.session, token)
        if session is not None:
            state.sessions.put(token, session)
    return session


async def checked_form(
    request: Request, session: Session
) -> tuple[dict[str, str] | None, Response | None]:
    """The form of a POST if its CSRF token is the session's, else the refusal to send."""
    try:
        form = await security.read_form(request)
    except security.FormError as exc:
        return None, message(exc.status, "Bad request", exc.message, session)
    if not security.same_token(form.get("csrf"), session.csrf):
        return None, message(
            403, "Refused", "This form has expired or did not come from this site.", session
        )
    return form, None


def too_many(wait_s: float, session: Session | None) -> HTMLResponse:
    """429 with the seconds to wait."""
    response = message(
        429, "Slow down", f"Too many requests; try again in {wait_s:.0f} s.", session
    )
    response.headers["Retry-After"] = str(max(1, round(wait_s + 0.5)))
    return response


def security_headers(app: ASGIApp) -> ASGIApp:
    """ASGI middleware that adds the security headers to every response."""
    extra = [(k.lower().encode(), v.encode()) for k, v in security.SECURITY_HEADERS.items()]

    async def wrapped(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        async def send_with_headers(event: Any) -> None:
            if event["type"] == "http.response.start":
                headers = list(event.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                event = {**event, "headers": headers}
            await send(event)

        await app(scope, receive, send_with_headers)

    return wrapped


def create_app(store: Store, config: ArenaConfig | None = None) -> FastAPI:
    """Build the arena app on an open store.

    Args:
        store: The store (it must stay open while the app runs).
        config: Server settings.

    Returns:
        The ASGI app (serve it with uvicorn, one process).
    """
    state = ArenaState(store, config or ArenaConfig())
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, title="codejury arena")
    app.state.arena = state

    @app.exception_handler(CodejuryError)
    async def codejury_error(request: Request, exc: CodejuryError) -> Response:
        busy = isinstance(exc, StoreError) and "locked" in exc.message
        response = message(503 if busy else 500, "Server error", exc.message)
        if busy:
            response.headers["Retry-After"] = "5"
        return response

    @app.get("/static/arena.css")
    async def css() -> Response:
        return Response(
            stylesheet(),
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @app.get("/healthz")
    async def health() -> Response:
        return PlainTextResponse("ok")

    from codejury.arena.web.admin import add_admin_routes
    from codejury.arena.web.voting import add_voting_routes

    add_voting_routes(app, state)
    add_admin_routes(app, state)
    app.add_middleware(_HeadersMiddleware)
    return app


class _HeadersMiddleware:
    """:func:`security_headers` in the class form ``app.add_middleware`` expects."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = security_headers(app)

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        await self._app(scope, receive, send)


__all__ = ["CHOICES", "CHOICE_LABELS", "ArenaConfig", "ArenaState", "create_app"]
