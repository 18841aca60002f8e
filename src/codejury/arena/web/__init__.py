"""The arena's voting web app (server-rendered pages, served by uvicorn)."""

from codejury.arena.web.app import ArenaConfig, create_app

__all__ = ["ArenaConfig", "create_app"]
