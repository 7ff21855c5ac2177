"""`karat-bot sync` from the command line: progress on stderr, a summary on stdout."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from bot.cli import main
from bot.sandbox.harvest import HarvestStandIn, RateWindow
from bot.sandbox.server import StandInServer
from bot.services.sync import SyncReport
from bot.settings import Settings
from bot.sync_cli import TerminalProgress, run_sync_command, summary


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(name="standin")
def standin_fixture() -> Iterator[tuple[HarvestStandIn, str]]:
    standin = HarvestStandIn()
    standin.rate_limits["v1"] = RateWindow(100_000, 10.0)
    standin.add_synthetic_candidates(1_100)
    with StandInServer(standin.app) as server:
        yield standin, server.url


def settings_for(url: str, database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        GREENHOUSE_HARVEST_URL=url,
        GREENHOUSE_HARVEST_VERSION="v1",
        GREENHOUSE_API_KEY="harvest-sandbox-key",
        GREENHOUSE_USER_ID=101,
        DATABASE_URL=database_url,
    )


def test_sync_fills_the_index_then_reads_only_changes(
    standin: tuple[HarvestStandIn, str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(standin[1], database_url)

    assert run_sync_command(settings) == 0
    first = capsys.readouterr()
    assert run_sync_command(settings) == 0
    second = capsys.readouterr()

    assert "full sync done" in first.out
    assert f"{len(standin[0].data.candidates):,} candidates" in first.out
    assert "candidates: " in first.err, "progress goes to stderr"
    assert "incremental sync done" in second.out


def test_sync_asks_for_the_schema_first(
    standin: tuple[HarvestStandIn, str],
    tmp_path: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path}/blank.db"
    assert run_sync_command(settings_for(standin[1], url)) == 1
    assert "karat-bot migrate" in capsys.readouterr().err


def test_the_command_line_knows_sync_and_full() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sync", "--help"])
    assert exited.value.code == 0


def test_progress_on_a_terminal_is_one_line_redrawn_with_time_left() -> None:
    stream, ticks = Terminal(), Ticks()
    progress = TerminalProgress(stream, clock=ticks)

    progress.update("candidates", 0, None)
    ticks.now += 10
    progress.update("candidates", 5_000, 50_000)
    ticks.now += 10
    progress.done("candidates", 50_000)

    text = stream.getvalue()
    assert text.count("\n") == 1, "only the finished line ends"
    assert "\r\x1b[K" in text
    assert "candidates: 5,000 of about 50,000 (500/s, about 1 min 30 s left)" in text
    assert text.endswith("candidates: 50,000 in 20 s\n")


def test_progress_in_a_log_is_a_line_every_few_seconds_without_a_total() -> None:
    stream, ticks = io.StringIO(), Ticks()
    progress = TerminalProgress(stream, every=5.0, clock=ticks)

    progress.update("applications", 0, None)
    for n in range(1, 21):
        ticks.now += 1
        progress.update("applications", n * 100, None)

    lines = stream.getvalue().splitlines()
    assert len(lines) == 4, "a line at once, then one every five seconds"
    assert lines[-1] == "applications: 1,600 (100/s)"
    assert "\r" not in stream.getvalue()


def test_summary_names_the_kind_of_sync() -> None:
    report = SyncReport(
        counts={"jobs": 3, "job_stages": 12}, full={"jobs": False}, seconds=75
    )
    assert summary(report) == (
        "karat-bot: incremental sync done in 1 min 15 s: 3 jobs, 12 interview stages."
    )
