"""Fixity: the backup's verification, pleiades-fixity and pleiades-repair.

``verify`` is tested on two raw RelStorage SQLite storages, the backup made by
copying the primary's files. The console scripts run in real processes on an
instance with ingested products and a copy of it as the other side. Run as
``python -m tests.preservation.test_fixity INSTANCE``, this module prints the
products' fixity histories as JSON.
"""

from belspo.pleiades.preservation.verify import blob_files
from belspo.pleiades.preservation.verify import blob_path
from belspo.pleiades.preservation.verify import sha256_file
from belspo.pleiades.preservation.verify import verify
from pathlib import Path

import hashlib
import json
import math
import pytest
import shutil
import sys


CONFIG = """
%import relstorage
<relstorage>
    keep-history false
    blob-dir {folder}/blobstorage
    shared-blob-dir true
    <sqlite3>
        data-dir {folder}/sqlite
    </sqlite3>
</relstorage>
"""


def open_storage(folder: Path):
    import ZODB.config

    (folder / "sqlite").mkdir(parents=True, exist_ok=True)
    return ZODB.config.storageFromString(CONFIG.format(folder=folder))


def flip(path: Path, at: int | None = None) -> None:
    """Corrupt a blob file: invert one byte (in the middle by default)."""
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if at is None else at
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


# verify() on raw storages


def add_products(storage, first: int, count: int) -> None:
    """Products with a package and a quicklook blob, one transaction each."""
    from belspo.pleiades.content.product import Product
    from BTrees.OOBTree import OOBTree
    from persistent.mapping import PersistentMapping
    from plone.namedfile.file import NamedBlobFile
    from plone.namedfile.file import NamedBlobImage
    from ZODB.blob import Blob

    import transaction
    import ZODB

    db = ZODB.DB(storage)
    manager = transaction.TransactionManager()
    connection = db.open(manager)
    root = connection.root()
    if "Application" not in root:
        root["Application"] = PersistentMapping(
            {"Plone": PersistentMapping({"catalogue": OOBTree()})}
        )
        manager.commit()
    folder = root["Application"]["Plone"]["catalogue"]
    for number in range(first, first + count):
        package = f"package {number} ".encode() * (1000 + number)
        product = Product(id=f"product-{number}")
        product.package = NamedBlobFile.__new__(NamedBlobFile)
        product.package._blob = Blob(package)
        product.package_sha256 = hashlib.sha256(package).hexdigest()
        product.quicklook = NamedBlobImage.__new__(NamedBlobImage)
        product.quicklook._blob = Blob(f"quicklook {number}".encode())
        folder[product.id] = product
        manager.commit()
    connection.close()
    db.close()


def make_sides(tmp_path: Path, products: int):
    """A primary with products and a backup copied from its files (both closed)."""
    primary = tmp_path / "primary"
    add_products(open_storage(primary), 0, products)
    backup = tmp_path / "backup"
    shutil.copytree(primary, backup)
    return primary, backup


class Sides:
    """The two storages, opened; closed by the fixture."""

    def __init__(self, primary: Path, backup: Path, state: Path):
        self.primary = open_storage(primary)
        self.backup = open_storage(backup)
        self.state = state

    def verify(self, copied=(), share=0.0) -> dict:
        return verify(self.primary, self.backup, list(copied), self.state, share)

    def path(self, side, blob) -> Path:
        return blob_path(getattr(self, side), *blob)

    def blobs(self) -> list:
        return sorted(blob_files(self.primary))

    def close(self) -> None:
        self.primary.close()
        self.backup.close()


def sides_fixture(tmp_path, products=5):
    primary, backup = make_sides(tmp_path, products)
    return Sides(primary, backup, tmp_path / "state" / "rolling.json")


def packages(sides) -> list:
    """The package blobs (the big ones) of the primary."""
    return [b for b in sides.blobs() if sides.path("primary", b).stat().st_size > 1000]


def test_verify_a_faithful_copy(tmp_path):
    sides = sides_fixture(tmp_path)
    try:
        report = sides.verify(sides.blobs(), share=0.5)
        assert report["problems"] == []
        assert report["last_tid_primary"] == report["last_tid_backup"]
        assert len(report["last_tid_primary"]) == 16
        assert report["products_primary"] == report["products_backup"] == 5
        assert report["verified_new"] == 10
        assert report["verified_rolling"] == 0  # nothing older than tonight's copy
        # Packages are read on the backup only (their checksum is recorded),
        # other blobs on both sides.
        sizes = [sides.path("backup", b).stat().st_size for b in sides.blobs()]
        images = [size for size in sizes if size < 1000]
        assert len(images) == 5
        assert report["bytes_verified"] == sum(sizes) + sum(images)
    finally:
        sides.close()


