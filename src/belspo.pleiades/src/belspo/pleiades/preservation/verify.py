"""Verify a backup against its primary, right after the copy, on raw storages.

``verify`` runs without Zope: it reads the two storages, their blob directories
and, through read-only ZODB connections that load only ZODB's and BTrees'
classes (everything else as a ``BareState``), the catalogue folder and the
Products of the new transactions. It checks that both sides end at the same
transaction and hold as many products, that every blob file just copied reads
back with the right SHA-256 on the backup, and re-reads a rolling share of the
older blob files on both sides, so that the whole archive is verified every
``1 / share`` runs (the archive's files listed in ``ArchiveFiles``, not by
walking the directories each night). It returns the "what was checked" keys of
the report (see this package's docstring).

Expected checksums: a package blob must match its Product's
``package_sha256``; any other blob (quicklook, thumbnail, ...) must match the
same blob file on the primary. Every file is read once, in 1 MiB chunks.
"""

from belspo.pleiades.ingest.durability import blob_directories
from contextlib import contextmanager
from datetime import datetime
from datetime import UTC
from pathlib import Path
from ZODB.broken import find_global
from ZODB.POSException import POSKeyError
from ZODB.utils import get_pickle_metadata
from ZODB.utils import repr_to_oid
from ZODB.utils import z64

import hashlib
import json
import logging
import math
import os
import persistent
import sqlite3
import ZODB


logger = logging.getLogger(__name__)

CHUNK = 1 << 20
CATALOGUE = "catalogue"
PRODUCT_CLASS = ("belspo.pleiades.content.product", "Product")

Blob = tuple[bytes, bytes]  # (oid, tid)


def sha256_file(path: Path | str) -> tuple[str, int]:
    """The SHA-256 (hex) and size of a file, read once in 1 MiB chunks.

    :raises OSError: when the file cannot be read (e.g. it is missing).
    """
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_json_atomically(path: Path, data) -> None:
    """Replace ``path`` with ``data`` as JSON: a reader sees the old or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w") as stream:
        json.dump(data, stream, indent=2, sort_keys=True)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def problem(kind: str, detail: str, oid: bytes | None = None, path=None) -> dict:
    """One entry of a report's ``problems``."""
    return {
        "kind": kind,
        "detail": detail,
        "oid": oid.hex() if oid else None,
        "path": str(path) if path else None,
    }


def blob_path(storage, oid: bytes, tid: bytes) -> Path:
    """Where a storage keeps the blob file of (oid, tid), whether it exists or not.

    :raises POSKeyError: for a storage without a blob directory that lacks it.
    """
    helper = blob_directories(storage)
    if helper is not None:
        return Path(helper.getBlobFilename(oid, tid))
    return Path(storage.loadBlob(oid, tid))


def blob_files(storage) -> list[Blob]:
    """Every (oid, tid) with a blob file in a storage's blob directory."""
    helper = blob_directories(storage)
    if helper is None:
        return []
    found = []
    for directory, _subdirectories, names in os.walk(helper.base_dir):
        blobs = [name for name in names if name.endswith(".blob")]
        if not blobs:
            continue
        try:
            oid = helper.getOIDForPath(directory)
        except (ValueError, TypeError):
            continue  # not an object's directory (e.g. the temporary one)
        for name in blobs:
            try:
                tid = repr_to_oid(name[: -len(".blob")])
            except ValueError:
                continue
            found.append((oid, tid))
    return found


# Modules whose classes the verification imports; every other class in the
# records (Zope's, Plone's, ours) is read as a bare state, so that counting the
# products does not import the whole portal.
IMPORTED = {"BTrees", "persistent", "ZODB", "copy_reg", "copyreg", "builtins"}
IMPORTED |= {"__builtin__", "datetime", "decimal", "uuid", "_codecs"}


