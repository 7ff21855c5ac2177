"""Shared fixtures: a database for each test (SQLite, or PostgreSQL when asked).

Set `TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test` to run the suite on
PostgreSQL: one scratch database is created for the run and dropped after it, and
every test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import freezegun
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.storage import index_models, models  # noqa: F401  (registers the tables)
from bot.storage.db import sync_url
from bot.storage.migrate import upgrade

BASE_URL = os.environ.get("TEST_DATABASE_URL", "")

# Frozen time must not reach the event loops of servers running in other threads:
# a timer armed while the clock is frozen would be due decades later once it thaws,
# and such a server would never notice it was asked to stop.
freezegun.configure(
    extend_ignore_list=["asyncio", "selectors", "threading", "uvicorn", "anyio"]
)


def _postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A scratch PostgreSQL database for this run, migrated; None on SQLite runs."""
    if not _postgres(BASE_URL):
        yield None
        return
    name = f"karat_bot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sync_url(BASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def database_url(postgres_url: str | None, tmp_path: Path) -> str:
    """An empty, migrated database for one test."""
    if postgres_url is None:
        url = f"sqlite:///{tmp_path / 'karat-bot.db'}"
        upgrade(url)
        return url
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    engine = create_engine(sync_url(postgres_url))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return postgres_url


def on_postgres() -> bool:
    return _postgres(BASE_URL)


# Fixtures shared by many modules, registered here so tests just name them.
from tests.sandbox_e2e import sandbox, sandbox_v1  # noqa: E402, F401
from tests.world import world  # noqa: E402, F401
