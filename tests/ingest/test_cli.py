"""pleiades-ingest in real processes, on the instance's SQLite database."""

from belspo.pleiades.ingest.synthetic import write_delivery
from tests.instance import Instance

import os
import pytest
import random
import signal
import subprocess
import time


pytestmark = pytest.mark.slow


@pytest.fixture
def instance(repository, tmp_path) -> Instance:
    instance = Instance(repository, tmp_path)
    instance.prepare()
    return instance


def test_ingest_a_folder_of_deliveries(instance, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_delivery(inbox, count=2, seed=1)
    write_delivery(inbox, count=1, seed=2, as_zip=True)
    broken = inbox / "DELIVERY_broken"
    broken.mkdir()
    (broken / "VOL_PHR.XML").write_text("<not-dimap/>")
    result = instance.ingest(inbox)
    assert result.returncode == 1  # one delivery quarantined
    assert "2 ingested (3 products" in result.stdout
    assert "1 quarantined" in result.stdout
    assert "DELIVERY_broken: " in result.stdout
    assert "delivery" in result.stderr  # the progress bar
    assert [p.name for p in inbox.iterdir()] == []
    quarantine = instance.path / "var" / "ingest" / "quarantine"
    assert any(p.name.endswith("DELIVERY_broken") for p in quarantine.iterdir())
    state = instance.check()
    assert len(state["products"]) == 3
    for product in state["products"]:
        assert product["sha256_actual"] == product["sha256_recorded"]
    again = write_delivery(tmp_path / "again", count=2, seed=1)
    result = instance.ingest("--keep", again.path)
    assert result.returncode == 0
    assert "1 already archived" in result.stdout


def test_ingest_on_postgresql(repository, tmp_path, database):
    instance = Instance(repository, tmp_path, "production", {"PLEIADES_DSN": database})
    instance.prepare()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_delivery(inbox, count=2, seed=21, as_zip=True)
    write_delivery(inbox, count=1, seed=22, as_zip=True)
    result = instance.ingest("--no-progress", inbox)
    assert result.returncode == 0, result.stdout + result.stderr
    state = instance.check()
    assert len(state["products"]) == 3
    assert all(p["sha256_actual"] == p["sha256_recorded"] for p in state["products"])
    assert state["orphan_blobs"] == []


def test_watched_drop_folder(instance, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    write_delivery(drop, count=1, seed=3, as_zip=True)
    write_delivery(drop, count=2, seed=4)
    result = instance.ingest(
        "--watch", drop, "--interval", "0.2", "--settle", "0.5", "--once"
    )
    assert result.returncode == 0, result.stderr
    assert "ingested: DELIVERY_" in result.stdout
    assert list(drop.iterdir()) == []
    assert len(instance.check()["products"]) == 3


def test_watch_stops_cleanly_on_sigterm(instance, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    process = subprocess.Popen(
        instance.command("pleiades-ingest", "--watch", drop, "--interval", "0.2"),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert "watching" in process.stdout.readline()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "0 deliveries" in process.stdout.read()


def test_killed_at_random_points_loses_nothing(instance, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    deliveries = 16
    for seed in range(deliveries):
        write_delivery(inbox, count=2, seed=100 + seed, as_zip=seed % 2 == 0)
    rng = random.Random(2026)
    archived = []
    for _attempt in range(4):
        remaining = len(list(inbox.iterdir()))
        target = remaining - rng.randint(1, 3)
        process = subprocess.Popen(
            instance.command("pleiades-ingest", "--no-progress", inbox),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Once a few deliveries are archived, kill at a random moment of the next.
        deadline = time.monotonic() + 120
        while (
            len(list(inbox.iterdir())) > target
            and process.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.1))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        state = instance.check()
        for product in state["products"]:
            assert product["sha256_actual"] == product["sha256_recorded"]
        assert state["unloadable"] == []
        assert state["dangling"] == []
        archived.append(len(state["products"]))
    # The kills landed while deliveries were being archived, not after the run.
    assert all(0 < count < 2 * deliveries for count in archived), archived
    result = instance.ingest("--no-progress", inbox)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(inbox.iterdir()) == []
    state = instance.check()
    assert len(state["products"]) == 2 * deliveries
    assert all(p["sha256_actual"] == p["sha256_recorded"] for p in state["products"])
    assert state["unloadable"] == []
    assert state["dangling"] == []
    assert state["orphan_blobs"] == []
    assert state["temporary_files"] == []