class BareState(persistent.Persistent):
    """An object of the portal as the attributes of its record, nothing more."""

    def __init__(self, *args, **kwargs):
        """Accept what the record's reduce call passes (e.g. interface specs)."""

    def __setstate__(self, state):
        if isinstance(state, tuple) and state and isinstance(state[0], dict):
            state = state[0]  # (dict, slots)
        self.__dict__.update(state if isinstance(state, dict) else {})


class BareDB(ZODB.DB):
    """A database whose objects of other classes than IMPORTED's are BareState."""

    def classFactory(self, connection, module: str, name: str):
        if module.partition(".")[0] in IMPORTED:
            return find_global(module, name)
        return BareState


@contextmanager
def read_only_connection(storage):
    """A ZODB connection on a storage the caller keeps open, or None if empty.

    Objects of other classes than ZODB's, BTrees' and the builtins' load as
    ``BareState``: their attributes are there, their code is not. Nothing is
    written: the root is looked for first (a database opened on an empty
    storage would create one), and the connection is aborted, never committed.
    Closing releases the connection's own storage instance, not the storage.
    """
    try:
        storage.load(z64)
    except POSKeyError:
        yield None
        return
    db = BareDB(storage, pool_size=1, cache_size=5000)
    connection = db.open()
    try:
        yield connection
    finally:
        connection.transaction_manager.abort()
        connection.close()
        # What DB.close does, without closing the caller's storage.
        db._connectionMap(lambda c: c._release_resources())


def child(parent, name: str):
    """A folder's item (an attribute or an entry of its BTree), a mapping's
    value, or None."""
    if not isinstance(parent, BareState):
        return parent.get(name)  # the root, a PersistentMapping, a BTree
    value = getattr(parent, name, None)
    if value is None:
        tree = getattr(parent, "_tree", None)
        value = tree.get(name) if tree is not None else None
    return value


def catalogue(connection, site_id: str):
    """The catalogue folder of the site, or None."""
    site = child(connection.root(), "Application")
    site = child(site, site_id) if site is not None else None
    return child(site, CATALOGUE) if site is not None else None


def count_products(connection, site_id: str) -> int | None:
    """How many objects the catalogue folder holds (it only takes Products)."""
    folder = catalogue(connection, site_id) if connection is not None else None
    if folder is None:
        return None
    if not isinstance(folder, BareState):
        return len(folder)
    count = getattr(folder, "_count", None)  # a BTree folder's Length
    if count is not None:
        return count()
    tree = getattr(folder, "_tree", None)
    return len(tree) if tree is not None else None


def package_checksums(storage, connection, since: bytes) -> dict[bytes, str]:
    """The recorded SHA-256 of the package blobs of Products changed since a tid.

    The Products are found by the class named in their records, without
    loading anything else, so the cost follows the new transactions.
    """
    checksums = {}
    if connection is None:
        return checksums
    iterator = storage.iterator(since)
    try:
        for txn in iterator:
            for record in txn:
                if record.data is None:
                    continue
                module, name = get_pickle_metadata(record.data)
                if (module, name) != PRODUCT_CLASS:
                    continue
                product = connection.get(record.oid)
                blob = getattr(getattr(product, "package", None), "_blob", None)
                recorded = getattr(product, "package_sha256", None)
                if blob is not None and blob._p_oid and recorded:
                    checksums[blob._p_oid] = recorded
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
    return checksums


