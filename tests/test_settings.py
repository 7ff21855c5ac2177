"""Settings: `karat-bot serve` refuses to start on a bad one, in one clear line.

Also the command line's help, and the two probes a load balancer calls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import cli
from bot.cli import main
from bot.sandbox.harness import Sandbox
from bot.settings import Settings
from bot.wiring import build_asgi, build_services
from tests.e2e_support import closed_port_url
from tests.sandbox_e2e import sandbox  # noqa: F401 - fixture, used by name

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-s3cretb0ttoken",
    "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
    "GREENHOUSE_CLIENT_SECRET": "gh-client-s3cret-value",
    "GREENHOUSE_WEBHOOK_SECRET": "gh-webhook-s3cret-value",
    "KARAT_API_KEY": "karat-interviews-s3cret-key",
    "KARAT_CODE_CHALLENGE_API_KEY": "karat-challenges-s3cret-key",
}
VALID = {
    **SECRETS,
    "GREENHOUSE_HARVEST_VERSION": "v3",
    "GREENHOUSE_CLIENT_ID": "karat-bot-client",
    "GREENHOUSE_USER_ID": "101",
    "KARAT_API_URL": "https://karat.example/assessments",
    "PUBLIC_URL": "https://karat-bot.example.com",
    "ADMIN_SLACK_USER_IDS": "U0RILEY",
}
PROBES = ("healthz", "readyz")
SERVED = 99  # what the stand-in for serving returns
PLACEHOLDERS = ["changeme", "CHANGEME", "change-me", "<your secret>", "your-api-key"]


@pytest.fixture(autouse=True)
def sealed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No setting from the machine's environment or a .env file leaks in.

    Should a test's settings be accepted, `serve` reports it instead of serving.
    """
    monkeypatch.setattr(cli, "_serve", lambda *args, **kwargs: SERVED)
    for name in [*Settings.model_fields, "PORT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    # `main` configures logging for the process; put it back as it was.
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {
        name: logger.level
        for name, logger in [("", root), *logging.Logger.manager.loggerDict.items()]
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)


def serve_with(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    **changes: str | None,
) -> tuple[int, list[str]]:
    """Run `karat-bot serve` with VALID settings changed; exit status, stderr lines."""
    for name, value in (VALID | changes).items():
        if value is not None:
            monkeypatch.setenv(name, value)
    status = main(["serve", "--no-worker"])
    assert status != SERVED, "the settings were accepted and the bot would serve"
    captured = capsys.readouterr()
    assert captured.out == ""
    return status, captured.err.strip().splitlines()


def assert_no_secret_in(text: str, *extra: str) -> None:
    for secret in [*SECRETS.values(), *extra]:
        assert secret not in text


# -- refusing to start ---------------------------------------------------------------


def test_serve_goes_on_to_serve_with_valid_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    for name, value in VALID.items():
        monkeypatch.setenv(name, value)

    assert main(["serve", "--no-worker"]) == SERVED
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("SLACK_BOT_TOKEN", "the Slack bot token, starting with xoxb-"),
        ("SLACK_SIGNING_SECRET", "the Slack app's signing secret"),
        ("GREENHOUSE_USER_ID", "the numeric id of the integration service user"),
        ("GREENHOUSE_CLIENT_ID", "the Harvest v3 OAuth client id"),
        ("GREENHOUSE_CLIENT_SECRET", "the Harvest v3 OAuth client secret"),
        ("KARAT_API_URL", "the base URL of the Karat assessment API"),
        ("KARAT_API_KEY", "the Karat assessment API key"),
        ("PUBLIC_URL", "the bot's external https base URL"),
    ],
)
def test_serve_stops_on_a_missing_setting_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    wanted: str,
):
    status, lines = serve_with(monkeypatch, capsys, **{name: None})

    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"karat-bot: {name} is not set: set it to {wanted}")
    assert_no_secret_in(lines[0])


def test_serve_on_harvest_v1_needs_the_api_key_instead(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    status, lines = serve_with(
        monkeypatch,
        capsys,
        GREENHOUSE_HARVEST_VERSION="v1",
        GREENHOUSE_CLIENT_ID=None,
        GREENHOUSE_CLIENT_SECRET=None,
    )

    assert status == 2
    assert lines == [
        "karat-bot: GREENHOUSE_API_KEY is not set: set it to the Harvest v1 API key."
    ]


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-9999-user-s3cret", "must start with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-app-s3cret", "must start with xapp-"),
        ("GREENHOUSE_USER_ID", "karat@acme.example", "is not valid"),
        ("GREENHOUSE_HARVEST_VERSION", "v2", "is not valid"),
        ("KARAT_API_URL", "karat.example/assessments", "must be an http(s) URL"),
        ("PUBLIC_URL", "karat-bot.example.com", "must be an http(s) URL"),
        ("DATABASE_URL", "mysql://bot:db-s3cret@db/bot", "must start with sqlite:///"),
        ("ADMIN_SLACK_USER_IDS", "riley", "is not a Slack user id"),
        ("RECRUITER_SOURCE", "recruiter", "is not valid"),
        ("LOG_LEVEL", "LOUD", "must be DEBUG, INFO, WARNING or ERROR"),
        ("KARAT_API_KEY", "k" * 171, "is too long for a Karat key"),
    ],
)
def test_serve_stops_on_a_malformed_setting_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    problem: str,
):
    status, lines = serve_with(monkeypatch, capsys, **{name: value})

    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"karat-bot: {name} ")
    assert problem in lines[0]
    assert ": set it to " in lines[0]
    assert_no_secret_in(lines[0], "s3cret", "k" * 20)


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_serve_refuses_placeholder_secrets(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    placeholder: str,
):
    status, lines = serve_with(monkeypatch, capsys, **{name: placeholder})

    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"karat-bot: {name} ")
    assert "set it to" in lines[0]
    assert placeholder not in lines[0]
    assert_no_secret_in(lines[0])


