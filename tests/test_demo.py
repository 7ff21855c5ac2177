"""The demo is the product's main job: it must play to a successful end."""

from __future__ import annotations

from bot.cli import main


def test_demo_plays_every_step_and_exits_zero(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "All steps passed" in out
    assert "✗" not in out
    assert "To be graded by Sam Patel, Lee Okafor" in out