def test_verify_finds_damaged_new_copies(tmp_path):
    sides = sides_fixture(tmp_path)
    try:
        blobs = sides.blobs()
        package, other_package = packages(sides)[:2]
        quicklook = next(b for b in blobs if b not in packages(sides))
        flip(sides.path("backup", package))
        sides.path("backup", quicklook).unlink()
        # The same damage on both sides: a package is held to its recorded
        # checksum, not to the primary's file.
        flip(sides.path("backup", other_package), at=0)
        flip(sides.path("primary", other_package), at=0)
        report = sides.verify(blobs)
        found = {(p["kind"], p["oid"]) for p in report["problems"]}
        assert found == {
            ("corrupted", package[0].hex()),
            ("corrupted", other_package[0].hex()),
            ("missing", quicklook[0].hex()),
        }
        assert report["verified_new"] == len(blobs) - 3
        assert all(p["path"] for p in report["problems"])
    finally:
        sides.close()


def test_verify_finds_a_backup_behind(tmp_path):
    primary, backup = make_sides(tmp_path, 3)
    add_products(open_storage(primary), 3, 1)
    sides = Sides(primary, backup, tmp_path / "rolling.json")
    try:
        report = sides.verify()
        assert report["products_primary"] == 4
        assert report["products_backup"] == 3
        assert report["last_tid_primary"] > report["last_tid_backup"]
        assert {p["kind"] for p in report["problems"]} == {"transactions", "products"}
    finally:
        sides.close()


def test_rolling_share_covers_the_archive(tmp_path):
    sides = sides_fixture(tmp_path, products=10)
    try:
        blobs = sides.blobs()
        assert len(blobs) == 20
        damaged = blobs[1::6]  # spread over the archive, on one side or the other
        for number, blob in enumerate(damaged):
            flip(sides.path("backup" if number % 2 else "primary", blob))
        share = 0.3
        runs = math.ceil(1 / share)
        found, verified = set(), 0
        for _run in range(runs):
            report = sides.verify(share=share)
            assert report["verified_new"] == 0
            assert report["verified_rolling"] == math.ceil(len(blobs) * share)
            verified += report["verified_rolling"]
            found |= {p["oid"] for p in report["problems"]}
            assert {p["kind"] for p in report["problems"]} <= {"mismatch"}
        assert verified >= len(blobs)
        assert found == {oid.hex() for oid, _tid in damaged}
        state = json.loads(sides.state.read_text())
        assert state["runs"] == runs
        assert state["cycles"] == 1
        assert state["archive_files"] == 20
        # After a full cycle, the next runs start over from the beginning.
        assert sides.verify(share=share)["verified_rolling"] == 6
    finally:
        sides.close()


def test_rolling_skips_what_was_just_copied(tmp_path):
    sides = sides_fixture(tmp_path, products=2)
    try:
        blobs = sides.blobs()
        new = packages(sides)[0]
        report = sides.verify([new], share=1.0)
        assert report["verified_new"] == 1
        assert report["verified_rolling"] == len(blobs) - 1
        # Each file read once: the new package on the backup, the others on both.
        sizes = {b: sides.path("primary", b).stat().st_size for b in blobs}
        older = sum(size for blob, size in sizes.items() if blob != new)
        assert report["bytes_verified"] == sizes[new] + 2 * older
    finally:
        sides.close()


# The console scripts, in real processes


def histories(instance: Path) -> dict:
    """The fixity history of every product of an instance, by product id."""
    from belspo.pleiades.cli.run import load_zope

    import Zope2

    load_zope(instance / "etc" / "zope.ini")
    app = Zope2.app()
    try:
        folder = app["Plone"]["catalogue"]
        return {key: list(folder[key].fixity_history) for key in folder.objectIds()}
    finally:
        app._p_jar.close()
        Zope2.DB.close()


def archived_files(instance) -> tuple[list[Path], list[Path]]:
    """The packages (zips) and images (JPEGs) in an instance's blob directory."""
    zips, images = [], []
    for path in sorted((instance.path / "var" / "blobstorage").rglob("*.blob")):
        head = path.read_bytes()[:2]
        (zips if head == b"PK" else images if head == b"\xff\xd8" else []).append(path)
    return zips, images


