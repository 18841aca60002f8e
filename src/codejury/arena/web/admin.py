"""Admin pages: voters (invite, disable), the pool (runs, models, prompts), flagged answers,
and the FastChat export. Every page and action needs a session of an ``admin`` voter."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

from codejury.arena.pool import add_runs, eval_runs
from codejury.arena.votes import export_records, sources_of
from codejury.arena.web.app import (
    ArenaState,
    checked_form,
    current_session,
    message,
    page,
    redirect,
)
from codejury.errors import CodejuryError
from codejury.store.arena_records import ROLES, Session


def add_admin_routes(app: FastAPI, state: ArenaState) -> None:
    """Register the admin pages on ``app``."""
    store = state.store
    arena = store.arena

    async def admin_session(request: Request) -> tuple[Session | None, Response | None]:
        session = await current_session(state, request)
        if session is None:
            return None, redirect("/login")
        if not session.voter.is_admin:
            return None, message(403, "Admins only", "This page is for arena admins.", session)
        return session, None

    async def admin_form(request: Request) -> tuple[Session, dict[str, str]] | Response:
        session, refusal = await admin_session(request)
        if session is None:
            assert refusal is not None
            return refusal
        form, refusal = await checked_form(request, session)
        if form is None:
            assert refusal is not None
            return refusal
        return session, form

    @app.get("/admin")
    async def overview(request: Request) -> Response:
        session, refusal = await admin_session(request)
        if session is None:
            assert refusal is not None
            return refusal

        def gather() -> dict[str, Any]:
            pooled = arena.pool.run_ids()
            return {
                "counts": arena.battles.counts(),
                "voters": arena.voters.all(),
                "models": arena.pool.models(),
                "prompts": arena.pool.prompts(),
                "flagged": arena.pool.flagged(),
                "runs": [r for r in eval_runs(store) if r.id not in pooled],
                "roles": ROLES,
            }

        return page("admin.html", session=session, **await run_in_threadpool(gather))

    @app.post("/admin/voters")
    async def invite(request: Request) -> Response:
        checked = await admin_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        try:
            voter, token = await run_in_threadpool(
                arena.voters.add, form.get("name", ""), form.get("role", "voter")
            )
        except CodejuryError as exc:
            return message(400, "Cannot add the voter", exc.message, session)
        link = str(request.url_for("login_form").include_query_params(token=token))
        return page("invited.html", session=session, voter=voter, token=token, link=link)

    @app.post("/admin/voters/active")
    async def voter_active(request: Request) -> Response:
        checked = await admin_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        voter_id = form.get("voter_id", "")
        if voter_id == session.voter.id:
            return message(400, "Refused", "You cannot disable yourself.", session)
        response = await _apply(
            session, arena.voters.set_active, voter_id, form.get("active") == "1"
        )
        state.sessions.drop(voter_id=voter_id)
        return response

    @app.post("/admin/models/active")
    async def model_active(request: Request) -> Response:
        checked = await admin_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        return await _apply(
            session, arena.pool.set_model_active, form.get("name", ""), form.get("active") == "1"
        )

    @app.post("/admin/prompts/active")
    async def prompt_active(request: Request) -> Response:
        checked = await admin_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        return await _apply(
            session,
            arena.pool.set_prompt_active,
            form.get("prompt_id", ""),
            form.get("active") == "1",
        )

    @app.post("/admin/runs")
    async def add_run(request: Request) -> Response:
        checked = await admin_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        try:
            await run_in_threadpool(
                add_runs, store, [form.get("run_id", "")], state.config.data_dir
            )
        except CodejuryError as exc:
            return message(400, "Cannot add the run", exc.message, session)
        state.matchmaker.invalidate()
        return redirect("/admin")

    async def _apply(
        session: Session, action: Callable[[str, bool], None], key: str, active: bool
    ) -> Response:
        try:
            await run_in_threadpool(action, key, active)
        except CodejuryError as exc:
            return message(400, "Cannot change it", exc.message, session)
        state.matchmaker.invalidate()
        return redirect("/admin")

    @app.get("/admin/export.json")
    async def export(request: Request, source: str = "human") -> Response:
        session, refusal = await admin_session(request)
        if session is None:
            assert refusal is not None
            return refusal
        if source == "all":
            sources = await run_in_threadpool(sources_of, store)
        else:
            sources = [s for s in source.split(",") if s]
        records = await run_in_threadpool(export_records, store, sources)
        return Response(
            json.dumps(records, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="arena-battles.json"'},
        )
