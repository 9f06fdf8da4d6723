"""pleiades-backup against a full backup volume and a restarted PostgreSQL."""

from pathlib import Path
from tests.instance import Instance
from tests.preservation.test_backup import assert_same
from tests.preservation.test_backup import Backup
from tests.preservation.test_backup import ingest
from tests.preservation.test_backup import open_state

import json
import pytest
import subprocess
import time


pytestmark = pytest.mark.slow


@pytest.fixture
def small_volume(tmp_path):
    """A 4 MiB file system for the backup: a real ENOSPC, not a simulated one."""
    volume = tmp_path / "backup-volume"
    volume.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(volume)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {mounted.stderr.strip()}")
    try:
        yield volume
    finally:
        subprocess.run(["umount", "-l", str(volume)], check=False)


def test_a_full_backup_volume_fails_clearly_and_the_next_run_completes(
    repository, tmp_path, small_volume
):
    primary = Instance(repository, tmp_path)
    primary.prepare()
    # About 12 MiB of packages: three times what the volume holds.
    ingest(primary, tmp_path, 31, 32, 33, payload_bytes=4 << 20)
    before = open_state(primary.path)[:2]
    backup = Backup(
        primary, tmp_path / "backup", env={"PLEIADES_BACKUP_DIR": str(small_volume)}
    )
    result = subprocess.run(
        backup.command(), env=backup.env, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "No space left on device" in output
    report_path = output.rsplit("report: ", 1)[1].split()[0]
    report = json.loads(Path(report_path).read_text())
    assert report["status"] == "failed"
    assert any("No space left" in p["detail"] for p in report["problems"])
    # The primary is untouched: the same objects and blob files as before
    # (but for the failed run's report, recorded in the portal).
    records, blobs = open_state(primary.path)[:2]
    assert {k: v for k, v in blobs.items() if k in before[1]} == before[1]
    assert set(before[0]) <= set(records)
    # Room is made: the next run completes and verifies.
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_volume)], check=True)
    done = backup.run()
    assert done["first_copy"] is True
    assert done["products_backup"] == 3
    assert_same(primary, backup, done)


def restart_postgresql() -> None:
    (version,) = [p.name for p in Path("/etc/postgresql").iterdir()]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )


def test_a_postgresql_restart_mid_run_fails_loudly_and_the_next_run_completes(
    repository, tmp_path, database
):
    primary = Instance(repository, tmp_path, "production", {"PLEIADES_DSN": database})
    primary.prepare()
    ingest(primary, tmp_path, 41, 42, 43, 44, 45, 46, payload_bytes=16 << 20)
    backup = Backup(primary, tmp_path / "backup")
    process = subprocess.Popen(
        backup.command(),
        env=backup.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    blobs = tmp_path / "backup" / "var" / "backup" / "blobstorage"
    deadline = time.monotonic() + 120
    while not any(blobs.rglob("*.blob")) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert process.poll() is None, "the run ended before the restart"
    restart_postgresql()  # while the packages are being copied
    output = process.communicate(timeout=300)[0]
    # It fails loudly (non-zero, said why) or it retried and completed.
    if process.returncode != 0:
        assert process.returncode in (1, 2), output
        assert "error" in output.lower() or "fail" in output.lower(), output
    done = backup.run()
    assert done["products_backup"] == 6
    assert_same(primary, backup, done)
