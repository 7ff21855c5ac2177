"""`karat-bot migrate`: bring the schema to the newest revision with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.db import create_sync_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema at `url` to `revision`."""
    command.upgrade(alembic_config(url), revision)


def pending_revisions(url: str) -> list[str]:
    """Revisions not yet applied; empty when the schema is current."""
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    heads = set(script.get_heads())
    if current == heads:
        return []
    return [
        rev.revision for rev in script.walk_revisions() if rev.revision not in current
    ]
