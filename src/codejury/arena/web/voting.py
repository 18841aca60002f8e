"""Voter pages: login, home, the next battle, a battle and its vote.

A battle page shows the prompt and the two answers as "Model A" and "Model B" with a vote form;
nothing on it (names, run ids, ordering) says which model wrote which answer. Once the voter's
vote is committed the same URL shows the names. A second vote on the same battle is refused
with 409 and the first one stands.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

from codejury.arena.web import security
from codejury.arena.web.app import (
    CHOICE_LABELS,
    ArenaState,
    checked_form,
    current_session,
    message,
    page,
    redirect,
    too_many,
)
from codejury.store.arena_battles import UnknownBattleError
from codejury.store.arena_records import CHOICES


def add_voting_routes(app: FastAPI, state: ArenaState) -> None:
    """Register the voter pages on ``app``."""
    arena = state.store.arena

    @app.get("/")
    async def home(request: Request) -> Response:
        session = await current_session(state, request)
        if session is None:
            return redirect("/login")
        counts = await run_in_threadpool(arena.battles.counts, session.voter.id)
        return page("home.html", session=session, votes=counts["votes"])

    @app.get("/login")
    async def login_form(request: Request, token: str = "") -> Response:
        nonce = request.cookies.get(security.LOGIN_COOKIE) or security.new_token()
        response = page("login.html", nonce=nonce, token=token, error=None)
        security.set_cookie(response, request, security.LOGIN_COOKIE, nonce, max_age=3600)
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        # Only failed attempts use up the client address's budget: a whole office behind one
        # address may log in at once, but nobody can try many tokens.
        client = request.client.host if request.client else "unknown"
        wait = state.logins.wait(client)
        if wait:
            return too_many(wait, None)
        try:
            form = await security.read_form(request)
        except security.FormError as exc:
            return message(exc.status, "Bad request", exc.message)
        nonce = request.cookies.get(security.LOGIN_COOKIE)
        if not security.same_token(form.get("nonce"), nonce):
            return message(403, "Refused", "The login form expired; open the login page again.")
        token = form.get("token", "").strip()
        opened = (
            await run_in_threadpool(arena.voters.login, token, state.config.session_days)
            if token
            else None
        )
        if opened is None:
            state.logins.take(client)
            return page(
                "login.html",
                status=401,
                nonce=nonce,
                token="",
                error="Unknown or disabled invitation token.",
            )
        session_token, _ = opened
        response = redirect("/")
        max_age = int(state.config.session_days * 86400)
        security.set_cookie(response, request, security.SESSION_COOKIE, session_token, max_age)
        security.clear_cookie(response, request, security.LOGIN_COOKIE)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        session = await current_session(state, request)
        if session is None:
            return redirect("/login")
        _form, refusal = await checked_form(request, session)
        if refusal is not None:
            return refusal
        token = request.cookies.get(security.SESSION_COOKIE, "")
        await run_in_threadpool(arena.voters.logout, token)
        state.sessions.drop(token=token)
        response = redirect("/login")
        security.clear_cookie(response, request, security.SESSION_COOKIE)
        return response

    @app.get("/next")
    async def next_battle(request: Request) -> Response:
        session = await current_session(state, request)
        if session is None:
            return redirect("/login")
        wait = state.nexts.take(session.voter.id)
        if wait:
            return too_many(wait, session)
        battle_id = await run_in_threadpool(state.matchmaker.next_battle, session.voter.id)
        if battle_id is None:
            return message(
                200,
                "Nothing left to vote on",
                "You have voted on every battle there is. Thank you!",
                session,
            )
        return redirect(f"/battle/{battle_id}")

    @app.get("/battle/{battle_id}")
    async def battle_page(request: Request, battle_id: str) -> Response:
        session = await current_session(state, request)
        if session is None:
            return redirect("/login")
        battle = await run_in_threadpool(arena.battles.get, battle_id)
        if battle is None:
            return message(404, "Not found", "There is no such battle.", session)
        vote = await run_in_threadpool(arena.battles.vote_of, battle_id, session.voter.id)
        return page(
            "battle.html",
            session=session,
            battle=battle,
            vote=vote,
            choices=CHOICE_LABELS,
            show_tests=state.config.show_tests,
        )

    @app.post("/battle/{battle_id}/vote")
    async def vote(request: Request, battle_id: str) -> Response:
        session = await current_session(state, request)
        if session is None:
            return message(401, "Logged out", "Log in again to vote.")
        form, refusal = await checked_form(request, session)
        if refusal is not None or form is None:
            return refusal or message(400, "Bad request", "No form.", session)
        choice = form.get("choice", "")
        if choice not in CHOICES:
            return message(400, "Bad request", "Choose A, B, tie or both bad.", session)
        wait = state.votes.take(session.voter.id)
        if wait:
            return too_many(wait, session)
        try:
            stored, created = await run_in_threadpool(
                arena.battles.cast, battle_id, session.voter.id, choice
            )
        except UnknownBattleError:
            return message(404, "Not found", "There is no such battle.", session)
        if not created:
            return message(
                409,
                "Already voted",
                "You have already voted on this battle; your first vote "
                f"({CHOICE_LABELS[stored.choice]}) stands.",
                session,
            )
        # The vote is committed: only now may the reply (and the page it leads to) exist.
        return redirect(f"/battle/{battle_id}")
