"""`karat-bot health [--json]`: the report, the exit status, and no secret in sight."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.health_support import (
    SECRETS,
    HealthWorld,
    harvest_slot,
    health_world,
    karat_slot,
    slack_slot,
)

__all__ = ["harvest_slot", "health_world", "karat_slot", "slack_slot"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # `main` configures the root logger for the process; put it back afterwards.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(name="environment")
def environment_fixture(
    health_world: HealthWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> HealthWorld:
    """The world's settings in the environment, run from a folder with no .env."""
    monkeypatch.chdir(tmp_path)
    for name, value in health_world.values("v3").items():
        monkeypatch.setenv(name, str(value))
    return health_world


def assert_no_secret(text: str) -> None:
    for value in SECRETS.values():
        # Not the secret, and not a recognisable piece of it either.
        for start in range(0, len(value) - 7):
            assert value[start : start + 8] not in text, value


@pytest.mark.usefixtures("environment")
def test_text_report_lists_every_check_and_exits_one_on_a_failure(
    capsys: pytest.CaptureFixture[str],
):
    assert main(["health"]) == 1
    out, err = capsys.readouterr()
    assert "✓ GET: List Scorecards: allowed" in out
    assert "✗ Interview plans: a single Karat stage:" in out
    assert "    fix: In each job's interview plan keep one Karat stage" in out
    assert "! Stage alignment:" in out
    assert out.rstrip().endswith("warnings.")
    assert_no_secret(out + err)


def test_json_report_follows_the_contract_and_exits_zero_without_failures(
    environment: HealthWorld, capsys: pytest.CaptureFixture[str]
):
    environment.fix_job_202()
    assert main(["health", "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["ok"] is True
    assert {c["status"] for c in report["checks"]} <= {"pass", "warn", "fail"}
    for item in report["checks"]:
        assert {"name", "status", "detail"} <= set(item)
    names = [c["name"] for c in report["checks"]]
    assert "GET: List Scorecards" in names and "POST: Add Note" in names
    assert_no_secret(out + err)


def test_smoke_reports_each_step(
    environment: HealthWorld, capsys: pytest.CaptureFixture[str]
):
    environment.fix_job_202()
    assert main(["health", "--json", "--smoke"]) == 0
    out, err = capsys.readouterr()
    smoke = [c for c in json.loads(out)["checks"] if c["name"].startswith("Smoke:")]
    assert [c["status"] for c in smoke] == ["pass"] * 4
    assert_no_secret(out + err)


@pytest.mark.usefixtures("environment")
def test_refused_credentials_never_show_the_secret(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("KARAT_API_KEY", "karat-wrong-key-0123456789")
    monkeypatch.setenv("GREENHOUSE_CLIENT_SECRET", "greenhouse-wrong-secret-0123")
    assert main(["health"]) == 1
    out, err = capsys.readouterr()
    assert "Karat refused the key (KARAT_API_KEY) with 401" in out
    for value in ("karat-wrong-key", "greenhouse-wrong-secret", "0123456789"):
        assert value not in out + err
    assert_no_secret(out + err)


@pytest.mark.usefixtures("environment")
def test_missing_settings_fail_the_check_and_exit_one(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.delenv("KARAT_API_KEY")
    assert main(["health", "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["Settings"]["status"] == "fail"
    assert "SLACK_BOT_TOKEN" in checks["Settings"]["detail"]
    assert checks["Slack bot token"]["detail"].startswith("not checked:")
    assert checks["Karat key: Interviews"]["detail"].startswith("not checked:")


@pytest.mark.usefixtures("environment")
def test_an_unreadable_configuration_exits_two_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "sandbox-token-without-prefix")
    assert main(["health", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "SLACK_BOT_TOKEN" in err
    assert "sandbox-token-without-prefix" not in err
