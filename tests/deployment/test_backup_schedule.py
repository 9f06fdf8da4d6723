"""The backup's schedule under deploy/: systemd units and a crontab line that run
the real command with options it knows."""

from belspo.pleiades.cli import backup
from configparser import ConfigParser
from pathlib import Path

import pytest
import shlex


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def unit(name: str) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser


def options_of(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0].endswith("pleiades-backup")
    return words[1:]


def check(arguments: list[str]) -> None:
    """The command line parses: every option exists and has its value."""
    try:
        backup.parser().parse_args(arguments)
    except SystemExit as error:
        pytest.fail(f"pleiades-backup refuses {arguments}: exit {error.code}")


def test_the_timer_starts_the_service_every_night():
    timer = unit("pleiades-backup.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 02:15:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_service_runs_the_backup_once_without_timeout():
    service = unit("pleiades-backup.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["TimeoutStartSec"] == "infinity"
    check(options_of(service["ExecStart"]))


def test_the_crontab_line_runs_the_same_command():
    lines = (DEPLOY / "pleiades-backup.crontab").read_text().splitlines()
    (entry,) = [line for line in lines if line[:1].isdigit()]
    schedule, command = entry.split(None, 5)[:5], entry.split(None, 5)[5]
    assert schedule == ["15", "2", "*", "*", "*"]
    check(options_of(command.split("&&", 1)[1].strip().removeprefix(".venv/bin/")))