@pytest.mark.parametrize(
    ("name", "placeholder"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-…"),  # as the README shows the token
        ("SLACK_BOT_TOKEN", "xoxb-changeme"),
        ("SLACK_BOT_TOKEN", "xoxb-your-bot-token"),
        ("SLACK_APP_TOKEN", "xapp-…"),
    ],
)
def test_serve_refuses_placeholder_slack_tokens(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    placeholder: str,
):
    status, lines = serve_with(monkeypatch, capsys, **{name: placeholder})

    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"karat-bot: {name} ")
    assert placeholder not in lines[0]


def test_serve_reads_the_env_file_in_the_working_directory(
    capsys: pytest.CaptureFixture[str],
):
    lines = [f"{k}={v}" for k, v in VALID.items() if k != "KARAT_API_KEY"]
    Path(".env").write_text("\n".join([*lines, "KARAT_API_KEY=changeme", ""]))

    status = main(["serve", "--no-worker"])
    err = capsys.readouterr().err.strip().splitlines()

    assert status == 2
    assert len(err) == 1 and err[0].startswith("karat-bot: KARAT_API_KEY ")
    assert "placeholder" in err[0]


@pytest.mark.parametrize("port", ["eighty", "70000", "-1"])
def test_serve_stops_on_a_malformed_port_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], port: str
):
    """The contract's default port is `$PORT`; a bad one must not crash the CLI."""
    monkeypatch.setenv("PORT", port)

    status, lines = serve_with(monkeypatch, capsys)

    assert status == 2
    assert len(lines) == 1, lines
    assert "PORT" in lines[0]


# -- help ------------------------------------------------------------------------------


def test_help_describes_every_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("PORT", "eighty")  # help must not depend on the settings

    with pytest.raises(SystemExit) as stopped:
        main(["--help"])

    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: karat-bot")
    for command in ("serve", "worker", "health", "demo", "migrate", "sync"):
        assert f"    {command} " in out, command


def test_serve_help_describes_its_options(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--help"])

    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: karat-bot serve")
    for option in ("--host HOST", "--port PORT", "--no-worker"):
        assert option in out
    assert "default 127.0.0.1" in out and "$PORT or 3000" in out


def test_python_dash_m_bot_is_the_same_program(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: karat-bot serve")


# -- probes ----------------------------------------------------------------------------


def test_healthz_and_readyz_answer_ok_on_a_running_bot(
    request: pytest.FixtureRequest,
):
    sb: Sandbox = request.getfixturevalue("sandbox")

    healthz = sb.http.get(f"{sb.bot_url}/healthz")
    readyz = sb.http.get(f"{sb.bot_url}/readyz")

    assert healthz.status_code == 200 and healthz.json() == {"status": "ok"}
    assert readyz.status_code == 200 and readyz.json()["status"] == "ready"


def local_settings(**changes: Any) -> Settings:
    """Valid settings whose upstream URLs all point where nothing listens."""
    dead = closed_port_url()
    values: dict[str, Any] = VALID | {
        "SLACK_API_URL": f"{dead}/api/",
        "GREENHOUSE_HARVEST_URL": dead,
        "GREENHOUSE_TOKEN_URL": f"{dead}/token",
        "KARAT_API_URL": dead,
    }
    values |= changes
    return Settings(
        _env_file=None, **{k: v for k, v in values.items() if v is not None}
    )


def probe(settings: Settings) -> dict[str, httpx.Response]:
    """GET /healthz and /readyz from the app `karat-bot serve` would run."""

    async def run() -> dict[str, httpx.Response]:
        services, client = build_services(settings)
        app = build_asgi(services, client, run_worker=False)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bot"
            ) as http:
                return {path: await http.get(f"/{path}") for path in PROBES}
        finally:
            await services.aclose()

    return asyncio.run(run())


def test_readyz_is_503_while_the_database_does_not_answer():
    nowhere = closed_port_url().replace("http://", "postgresql://karat@")

    answers = probe(local_settings(DATABASE_URL=f"{nowhere}/karat_bot"))

    assert answers["healthz"].status_code == 200
    assert answers["healthz"].json() == {"status": "ok"}
    assert answers["readyz"].status_code == 503
    assert answers["readyz"].json() == {
        "status": "unavailable",
        "database": "unreachable",
    }


def test_readyz_is_503_while_a_setting_is_missing(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'karat-bot.db'}"

    answers = probe(local_settings(DATABASE_URL=database, PUBLIC_URL=None))

    assert answers["healthz"].status_code == 200
    readyz = answers["readyz"]
    assert readyz.status_code == 503
    assert readyz.json()["status"] == "unavailable"
    (problem,) = readyz.json()["settings"]
    assert problem.startswith("PUBLIC_URL is not set")
    assert_no_secret_in(readyz.text)
