"""pleiades-backup in real processes: SQLite and PostgreSQL, kills, the lock."""

from belspo.pleiades.ingest.synthetic import write_delivery
from belspo.pleiades.preservation.copy import current_records
from belspo.pleiades.preservation.copy import MARKER
from belspo.pleiades.preservation.storages import open_storage
from contextlib import contextmanager
from pathlib import Path
from tests.conftest import SERVER_DSN
from tests.instance import Instance

import fcntl
import hashlib
import json
import os
import psycopg2
import pytest
import secrets
import signal
import subprocess
import time


pytestmark = pytest.mark.slow


class Backup:
    """A backup instance of a primary, brought up to date by pleiades-backup."""

    def __init__(self, primary: Instance, path: Path, profile="backup", env=None):
        self.primary = primary
        self.path = path
        self.profile = profile
        self.env = {**primary.env, **(env or {})}

    def command(self, *args) -> list:
        return self.primary.command(
            "pleiades-backup",
            "--backup-instance",
            self.path,
            "--backup-profile",
            self.profile,
            "--no-progress",
            *args,
        )

    def start(self) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(),
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def run(self, *args, expect: int = 0) -> dict:
        """Run a backup; return its report."""
        result = subprocess.run(
            self.command(*args), env=self.env, capture_output=True, text=True
        )
        assert result.returncode == expect, result.stdout + result.stderr
        path = result.stdout.rsplit("report: ", 1)[1].strip()
        report = json.loads(Path(path).read_text())
        assert report["status"] == ("ok" if expect == 0 else "failed")
        return report

    @property
    def blob_dir(self) -> Path:
        return open_state(self.path)[2]


def open_state(instance: Path) -> tuple[dict, dict, Path]:
    """The current objects of an instance's storage, its blob files by (oid, tid)
    with their SHA-256, and its blob directory."""
    opened = open_storage(instance / "etc" / "zope.conf", read_only=True)
    try:
        records = dict(current_records(opened.storage))
        helper = opened.storage.blobhelper.fshelper
        blobs = {}
        for path in opened.blob_dir.rglob("*.blob"):
            oid = helper.getOIDForPath(str(path.parent))
            tid = bytes.fromhex(path.name[2 : -len(".blob")])
            blobs[oid, tid] = hashlib.sha256(path.read_bytes()).hexdigest()
        return records, blobs, opened.blob_dir
    finally:
        opened.close()


def assert_same(primary: Instance, backup: Backup, report: dict) -> None:
    """The backup holds the primary's current objects and blob files, no more.

    The run then recorded its report in the primary portal: one transaction
    more on the primary, copied by the next run.
    """
    records, blobs, _ = open_state(primary.path)
    backup_records, backup_blobs, _ = open_state(backup.path)
    copied = bytes.fromhex(report["last_tid_backup"])
    later = {oid for oid, tid in records.items() if tid > copied}
    assert len({records[oid] for oid in later}) <= 1  # the report's transaction
    assert {o: t for o, t in records.items() if o not in later} == {
        o: t for o, t in backup_records.items() if o not in later
    }
    assert all(
        backup_records[oid] < records[oid] for oid in later & set(backup_records)
    )
    current = {
        key: value for key, value in blobs.items() if records.get(key[0]) == key[1]
    }
    assert backup_blobs == current
    assert current


def ingest(instance: Instance, tmp_path: Path, *seeds: int, **options) -> None:
    """Archive one delivery per seed, in one pleiades-ingest run."""
    inbox = tmp_path / f"inbox-{seeds[0]}"
    inbox.mkdir()
    for seed in seeds:
        write_delivery(inbox, seed=seed, as_zip=True, **options)
    result = instance.ingest("--no-progress", inbox)
    assert result.returncode == 0, result.stdout + result.stderr


