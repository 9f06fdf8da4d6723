"""Real portals in real processes: pleiades-run on a free port of 127.0.0.1."""

from pathlib import Path

import os
import pytest
import requests
import signal
import socket
import subprocess
import sys
import time


BIN = Path(sys.executable).parent
START_TIMEOUT = 180  # the first start creates the site
STOP_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Portal:
    """One ``pleiades-run`` process and the way to talk to it."""

    def __init__(self, repository: Path, instance: Path, profile: str, env: dict):
        self.repository = repository
        self.instance = instance
        self.profile = profile
        self.env = {**os.environ, **env}
        self.port = free_port()
        self.process = None
        self.output = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/Plone"

    @property
    def password(self) -> str:
        return (self.instance / "admin-password").read_text().strip()

    def command(self, *extra: str) -> list[str]:
        return [
            str(BIN / "pleiades-run"),
            "--profiles-dir",
            str(self.repository / "profiles"),
            "--instance",
            str(self.instance),
            "--profile",
            self.profile,
            "--port",
            str(self.port),
            *extra,
        ]

    def run(self, *extra: str, timeout: int = START_TIMEOUT):
        """Run pleiades-run to completion (for --prepare-only and failures)."""
        return subprocess.run(
            self.command(*extra),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self) -> None:
        """Start serving; return once the portal answers."""
        started = time.monotonic()
        self.log_path = self.instance.parent / f"run-{self.port}.log"
        # Kept open for the process's life; closed by kill().
        log = open(self.log_path, "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._log = log
        while time.monotonic() - started < START_TIMEOUT:
            if self.process.poll() is not None:
                raise AssertionError(f"portal exited: {self.read_output()}")
            try:
                if requests.get(self.url, timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        self.kill()
        raise AssertionError(f"portal not serving after {START_TIMEOUT}s")

    def read_output(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig=signal.SIGINT) -> int:
        """Stop as Ctrl-C does; return the exit code."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(STOP_TIMEOUT)
        finally:
            self.kill()

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.process:
            self._log.close()

    def session(self) -> requests.Session:
        """A session logged in as the generated admin account."""
        session = requests.Session()
        session.auth = ("admin", self.password)
        session.headers["Accept"] = "application/json"
        return session


@pytest.fixture
def make_portal(repository, tmp_path):
    """Factory of portals on a fresh instance; every process is killed at the end."""
    portals = []

    def factory(profile: str = "development", env: dict | None = None) -> Portal:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        portal = Portal(repository, instance, profile, env or {})
        portals.append(portal)
        return portal

    yield factory
    for portal in portals:
        portal.kill()
