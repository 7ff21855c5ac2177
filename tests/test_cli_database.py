"""A database that cannot be used is one line on the command line, not a traceback."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.mark.parametrize("command", ["migrate", "sync"])
def test_an_unreachable_database_is_one_clear_line(
    command, monkeypatch, tmp_path, capsys
):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": "postgresql://nobody:secret-password@127.0.0.1:9/nowhere",
        "GREENHOUSE_HARVEST_VERSION": "v1",
        "GREENHOUSE_API_KEY": "harvest-sandbox-key",
        "GREENHOUSE_USER_ID": "101",
        "GREENHOUSE_HARVEST_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    assert main([command]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("karat-bot: the database in DATABASE_URL cannot be used")
    assert "secret-password" not in "\n".join(err)
    assert "Traceback" not in "\n".join(err)
