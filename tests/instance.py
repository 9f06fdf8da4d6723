"""A portal instance on disk, driven through its console scripts."""

from pathlib import Path

import json
import os
import subprocess
import sys


BIN = Path(sys.executable).parent


class Instance:
    """An instance with a site and no demo content."""

    def __init__(self, repository: Path, root: Path, profile="development", env=None):
        self.repository = repository
        self.root = root
        self.path = root / "instance"
        self.profile = profile
        self.env = {**os.environ, **(env or {})}

    def command(self, program: str, *args) -> list:
        """A console script run on this instance."""
        return [
            BIN / program,
            "--profiles-dir",
            self.repository / "profiles",
            "--instance",
            self.path,
            "--profile",
            self.profile,
            *args,
        ]

    def run(self, program: str, *args, timeout: int = 300):
        return subprocess.run(
            self.command(program, *args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def prepare(self) -> None:
        result = self.run("pleiades-run", "--prepare-only", "--no-demo")
        assert result.returncode == 0, result.stderr

    def ingest(self, *args) -> subprocess.CompletedProcess:
        return self.run("pleiades-ingest", *args)

    def check(self) -> dict:
        """What tests/ingest/archive_check.py finds in the archive."""
        return self.script("tests.ingest.archive_check")

    def script(self, module: str, *args) -> dict:
        """Run a test module on the instance; return the JSON it prints last."""
        result = subprocess.run(
            [sys.executable, "-m", module, self.path, *map(str, args)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.repository,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])