@pytest.mark.slow
def test_fixity_and_repair_between_two_sides(repository, tmp_path):
    from belspo.pleiades.ingest.synthetic import write_delivery
    from tests.instance import Instance

    primary = Instance(repository, tmp_path / "a")
    primary.prepare()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_delivery(inbox, count=3, seed=31, as_zip=True)
    assert primary.ingest("--no-progress", inbox).returncode == 0
    copy = Instance(repository, tmp_path / "b")
    copy.path.mkdir(parents=True)
    shutil.copytree(primary.path / "var", copy.path / "var")

    zips, images = archived_files(primary)
    assert len(zips) == 3 and len(images) == 6
    # The copy passes the backup's verification, packages held to their checksums.
    report = verify_instances(primary, copy, tmp_path / "rolling.json")
    assert report["problems"] == []
    assert report["products_primary"] == report["products_backup"] == 3
    assert report["verified_new"] == 9
    good = {path: sha256_file(path)[0] for path in zips + images}
    flip(zips[0])
    zips[1].unlink()
    images[0].unlink()

    report_path = tmp_path / "fixity.json"
    result = primary.run("pleiades-fixity", "--report", report_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "product" in result.stderr  # the progress bar
    assert "3 products checked" in result.stdout
    assert "1 corrupted" in result.stdout
    report = json.loads(report_path.read_text())
    assert report["status"] == "failed"
    assert report["products"] == 3
    found = {(p["kind"], Path(p["path"])) for p in report["problems"]}
    assert found == {
        ("corrupted", zips[0]),
        ("missing", zips[1]),
        ("missing", images[0]),
    }
    # An audit writes nothing.
    assert all(len(h) == 1 for h in histories_of(primary).values())

    result = primary.run(*repair_args(copy), "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 would repair" in result.stdout
    assert not zips[1].exists()
    assert not (primary.path / "var" / "repairs.jsonl").exists()

    result = primary.run(*repair_args(copy))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 repaired, 0 not repairable" in result.stdout
    assert {path: sha256_file(path)[0] for path in good} == good
    log = read_log(primary)
    assert [entry["status"] for entry in log] == ["repaired"] * 3
    assert {Path(entry["path"]) for entry in log} == {zips[0], zips[1], images[0]}
    events = histories_of(primary)
    repaired = [e for h in events.values() for e in h if e["event"] == "repair"]
    assert len(repaired) == 3 and all(e["ok"] for e in repaired)
    assert {e["sha256"] for e in repaired} == {
        good[zips[0]],
        good[zips[1]],
        good[images[0]],
    }

    result = primary.run("pleiades-fixity", "--no-progress", "--record")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 missing, 0 corrupted" in result.stdout
    assert all(h[-1]["event"] == "fixity" for h in histories_of(primary).values())

    # Damaged on both sides: the repair refuses and leaves the file alone.
    flip(zips[2])
    flip(copy.path / zips[2].relative_to(primary.path))
    damaged = zips[2].read_bytes()
    result = primary.run(*repair_args(copy), "--no-progress")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 repaired, 1 not repairable" in result.stdout
    assert "damaged on this side too" in result.stdout
    assert zips[2].read_bytes() == damaged
    assert read_log(primary)[-1]["status"] == "refused"
    assert primary.run("pleiades-fixity", "--no-progress").returncode == 1


def verify_instances(primary, backup, state: Path) -> dict:
    """verify() on two instances' storages, every blob counted as just copied."""
    from belspo.pleiades.cli.instance import gather_settings
    from belspo.pleiades.cli.instance import render_profile
    from belspo.pleiades.preservation.storages import open_storage

    profile = backup.repository / "profiles" / backup.profile
    render_profile(profile, backup.path, gather_settings(backup.path, {}))
    sides = [
        open_storage(instance.path / "etc" / "zope.conf", read_only=True)
        for instance in (primary, backup)
    ]
    try:
        copied = blob_files(sides[0].storage)
        return verify(sides[0].storage, sides[1].storage, copied, state, 0.1)
    finally:
        for side in sides:
            side.close()


def repair_args(copy) -> list:
    return [
        "pleiades-repair",
        "--from-instance",
        copy.path,
        "--from-profile",
        copy.profile,
    ]


def read_log(instance) -> list[dict]:
    lines = (instance.path / "var" / "repairs.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def histories_of(instance) -> dict:
    return instance.script("tests.preservation.test_fixity")


if __name__ == "__main__":
    print(json.dumps(histories(Path(sys.argv[1]))))


def test_rolling_finds_a_file_lost_on_both_sides(tmp_path):
    """Between the cycles' rescans the archive's list comes from the runs, not
    from the directories: a file gone from both is still looked for."""
    sides = sides_fixture(tmp_path, products=3)
    try:
        assert sides.verify(share=0.0)["problems"] == []
        assert (tmp_path / "state" / "rolling.sqlite").is_file()
        lost = packages(sides)[1]
        for side in ("primary", "backup"):
            sides.path(side, lost).unlink()
        report = sides.verify(share=1.0)
        missing = {
            (p["kind"], p["oid"], p["detail"].split("'")[0]) for p in report["problems"]
        }
        assert missing == {
            ("missing", lost[0].hex(), "the primary"),
            ("missing", lost[0].hex(), "the backup"),
        }
    finally:
        sides.close()
