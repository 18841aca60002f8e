"""Arena voters and their login sessions.

Invitation tokens and session tokens are random secrets that only their holder sees: the store
keeps their SHA-256, so a copy of the database does not let anyone log in. Sessions live in the
database rather than in a signed cookie, so a restarted server keeps everyone logged in and an
admin can lock a voter out at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from codejury.errors import ConfigError, StoreError
from codejury.store.arena_records import ROLES, Session, Voter, sessions_table, voters_table

if TYPE_CHECKING:
    from codejury.store.db import Store

SESSION_DAYS = 30
"""How long a login lasts."""

_MAX_NAME = 80


def token_hash(token: str) -> str:
    """The stored form of an invitation or session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _voter(row: sa.Row[Any]) -> Voter:
    return Voter(row.id, row.name, row.role, bool(row.active), row.created_at)


class Voters:
    """Voters and sessions of one store's arena."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, name: str, role: str = "voter") -> tuple[Voter, str]:
        """Create a voter and their invitation token.

        Args:
            name: Unique display name (1–80 characters, no control characters).
            role: ``voter`` or ``admin``.

        Returns:
            The voter and the invitation token. The token is shown once: only its hash is kept.

        Raises:
            ConfigError: The name or role is invalid.
            StoreError: The name is taken, or the database failed.
        """
        from codejury.store.db import _now

        name = name.strip()
        if not name or len(name) > _MAX_NAME or any(ord(c) < 32 for c in name):
            raise ConfigError(
                f"invalid voter name {name!r}",
                hint=f"use 1 to {_MAX_NAME} printable characters",
            )
        if role not in ROLES:
            raise ConfigError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")
        token = secrets.token_urlsafe(24)
        voter = Voter(uuid.uuid4().hex, name, role, True, _now())
        row = {
            "id": voter.id,
            "name": name,
            "role": role,
            "token_hash": token_hash(token),
            "active": 1,
            "created_at": voter.created_at,
        }
        store = self._store
        with store._guard(f"add voter {name!r}"), store._writer.begin() as conn:
            taken = conn.execute(
                sa.select(voters_table.c.id).where(voters_table.c.name == name)
            ).first()
            if taken is not None:
                raise StoreError(
                    f"a voter named {name!r} already exists in {store.location}",
                    hint="choose another name, or list the voters to find theirs",
                )
            conn.execute(voters_table.insert().values(row))
        return voter, token

    def all(self) -> list[Voter]:
        """Every voter, by name."""
        query = sa.select(voters_table).order_by(voters_table.c.name)
        with self._store._guard("list voters"), self._store._engine.connect() as conn:
            return [_voter(row) for row in conn.execute(query)]

    def get(self, voter_id: str) -> Voter | None:
        """The voter with this id, if any."""
        query = sa.select(voters_table).where(voters_table.c.id == voter_id)
        with self._store._guard("look up a voter"), self._store._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _voter(row)

    def by_name(self, name: str) -> Voter | None:
        """The voter with this name, if any."""
        query = sa.select(voters_table).where(voters_table.c.name == name)
        with self._store._guard("look up a voter"), self._store._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _voter(row)

    def set_active(self, voter_id: str, active: bool) -> None:
        """Allow or stop a voter's logins; stopping also ends their open sessions.

        Raises:
            StoreError: No such voter, or the database failed.
        """
        store = self._store
        with store._guard("change a voter"), store._writer.begin() as conn:
            changed = conn.execute(
                voters_table.update()
                .where(voters_table.c.id == voter_id)
                .values(active=int(active))
            ).rowcount
            if not changed:
                raise StoreError(f"no voter with id {voter_id!r} in {store.location}")
            if not active:
                conn.execute(sessions_table.delete().where(sessions_table.c.voter_id == voter_id))

    def has_admin(self) -> bool:
        """Whether any active admin exists."""
        query = sa.select(voters_table.c.id).where(
            voters_table.c.role == "admin", voters_table.c.active == 1
        )
        with self._store._guard("look for an admin"), self._store._engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    # -- sessions --------------------------------------------------------------------------

    def login(self, token: str, days: float = SESSION_DAYS) -> tuple[str, Session] | None:
        """Open a session for the holder of an invitation token.

        Args:
            token: The invitation token.
            days: How long the session lasts.

        Returns:
            The session token (for the cookie) and the session, or None when the token is
            unknown or its voter is disabled.
        """
        from codejury.store.db import _now

        store = self._store
        query = sa.select(voters_table).where(
            voters_table.c.token_hash == token_hash(token), voters_table.c.active == 1
        )
        session_token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="microseconds")
        with store._guard("log a voter in"), store._writer.begin() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            conn.execute(
                sessions_table.insert().values(
                    token_hash=token_hash(session_token),
                    voter_id=row.id,
                    csrf=csrf,
                    created_at=_now(),
                    expires_at=expires,
                )
            )
        return session_token, Session(_voter(row), csrf)

    def session(self, session_token: str) -> Session | None:
        """The live session of a session token, or None (unknown, expired, voter disabled)."""
        from codejury.store.db import _now

        query = (
            sa.select(voters_table, sessions_table.c.csrf)
            .join(sessions_table, sessions_table.c.voter_id == voters_table.c.id)
            .where(
                sessions_table.c.token_hash == token_hash(session_token),
                sessions_table.c.expires_at > _now(),
                voters_table.c.active == 1,
            )
        )
        with self._store._guard("read a session"), self._store._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else Session(_voter(row), row.csrf)

    def logout(self, session_token: str) -> None:
        """End a session (nothing happens for an unknown token)."""
        store = self._store
        statement = sessions_table.delete().where(
            sessions_table.c.token_hash == token_hash(session_token)
        )
        with store._guard("log a voter out"), store._writer.begin() as conn:
            conn.execute(statement)
