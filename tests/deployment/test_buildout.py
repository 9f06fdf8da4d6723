"""The zc.buildout deployment: versions.cfg mirrors constraints.txt; bin/instance works.

The slow test runs buildout.cfg in a copy of the repository with the virtualenv's
buildout, which reuses the virtualenv's pinned distributions (nothing downloaded but
the editable build's backend, as for `make install`), then creates the site and
serves it with ``bin/instance console`` on a free port of 127.0.0.1.
"""

from ..conftest import REPOSITORY
from ..pins import constraint_pins
from ..pins import normalise
from .conftest import free_port
from collections.abc import Iterator
from pathlib import Path

import configparser
import contextlib
import os
import pytest
import re
import requests
import shutil
import signal
import subprocess
import sys
import time


BIN = Path(sys.executable).parent
SITE_SCRIPT = "src/belspo.pleiades/src/belspo/pleiades/cli/buildout_site.py"
BUILDOUT_TIMEOUT = 300
SITE_TIMEOUT = 300
START_TIMEOUT = 180
STOP_TIMEOUT = 60
TITLE = "Pleiades National Data Portal"


def versions_pins() -> list[tuple[str, str]]:
    """Return the (normalised name, version) pins of versions.cfg's [versions]."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(REPOSITORY / "versions.cfg")
    assert parser.sections() == ["versions"]
    return [(normalise(name), version) for name, version in parser["versions"].items()]


def test_versions_cfg_has_the_pins_of_constraints_txt() -> None:
    """versions.cfg is constraints.txt for buildout: same pins, none twice."""
    versions = versions_pins()
    assert len(versions) == len(dict(versions)), "a pin is repeated in versions.cfg"
    assert dict(versions) == constraint_pins(REPOSITORY)


def copy_repository(target: Path) -> None:
    """Copy the files git knows (tracked, and new ones not ignored) to target."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = REPOSITORY / name
        if source.is_file():  # not a deleted one
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def environment(root: Path) -> dict[str, str]:
    """Return the environment of the commands: pins for pip's build too."""
    return {**os.environ, "PIP_CONSTRAINT": str(root / "constraints.txt")}


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send a signal to a process's group (its session), if still there."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def run(command: list[str], root: Path, timeout: int) -> str:
    """Run a command in root to completion; return its output or fail with it."""
    process = subprocess.Popen(
        command,
        cwd=root,
        env=environment(root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        output, _ = process.communicate(timeout=30)
        pytest.fail(f"{command} still running after {timeout} s:\n{output}")
    finally:
        kill_group(process)  # what it may have left behind
    assert process.returncode == 0, f"{command} failed:\n{output}"
    return output


def buildout(root: Path, *assignments: str) -> float:
    """Run the virtualenv's buildout on root's buildout.cfg; return its seconds."""
    started = time.monotonic()
    # -U: no ~/.buildout/default.cfg; -o: use the virtualenv's distributions only.
    command = [str(BIN / "buildout"), "-U", "-N", "-o", "-c", "buildout.cfg"]
    run([*command, *assignments], root, BUILDOUT_TIMEOUT)
    return time.monotonic() - started


@contextlib.contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Let SIGINT stop the children started here, even if our shell ignores it."""
    # A Python handler is reset to the default on exec; SIG_IGN would be inherited.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def wait_until_served(session: requests.Session, url: str, process, log) -> None:
    """Wait until url answers 200, failing if the process exits or it takes long."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"bin/instance exited with {process.returncode}:\n{log.read()}")
        with contextlib.suppress(requests.RequestException):
            if session.get(url, timeout=10).status_code == 200:
                return
        time.sleep(0.5)
    log.seek(0)
    pytest.fail(f"{url} not served after {START_TIMEOUT} s:\n{log.read()}")


@pytest.mark.slow
def test_buildout_instance_serves_the_portal(tmp_path: Path) -> None:
    """buildout.cfg makes bin/instance; it serves the portal with the data kept."""
    started = time.monotonic()
    root = tmp_path / "repository"
    copy_repository(root)
    instance = root / "instance"
    var = instance / "var"
    seconds = buildout(root)
    print(f"buildout: {seconds:.1f} s")
    etc = root / "parts" / "instance" / "etc"
    zope_conf = (etc / "zope.conf").read_text()
    assert f"data-dir {var / 'sqlite'}" in zope_conf
    assert f"blob-dir {var / 'blobstorage'}" in zope_conf
    assert "zope_i18n_allowed_languages en fr nl" in zope_conf
    assert "listen = 127.0.0.1:8080\n" in (etc / "wsgi.ini").read_text()

    command = [str(root / "bin" / "instance"), "run", str(root / SITE_SCRIPT)]
    assert "created site 'Plone'" in run(command, root, SITE_TIMEOUT)
    kept = {path: path.read_bytes() for path in instance.glob("*") if path.is_file()}
    assert {path.name for path in kept} == {"README.md", "admin-password"}
    data = sorted(path.name for path in (var / "sqlite").iterdir())

    # Another address reinstalls the part (parts/instance is deleted): data kept.
    port = free_port()
    seconds = buildout(root, f"instance:http-address=127.0.0.1:{port}")
    print(f"buildout with another port (part reinstalled): {seconds:.1f} s")
    assert {path: path.read_bytes() for path in kept} == kept
    assert sorted(path.name for path in (var / "sqlite").iterdir()) == data

    url = f"http://127.0.0.1:{port}/Plone"
    session = requests.Session()
    session.trust_env = False  # no proxy: 127.0.0.1 only
    with (tmp_path / "instance.log").open("w+") as log, sigint_not_ignored():
        process = subprocess.Popen(
            [str(root / "bin" / "instance"), "console"],
            cwd=root,
            env=environment(root),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_served(session, url, process, log)
            print(f"serving after {time.monotonic() - started:.1f} s in all")
            page = session.get(url, timeout=30)
            assert page.status_code == 200
            title = re.search(r"<title>(.*?)</title>", page.text, re.DOTALL)
            assert title and TITLE in title.group(1)
            answer = session.get(
                url, headers={"Accept": "application/json"}, timeout=30
            )
            assert answer.headers["Content-Type"].startswith("application/json")
            assert answer.json()["@id"] == url
            kill_group(process, signal.SIGINT)  # as Ctrl-C
            assert process.wait(STOP_TIMEOUT) == 0
        finally:
            kill_group(process)
            process.wait(30)