@contextmanager
def another_database():
    """A second empty PostgreSQL database (the backup's), dropped afterwards."""
    name = f"pleiades_backup_{secrets.token_hex(4)}"
    admin = psycopg2.connect(SERVER_DSN, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s",
                (name,),
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_sqlite_to_sqlite(repository, tmp_path):
    primary = Instance(repository, tmp_path)
    primary.prepare()
    ingest(primary, tmp_path, 1, count=2)
    backup = Backup(primary, tmp_path / "backup-instance")
    first = backup.run()
    assert first["first_copy"] is True
    assert first["problems"] == []
    assert first["products_primary"] == first["products_backup"] == 2
    assert first["blobs"] == first["verified_new"] > 0
    assert first["last_tid_backup"] == first["last_tid_primary"]
    assert (backup.path / "var" / "backup-reports" / f"{first['run_id']}.json").exists()
    assert not (backup.blob_dir.parent / MARKER).exists()
    assert_same(primary, backup, first)

    # A product deleted (and the primary packed), another ingested: only that moves.
    deleted = primary.script("tests.preservation.primary_tools")
    _, blobs_before, _ = open_state(primary.path)
    ingest(primary, tmp_path, 2, count=1)
    _, blobs_after, _ = open_state(primary.path)
    new = backup.run("--report-dir", tmp_path / "reports")
    assert (tmp_path / "reports" / f"{new['run_id']}.json").exists()
    assert new["first_copy"] is False
    assert new["problems"] == []
    assert new["transactions"] <= 4  # first report, deletion, pack, ingest
    assert new["objects"] < first["objects"] / 4
    added = set(blobs_after) - set(blobs_before)
    assert new["blobs"] == new["verified_new"] == len(added) > 0
    assert new["deleted"] > 0
    assert new["products_primary"] == new["products_backup"] == 2
    assert new["last_tid_backup"] == new["last_tid_primary"]
    assert_same(primary, backup, new)
    _, backup_blobs, _ = open_state(backup.path)
    package = bytes.fromhex(deleted["package_oid"])
    assert package not in {oid for oid, _tid in backup_blobs}

    # The backup starts as a working portal, and the drill leaves it as it was.
    drilled = Instance(repository, backup.path.parent, "backup")
    drilled.path = backup.path
    before = open_state(backup.path)[:2]
    result = drilled.run("pleiades-restore-drill", "--no-progress", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert open_state(backup.path)[:2] == before
    assert backup.run()["problems"] == []

    # A second run while one holds the lock refuses, and says why.
    with open(backup.path / "backup.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = subprocess.run(
            backup.command(), env=backup.env, capture_output=True, text=True
        )
    assert result.returncode == 75, result.stderr
    assert "another backup run" in result.stderr
    assert "holds" in result.stderr

    result = subprocess.run(
        Backup(primary, backup.path, profile="nosuch").command(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "no deployment profile 'nosuch'" in result.stderr


def test_postgresql_to_postgresql_and_to_sqlite(repository, tmp_path, database):
    primary = Instance(repository, tmp_path, "production", {"PLEIADES_DSN": database})
    primary.prepare()
    ingest(primary, tmp_path, 11, count=2)
    volume = tmp_path / "backup-volume"
    volume.mkdir()
    with another_database() as backup_dsn:
        env = {"PLEIADES_BACKUP_DSN": backup_dsn, "PLEIADES_BACKUP_DIR": str(volume)}
        on_postgresql = Backup(
            primary, tmp_path / "backup-pg", "backup-postgresql", env
        )
        first = on_postgresql.run()
        assert first["first_copy"] is True
        assert first["products_backup"] == 2
        assert "password" not in first["backup"]
        assert first["backup"].startswith("PostgreSQL ")
        assert on_postgresql.blob_dir == volume / "blobstorage"
        assert_same(primary, on_postgresql, first)
        # The drill runs on a copy of the backup's database, not on it.
        drilled = Instance(repository, tmp_path, "backup-postgresql", env)
        drilled.path = on_postgresql.path
        before = open_state(on_postgresql.path)[:2]
        result = drilled.run("pleiades-restore-drill", "--no-progress", timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        assert open_state(on_postgresql.path)[:2] == before
        assert not list(volume.glob(".restore-drill-*"))
        ingest(primary, tmp_path, 12, count=1)
        new = on_postgresql.run()
        assert new["first_copy"] is False
        assert 0 < new["blobs"] < first["blobs"]
        assert new["products_backup"] == 3
        assert_same(primary, on_postgresql, new)

    on_sqlite = Backup(primary, tmp_path / "backup-sqlite")
    on_sqlite.env.pop("PLEIADES_BACKUP_DIR", None)
    first = on_sqlite.run()
    assert first["first_copy"] is True
    assert first["backup"].startswith("SQLite ")
    assert first["products_primary"] == first["products_backup"] == 3
    assert_same(primary, on_sqlite, first)


def test_backup_postgresql_needs_its_dsn(repository, tmp_path):
    primary = Instance(repository, tmp_path)
    (primary.path / "var").mkdir(parents=True)
    backup = Backup(primary, tmp_path / "backup", "backup-postgresql")
    backup.env.pop("PLEIADES_BACKUP_DSN", None)
    result = subprocess.run(
        backup.command(), env=backup.env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "needs backup_dsn" in result.stderr


def kill_when(process: subprocess.Popen, ready, deadline: float = 60) -> None:
    """SIGKILL the process (and its group) as soon as ready() holds."""
    stop = time.monotonic() + deadline
    while not ready() and process.poll() is None and time.monotonic() < stop:
        time.sleep(0.001)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def blob_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.suffix in (".blob", ".tmp")]


def test_killed_runs_are_completed_by_the_next(repository, tmp_path):
    primary = Instance(repository, tmp_path)
    primary.prepare()
    payload = 30_000_000
    ingest(primary, tmp_path, 21, 22, count=1, payload_bytes=payload)
    backup = Backup(primary, tmp_path / "backup-instance")
    blob_dir = backup.path / "var" / "backup" / "blobstorage"
    marker = blob_dir.parent / MARKER

    # Killed in the middle of the first copy: the marker stays, the rerun starts over.
    kill_when(backup.start(), lambda: blob_dir.is_dir() and blob_files(blob_dir))
    assert marker.exists()
    assert blob_files(blob_dir)
    again = backup.run()
    assert again["first_copy"] is True
    assert not marker.exists()
    assert_same(primary, backup, again)

    # A marker found on a complete backup is never built on: all is copied again.
    marker.write_text("pid 0\n")
    redone = backup.run()
    assert redone["first_copy"] is True
    assert redone["objects"] >= again["objects"]
    assert redone["blobs"] == again["blobs"]
    assert_same(primary, backup, redone)

    # Killed in the middle of an incremental run: the next run goes on from there.
    ingest(primary, tmp_path, 23, 24, count=1, payload_bytes=payload)
    before = len(blob_files(blob_dir))
    kill_when(backup.start(), lambda: len(blob_files(blob_dir)) > before)
    assert not marker.exists()
    rerun = backup.run()
    assert rerun["first_copy"] is False
    assert rerun["products_backup"] == 4
    assert_same(primary, backup, rerun)