class Verifier:
    """The checks of one run; ``report()`` gathers their results."""

    def __init__(self, primary, backup):
        self.primary = primary
        self.backup = backup
        self.problems: list[dict] = []
        self.bytes_verified = 0

    def read(self, storage, oid: bytes, tid: bytes, side: str) -> str | None:
        """The SHA-256 of a blob file on one side; a problem if it cannot be read."""
        path = None
        try:
            path = blob_path(storage, oid, tid)
            digest, size = sha256_file(path)
        except (OSError, POSKeyError) as error:
            reason = getattr(error, "strerror", None) or error
            self.problems.append(
                problem(
                    "missing",
                    f"the {side}'s blob file of {oid.hex()}@{tid.hex()} "
                    f"cannot be read: {reason}",
                    oid,
                    path,
                )
            )
            return None
        self.bytes_verified += size
        return digest

    def check_new(self, oid: bytes, tid: bytes, recorded: str | None) -> bool:
        """A newly copied blob: the backup's file against the recorded checksum."""
        actual = self.read(self.backup, oid, tid, "backup")
        if actual is None:
            return False
        if recorded is None:
            recorded = self.read(self.primary, oid, tid, "primary")
            if recorded is None:
                return False
            source = "the primary's file"
        else:
            source = "the product's package_sha256"
        if actual != recorded:
            self.problems.append(
                problem(
                    "corrupted",
                    f"the backup's copy of {oid.hex()}@{tid.hex()} has SHA-256 "
                    f"{actual}, {source} says {recorded}",
                    oid,
                    blob_path(self.backup, oid, tid),
                )
            )
            return False
        return True

    def check_older(self, oid: bytes, tid: bytes) -> bool:
        """An older blob: the same file on both sides, if still current."""
        try:
            _data, serial = self.primary.load(oid)
        except POSKeyError:
            serial = None
        if serial != tid:
            return False  # a leftover of an older revision: not in the archive
        primary = self.read(self.primary, oid, tid, "primary")
        backup = self.read(self.backup, oid, tid, "backup")
        if primary is not None and backup is not None and primary != backup:
            self.problems.append(
                problem(
                    "mismatch",
                    f"blob {oid.hex()}@{tid.hex()} differs: primary {primary}, "
                    f"backup {backup} (run pleiades-fixity on each side to see "
                    "which one is damaged, then pleiades-repair)",
                    oid,
                    blob_path(self.backup, oid, tid),
                )
            )
        return True


class ArchiveFiles:
    """The archive's blob files in ``(oid, tid)`` order, kept in SQLite.

    Listing the blob files by walking both blob directories costs as much as
    the archive is big, each night. The list is built that way only at the
    start of each cycle of the rolling verification (or when it is missing);
    in between, each run adds the files it copied, and drops the entries the
    rolling verification finds no longer current.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS blob_file (oid BLOB NOT NULL, "
            "tid BLOB NOT NULL, PRIMARY KEY (oid, tid)) WITHOUT ROWID"
        )

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM blob_file").fetchone()[0]

    def replace(self, blobs) -> None:
        self.db.execute("DELETE FROM blob_file")
        self.add(blobs)

    def add(self, blobs) -> None:
        self.db.executemany("INSERT OR IGNORE INTO blob_file VALUES (?, ?)", blobs)

    def discard(self, blobs) -> None:
        self.db.executemany("DELETE FROM blob_file WHERE oid = ? AND tid = ?", blobs)

    def after(self, position: Blob | None, count: int) -> list[Blob]:
        """The next ``count`` files after ``position`` (from the first if None)."""
        if position is None:
            rows = self.db.execute(
                "SELECT oid, tid FROM blob_file ORDER BY oid, tid LIMIT ?", (count,)
            )
        else:
            rows = self.db.execute(
                "SELECT oid, tid FROM blob_file WHERE (oid, tid) > (?, ?) "
                "ORDER BY oid, tid LIMIT ?",
                (*position, count),
            )
        return [(bytes(oid), bytes(tid)) for oid, tid in rows]

    def close(self) -> None:
        self.db.commit()
        self.db.close()


def rolling_share(
    files: ArchiveFiles, position: Blob | None, share: float
) -> tuple[list[Blob], bool]:
    """The next ``share`` of the archive after ``position``, wrapping around.

    :returns: the blobs to verify, and whether the archive's end was passed.
    """
    total = len(files)
    if not total or share <= 0:
        return [], False
    count = min(total, math.ceil(total * min(share, 1.0)))
    chosen = files.after(position, count + 1)
    wrapped = len(chosen) <= count
    chosen = chosen[:count]
    if len(chosen) < count:
        chosen += files.after(None, count - len(chosen))
    return chosen, wrapped


def load_state(state_path: Path) -> dict:
    """The rolling verification's position, or a fresh start."""
    try:
        state = json.loads(Path(state_path).read_text())
    except (OSError, ValueError):
        return {"position": None, "cycles": 0, "runs": 0}
    return state if isinstance(state, dict) else {"position": None}


