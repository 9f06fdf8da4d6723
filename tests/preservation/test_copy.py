"""The backup's copy on plain RelStorage SQLite storages, without Zope."""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.preservation.copy import copy
from belspo.pleiades.preservation.copy import current_records
from belspo.pleiades.preservation.copy import delete_objects
from belspo.pleiades.preservation.copy import MARKER
from belspo.pleiades.preservation.storages import describe
from belspo.pleiades.preservation.storages import open_storage
from belspo.pleiades.preservation.storages import storage_config
from pathlib import Path
from persistent.mapping import PersistentMapping
from ZODB.blob import Blob
from ZODB.serialize import referencesf

import pytest
import time
import ZODB


ZOPE_CONF = """\
%define INSTANCE {root}
instancehome $INSTANCE
%import relstorage
<zodb_db main>
    <relstorage>
        keep-history false
        blob-dir {root}/blobs
        shared-blob-dir true
        <sqlite3>
            data-dir $INSTANCE/sqlite
        </sqlite3>
    </relstorage>
</zodb_db>
"""


def instance(root: Path) -> Path:
    root.mkdir()
    conf = root / "zope.conf"
    conf.write_text(ZOPE_CONF.format(root=root))
    return conf


@pytest.fixture
def primary(tmp_path):
    opened = open_storage(instance(tmp_path / "primary"))
    db = ZODB.DB(opened.storage)
    yield db
    db.close()


@pytest.fixture
def backup(tmp_path):
    opened = open_storage(instance(tmp_path / "backup"))
    yield opened
    opened.close()


def add(db, name: str, content: bytes) -> None:
    with db.transaction() as connection:
        blob = Blob()
        with blob.open("w") as stream:
            stream.write(content)
        connection.root()[name] = PersistentMapping(blob=blob)


def state(storage) -> dict:
    storage.sync()
    return dict(current_records(storage))


def test_storage_config_keeps_the_definitions_and_the_section():
    text = storage_config(ZOPE_CONF.format(root="/srv/x"), read_only=True)
    assert "%define INSTANCE /srv/x" in text
    assert "read-only true" in text
    assert "instancehome" not in text
    with pytest.raises(CommandError):
        storage_config("%import relstorage\n")


@pytest.mark.parametrize(
    "dsn",
    [
        "host=db dbname=pleiades user=backup password=s3cret",
        "host=db password='s3 cret' dbname=pleiades",
        "postgresql://backup:s3cret@db/pleiades",
    ],
)
def test_descriptions_have_no_password(dsn):
    text = describe(f"<postgresql>\n    dsn {dsn}\n</postgresql>", False, Path("/b"))
    assert "s3" not in text
    assert text.startswith("PostgreSQL ") and "history-free" in text


def test_first_copy_then_incremental_then_deletion(primary, backup):
    add(primary, "one", b"1" * 1000)
    add(primary, "two", b"2" * 2000)
    first = copy(primary.storage, backup.storage)
    assert first.first_copy and first.problems == []
    assert len(first.blobs) == 2 and first.bytes == 3000
    assert not (backup.blob_dir.parent / MARKER).exists()
    assert state(backup.storage) == state(primary.storage)

    assert copy(primary.storage, backup.storage).objects == 0
    add(primary, "three", b"3" * 3000)
    with (  # a new revision of a blob
        primary.transaction() as connection,
        connection.root()["one"]["blob"].open("w") as stream,
    ):
        stream.write(b"one again")
    new = copy(primary.storage, backup.storage)
    assert not new.first_copy and new.problems == []
    assert new.transactions == 2 and len(new.blobs) == 2
    assert state(backup.storage) == state(primary.storage)
    assert len(list(backup.blob_dir.rglob("*.blob"))) == 3  # one revision each

    with primary.transaction() as connection:
        gone = connection.root()["two"]["blob"]._p_oid
        del connection.root()["two"]
    primary.storage.pack(time.time(), referencesf)
    after = copy(primary.storage, backup.storage)
    assert after.deleted == 2  # the mapping and its blob
    assert state(backup.storage) == state(primary.storage)
    blobs = backup.storage.blobhelper.fshelper
    assert not Path(blobs.getPathForOID(gone)).exists()
    assert backup.storage.lastTransaction() == primary.storage.lastTransaction()


def test_a_marker_means_start_again(primary, backup):
    add(primary, "one", b"1" * 1000)
    copy(primary.storage, backup.storage)
    stray = backup.blob_dir / "0x00" / "stray.blob"
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"half a copy")
    (backup.blob_dir.parent / MARKER).write_text("pid 0\n")
    again = copy(primary.storage, backup.storage)
    assert again.first_copy and again.problems == []
    assert not stray.exists()
    assert not (backup.blob_dir.parent / MARKER).exists()
    assert state(backup.storage) == state(primary.storage)


def test_damage_on_the_backup_is_reported(primary, backup):
    add(primary, "one", b"1" * 1000)
    copy(primary.storage, backup.storage)
    oid = primary.open().root()["one"]._p_oid
    records = dict(current_records(backup.storage))
    worker = backup.storage.new_instance()
    delete_objects(worker, [(oid, records[oid])])
    worker.release()
    result = copy(primary.storage, backup.storage)
    assert [p["kind"] for p in result.problems] == ["missing-object"]
    assert result.problems[0]["oid"] == oid.hex()
