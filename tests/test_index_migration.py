"""Migration 0004 (the local index) on a database that already holds the bot's data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.storage.db import create_sync_engine, sync_url
from bot.storage.migrate import alembic_config, pending_revisions, upgrade
from tests.conftest import BASE_URL, on_postgres

INDEX_TABLES = {
    "index_job",
    "index_job_stage",
    "index_user",
    "index_candidate",
    "index_candidate_term",
    "index_application",
    "sync_state",
    "harvest_rate_window",
}


@pytest.fixture(name="blank_url")
def blank_url_fixture(tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (a scratch one on PostgreSQL runs)."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"karat_bot_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sync_url(BASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrations_have_exactly_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1


def test_upgrading_from_0001_keeps_the_data_and_adds_the_index(blank_url: str) -> None:
    upgrade(blank_url, "0001")
    engine = create_sync_engine(blank_url)
    sent = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO invitation (token_hash, idempotency_key, candidate_id,"
                    " application_id, candidate_name, test_kind, test_id, test_name,"
                    " sender_slack_id, sender_name, status, sent_at, created_at,"
                    " updated_at) VALUES ('h1', 'k1', 301, 401, 'Ana García',"
                    " 'interview', 't1', 'Backend', 'U0ANA', 'Ana', 'sent', :at, :at,"
                    " :at)"
                ),
                {"at": sent},
            )
            invitation_id = conn.execute(text("SELECT id FROM invitation")).scalar()
            conn.execute(
                text(
                    "INSERT INTO grader (invitation_id, slack_user_id, name)"
                    " VALUES (:i, 'U0SAM', 'Sam')"
                ),
                {"i": invitation_id},
            )

        upgrade(blank_url)

        assert pending_revisions(blank_url) == []
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT candidate_name, status, application_id FROM invitation")
            ).one()
            graders = conn.execute(text("SELECT name FROM grader")).scalars().all()
            tables = set(inspect(conn).get_table_names())
            conn.execute(
                text(
                    "INSERT INTO index_candidate (id, name_fold, is_private)"
                    " VALUES (4000000001, 'jose alvarez', false)"
                )
            )
            big = conn.execute(text("SELECT id FROM index_candidate")).scalar()
        assert tuple(row) == ("Ana García", "sent", 401)
        assert graders == ["Sam"]
        assert INDEX_TABLES <= tables
        assert big == 4_000_000_001, "Greenhouse ids beyond 32 bits fit"
    finally:
        engine.dispose()
