"""pleiades-restore-drill in real processes: a backup copied from a primary."""

from belspo.pleiades.ingest.synthetic import write_delivery
from pathlib import Path
from tests.instance import Instance

import hashlib
import json
import pytest
import shutil


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def primary(repository, tmp_path_factory) -> Instance:
    """A portal with three products ingested by pleiades-ingest."""
    root = tmp_path_factory.mktemp("primary")
    instance = Instance(repository, root)
    instance.prepare()
    inbox = root / "inbox"
    write_delivery(inbox, count=2, seed=41)
    write_delivery(inbox, count=1, seed=42, as_zip=True)
    result = instance.ingest("--no-progress", inbox)
    assert result.returncode == 0, result.stdout + result.stderr
    return instance


def make_backup(primary: Instance, root: Path, copy: bool = True) -> Instance:
    """A backup instance whose volume holds a copy of the primary's data.

    The layout of ``profiles/backup``: ``sqlite/`` and ``blobstorage/`` under
    PLEIADES_BACKUP_DIR; the Zope manager's password copied with the data.
    """
    volume = root / "backup-volume"
    volume.mkdir()
    if copy:
        shutil.copytree(primary.path / "var" / "sqlite", volume / "sqlite")
        shutil.copytree(primary.path / "var" / "blobstorage", volume / "blobstorage")
    backup = Instance(
        primary.repository, root, "backup", {"PLEIADES_BACKUP_DIR": str(volume)}
    )
    backup.path.mkdir()
    shutil.copy(primary.path / "admin-password", backup.path / "admin-password")
    return backup


def files_of(folder: Path) -> dict[str, str]:
    """Every file under folder with its SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


def drill(backup: Instance, report: Path):
    return backup.run(
        "pleiades-restore-drill", "--report", report, "--no-progress", timeout=600
    )


def test_backup_starts_as_a_working_portal(primary, tmp_path):
    backup = make_backup(primary, tmp_path)
    volume = tmp_path / "backup-volume"
    before = files_of(volume)
    result = drill(backup, tmp_path / "report.json")
    assert result.returncode == 0, result.stdout + result.stderr
    # The portal ran on a snapshot: serving pages wrote nothing to the backup.
    assert files_of(volume) == before
    assert "restore drill OK" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "ok"
    assert (report["products"], report["checked"]) == (3, 3)
    assert report["failures"] == [] and report["problems"] == []
    assert report["bytes_checked"] > 0
    assert report["duration_s"] > 0
    checks = {check["check"]: check for check in report["http"]}
    assert set(checks) == {"home page", "product page", "product download"}
    assert all(check["ok"] and check["status"] == 200 for check in checks.values())
    assert "/@@download/package" in checks["product download"]["url"]
    assert report["snapshot"].startswith(str(volume / ".restore-drill-"))


def package_blob(blobs: Path, sha256: str) -> Path:
    """The blob file holding the package with this SHA-256."""
    for blob in blobs.rglob("*.blob"):
        if hashlib.sha256(blob.read_bytes()).hexdigest() == sha256:
            return blob
    raise LookupError(sha256)


def test_a_corrupted_blob_fails_the_drill_naming_the_product(primary, tmp_path):
    backup = make_backup(primary, tmp_path)
    victim = primary.check()["products"][0]
    blob = package_blob(
        tmp_path / "backup-volume" / "blobstorage", victim["sha256_recorded"]
    )
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    blob.write_bytes(bytes(data))
    result = drill(backup, tmp_path / "report.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "restore drill FAILED" in result.stdout
    assert f"damaged: {victim['dataset_name']}" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "failed"
    assert (report["products"], report["checked"]) == (3, 3)
    assert [f["product"] for f in report["failures"]] == [victim["dataset_name"]]
    assert victim["sha256_recorded"] in report["failures"][0]["problem"]


def test_an_empty_backup_fails_and_stays_no_portal(primary, tmp_path):
    backup = make_backup(primary, tmp_path, copy=False)
    result = drill(backup, tmp_path / "report.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the portal did not start" in result.stdout
    assert "is the database empty?" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "failed"
    assert report["products"] == 0 and report["http"] == []
    # Refused again the second time: the first drill created no portal.
    again = drill(backup, tmp_path / "again.json")
    assert again.returncode == 1
    assert "is the database empty?" in again.stdout


def test_no_password_is_a_clear_error(primary, tmp_path):
    backup = make_backup(primary, tmp_path)
    (backup.path / "admin-password").unlink()
    result = drill(backup, tmp_path / "report.json")
    assert result.returncode == 2
    assert "copy the primary's admin-password" in result.stderr
    assert not (backup.path / "admin-password").exists()