def _blob_key(value) -> Blob | None:
    if not value:
        return None
    oid, tid = value
    return bytes.fromhex(oid), bytes.fromhex(tid)


def verify(
    primary_storage,
    backup_storage,
    copied_blobs: list[Blob],
    state_path: Path,
    share: float,
    site_id: str = "Plone",
) -> dict:
    """Check the backup against the primary after a copy.

    :param primary_storage: the primary's storage (opened read-only is enough).
    :param backup_storage: the backup's storage.
    :param copied_blobs: the (oid, tid) of the blob files this run copied.
    :param state_path: a JSON file keeping the rolling verification's position.
    :param share: the part of the older blob files to re-read, e.g. 1/30 to
        verify the whole archive every 30 runs.
    :param site_id: the Plone site whose catalogue folder holds the Products.
    :returns: ``last_tid_primary``, ``last_tid_backup``, ``products_primary``,
        ``products_backup``, ``verified_new``, ``verified_rolling``,
        ``bytes_verified`` and ``problems``.
    """
    verifier = Verifier(primary_storage, backup_storage)
    last_primary = primary_storage.lastTransaction()
    last_backup = backup_storage.lastTransaction()
    if last_primary != last_backup:
        verifier.problems.append(
            problem(
                "transactions",
                f"the backup ends at transaction {last_backup.hex()}, "
                f"the primary at {last_primary.hex()}",
            )
        )
    copied = sorted(set(copied_blobs))
    with read_only_connection(primary_storage) as connection:
        products_primary = count_products(connection, site_id)
        since = min(tid for _oid, tid in copied) if copied else None
        checksums = (
            package_checksums(primary_storage, connection, since) if since else {}
        )
    with read_only_connection(backup_storage) as connection:
        products_backup = count_products(connection, site_id)
    if products_primary != products_backup:
        verifier.problems.append(
            problem(
                "products",
                f"the backup has {products_backup} products, "
                f"the primary {products_primary}",
            )
        )
    verified_new = sum(
        verifier.check_new(oid, tid, checksums.get(oid)) for oid, tid in copied
    )
    verified_rolling = roll(verifier, set(copied), Path(state_path), share)
    return {
        "last_tid_primary": last_primary.hex(),
        "last_tid_backup": last_backup.hex(),
        "products_primary": products_primary,
        "products_backup": products_backup,
        "verified_new": verified_new,
        "verified_rolling": verified_rolling,
        "bytes_verified": verifier.bytes_verified,
        "problems": verifier.problems,
    }


def roll(verifier: Verifier, copied: set[Blob], state_path: Path, share: float) -> int:
    """Re-read the next share of the older blob files; save the new position."""
    state = load_state(state_path)
    files = ArchiveFiles(state_path.with_suffix(".sqlite"))
    try:
        if not len(files):  # a first run, or the list was removed
            on_either_side = set(blob_files(verifier.primary))
            on_either_side |= set(blob_files(verifier.backup))
            files.replace(sorted(on_either_side - copied))
        else:
            files.discard(copied)
        state["archive_files"] = len(files)
        position = _blob_key(state.get("position"))
        chosen, wrapped = rolling_share(files, position, share)
        gone = [blob for blob in chosen if not verifier.check_older(*blob)]
        files.discard(gone)
        files.add(copied)
    finally:
        files.close()
    if chosen:
        oid, tid = chosen[-1]
        state["position"] = [oid.hex(), tid.hex()]
    state["runs"] = state.get("runs", 0) + 1
    state["cycles"] = state.get("cycles", 0) + int(wrapped)
    state["share"] = share
    state["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json_atomically(state_path, state)
    return len(chosen) - len(gone)
