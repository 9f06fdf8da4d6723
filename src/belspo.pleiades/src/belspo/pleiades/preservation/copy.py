"""Bring the backup storage up to date with the primary, blobs included.

The copy is RelStorage's own (``copyTransactionsFrom``, what ``zodbconvert``
runs), driven the way ``zodbconvert --incremental`` drives it:

- **Incremental** (every night): the backup's last transaction id is where the
  copy resumes. Every transaction of the primary after it is restored with its
  own transaction id, one commit per transaction, so a run killed half way
  leaves the backup at a consistent point of the primary's past and the next
  run goes on from there. The primary is read in one snapshot (RelStorage's
  load connection), so a portal writing meanwhile is copied the next night.
- **First copy** (an empty backup): every current object of the primary in
  large batches, fast but not resumable: a marker file
  ``first-copy-in-progress`` is written (and fsynced) next to the backup's blob
  directory before it starts and removed only once the backup holds exactly
  the primary's objects and blob files. A run that finds the marker wipes the
  backup (``zap_all`` and the blob directory) and starts the first copy again;
  it never builds on half a copy.

Blob files are fsynced (with their directories) before each copied transaction
commits, as the ingest does: ZODB only renames them into place.

**Deletions.** A transaction copy carries new object states, never the absence
of one: objects the primary dropped (a deleted product, once the primary is
packed with garbage collection; history-free storages delete nothing before
that) would stay in the backup for ever. After the copy, the two storages'
current objects are compared in object id order (``record_iternext`` on both
sides, streamed) and what the backup has and the primary no longer has is
removed from a history-free backup (RelStorage's ``IExternalGC``
``deleteObject``), with its blob files; the report counts them as ``deleted``.
The same comparison finds objects the backup lacks or holds at another
revision: problems, reported.

**History-free or history-preserving backup.** The backup is history-free
(``keep-history false``), like the primary. A history-preserving backup would
keep every replaced or deleted revision, blobs of several GB included, until
someone packs it, and a packed history-preserving database keeps no more than a
history-free one; the archive's history is the products' own (fixity records,
workflow history, withdrawn state), which is current data and is copied. What
protects against a mistake on the primary (a product deleted in error) is the
run's report, which says what was deleted, and the restore drill, not ZODB
history. A history-preserving backup still works (set ``keep-history true`` in
its profile): nothing is deleted from it, and the run logs how many objects it
keeps that the primary no longer has.
"""

from belspo.pleiades.ingest.durability import blob_directories
from belspo.pleiades.ingest.package import fsync_path
from dataclasses import dataclass
from dataclasses import field
from itertools import chain
from pathlib import Path
from ZODB.Connection import TransactionMetaData
from ZODB.interfaces import IStorageCurrentRecordIteration
from ZODB.utils import p64
from ZODB.utils import u64

import logging
import os
import shutil


logger = logging.getLogger(__name__)

MARKER = "first-copy-in-progress"
DELETE_BATCH = 1000
RECORD_BATCH = 10_000  # current records compared at once


@dataclass
class CopyResult:
    """What a copy did, in the report's terms."""

    transactions: int = 0
    objects: int = 0
    blobs: list[tuple[bytes, bytes]] = field(default_factory=list)
    bytes: int = 0
    first_copy: bool = False
    deleted: int = 0
    problems: list[dict] = field(default_factory=list)


def copy(source, destination, progress=None) -> CopyResult:
    """Bring destination up to date with source: new transactions, blobs, deletions.

    :param source: the primary's storage (read-only is enough).
    :param destination: the backup's RelStorage, with a shared blob directory.
    :param progress: a tqdm-like bar: its total and unit are set, then updated.
    :returns: what was copied and deleted, and any difference left.
    """
    helper = blob_directories(destination)
    marker = marker_path(destination)
    result = CopyResult()
    remove_temporary_files(helper)
    if marker.exists():
        logger.warning(
            "%s: a first copy was interrupted; wiping the backup to start again",
            marker,
        )
        wipe(destination)
    if not has_data(destination):
        result.first_copy = True
        write_marker(marker)
    target = _Destination(destination, result, progress)
    if result.first_copy:
        other = source
    else:
        other = _start_after(source, destination.lastTransaction())
    target.per_object = not destination.keep_history and (
        IStorageCurrentRecordIteration.providedBy(other)
    )
    total = _count(other, target.per_object)
    if progress is not None:
        progress.unit = "object" if target.per_object else "transaction"
        progress.reset(total=total or None)
    # An object count is an estimate (PostgreSQL's may be 0): copy anyway.
    if total or target.per_object:
        from relstorage.storage.copy import Copy

        Copy(destination.blobhelper, target, target).copyTransactionsFrom(other)
        stats = getattr(getattr(destination, "_adapter", None), "stats", None)
        if stats is not None:  # as RelStorage.copyTransactionsFrom does
            stats.large_database_change()
    destination.sync()
    deleted, result.problems = reconcile(source, destination)
    result.deleted = len(deleted)
    result.blobs = current_blobs(result.blobs, {oid for oid, _tid in deleted})
    if result.first_copy:
        result.problems += missing_blob_files(destination, result.blobs)
        if result.problems:
            logger.error("first copy incomplete: %d problems", len(result.problems))
        else:
            remove_marker(marker)
    return result


def marker_path(destination) -> Path:
    """The first-copy marker of a backup: next to its blob directory."""
    return Path(blob_directories(destination).base_dir).parent / MARKER


def has_data(storage) -> bool:
    """Whether a storage has any transaction (zodbconvert's test)."""
    from relstorage.zodbconvert import storage_has_data

    return storage_has_data(storage)


def write_marker(marker: Path) -> None:
    """Create the first-copy marker durably, before the first byte is copied."""
    with open(marker, "w") as stream:
        stream.write(f"pid {os.getpid()}\n")
        stream.flush()
        os.fsync(stream.fileno())
    fsync_path(marker.parent)


def remove_marker(marker: Path) -> None:
    marker.unlink()
    fsync_path(marker.parent)


def wipe(destination) -> None:
    """Empty a backup: every table (``zap_all``) and every blob file."""
    helper = blob_directories(destination)
    destination.zap_all()
    base = Path(helper.base_dir)
    for child in base.iterdir():
        if child.name == ".layout":
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    helper.create()  # the temporary directory again
    fsync_path(base)


def remove_temporary_files(helper) -> None:
    """Remove the blob copies a killed run left in the temporary directory."""
    temporary = Path(helper.temp_dir)
    if temporary.is_dir():
        for path in temporary.glob("tmp*.tmp"):  # RelStorage copier's mkstemp
            path.unlink(missing_ok=True)


def _start_after(source, last_tid: bytes):
    """The source as seen from the transaction after last_tid (zodbconvert's way)."""
    from relstorage.zodbconvert import _DefaultStartStorageIteration

    return _DefaultStartStorageIteration(source, p64(u64(last_tid) + 1))


def _count(other, per_object: bool) -> int:
    """How many units RelStorage's copier will copy (an estimate for objects)."""
    if per_object:
        return max(len(other), 0)
    iterator = other.iterator()
    try:
        return len(iterator)
    finally:
        iterator.close()


class _Destination:
    """The backup as RelStorage's copier sees it: counts, fsyncs, reports progress."""

    per_object = False

    def __init__(self, storage, result: CopyResult, progress):
        self._storage = storage
        self._helper = blob_directories(storage)
        self._result = result
        self._progress = progress
        self._pending: list[tuple[bytes, bytes]] = []
        self._tids: set[bytes] = set()
        self.keep_history = storage.keep_history

    def __getattr__(self, name):
        return getattr(self._storage, name)

    def tpc_begin(self, *args):
        self._pending = []
        return self._storage.tpc_begin(*args)

    def restore(self, oid, serial, data, *args):
        self._storage.restore(oid, serial, data, *args)
        self._restored(serial)

    def restoreBlob(self, oid, serial, data, filename, *args):
        size = os.path.getsize(filename)
        self._storage.restoreBlob(oid, serial, data, filename, *args)
        self._pending.append((oid, serial))
        self._result.blobs.append((oid, serial))
        self._result.bytes += size
        self._restored(serial)

    def _restored(self, serial: bytes) -> None:
        self._result.objects += 1
        if serial not in self._tids:
            self._tids.add(serial)
            self._result.transactions += 1
        if self.per_object and self._progress is not None:
            self._progress.update(1)

    def tpc_vote(self, txn):
        self._fsync_pending()
        return self._storage.tpc_vote(txn)

    def tpc_finish(self, txn, *args):
        tid = self._storage.tpc_finish(txn, *args)
        if not self.keep_history:
            self._remove_old_revisions()
        self._pending = []
        if not self.per_object and self._progress is not None:
            self._progress.update(1)
        return tid

    def tpc_abort(self, txn, *args):
        self._pending = []
        return self._storage.tpc_abort(txn, *args)

    def _fsync_pending(self) -> None:
        """Make the restored blob files and their new directories durable."""
        root = Path(self._helper.base_dir).parent
        directories = set()
        for oid, serial in self._pending:
            path = Path(self._helper.getBlobFilename(oid, serial))
            fsync_path(path)
            directory = path.parent
            while directory != root:
                directories.add(directory)
                directory = directory.parent
        for directory in sorted(directories, reverse=True):
            fsync_path(directory)

    def _remove_old_revisions(self) -> None:
        """A history-free backup loads only the current revision of a blob."""
        for oid, serial in self._pending:
            current = Path(self._helper.getBlobFilename(oid, serial))
            for path in current.parent.glob("*.blob"):
                if path != current:
                    path.unlink(missing_ok=True)


def record_batches(storage, size: int = RECORD_BATCH):
    """Yield the ``(zoid, tid)`` integers of every current object, in oid order,
    in lists of ``size``.

    Read in the storage's own snapshot (its load connection, as
    ``record_iternext`` is), but without the objects' states: reading every
    state on both sides each night would cost as much as the archive is big.
    """
    table = "current_object" if storage.keep_history else "object_state"
    load = storage._load_connection
    load.cursor  # noqa: B018 - opened, so that the snapshot is the storage's
    with load.server_side_cursor() as cursor:
        cursor.execute(f"SELECT zoid, tid FROM {table} ORDER BY zoid")
        while rows := cursor.fetchmany(size):
            yield [tuple(row) for row in rows]


def current_records(storage):
    """Yield ``(oid, tid)`` of every current object of a storage, in oid order."""
    for rows in record_batches(storage):
        for zoid, tid in rows:
            yield p64(zoid), p64(tid)


def current_blobs(blobs: list, deleted: set[bytes]) -> list[tuple[bytes, bytes]]:
    """The last revision copied of each blob, unless it was deleted since."""
    last = {oid: tid for oid, tid in blobs if oid not in deleted}
    return list(last.items())


def differences(source, destination) -> tuple[list, list[dict]]:
    """The destination's objects the source no longer has, and the source's
    objects the destination lacks or holds at another revision.

    Both sides are read in batches of the same size: equal batches, the
    nightly case, are passed over whole; from the first that differs, the
    rest is merged object by object.
    """
    ours, theirs = record_batches(source), record_batches(destination)
    for mine in ours:
        yours = next(theirs, [])
        if mine != yours:
            return _merge(
                chain(mine, chain.from_iterable(ours)),
                chain(yours, chain.from_iterable(theirs)),
            )
    return [(p64(zoid), p64(tid)) for zoid, tid in chain.from_iterable(theirs)], []


def _merge(ours, theirs) -> tuple[list, list[dict]]:
    extra, problems = [], []
    other = next(theirs, None)
    for zoid, tid in ours:
        while other is not None and other[0] < zoid:
            extra.append((p64(other[0]), p64(other[1])))
            other = next(theirs, None)
        if other is None or other[0] != zoid:
            problems.append(_problem("missing-object", "not in the backup", p64(zoid)))
            continue
        if other[1] != tid:
            problems.append(
                _problem(
                    "stale-object",
                    f"revision {p64(other[1]).hex()} in the backup, "
                    f"{p64(tid).hex()} in the primary",
                    p64(zoid),
                )
            )
        other = next(theirs, None)
    while other is not None:
        extra.append((p64(other[0]), p64(other[1])))
        other = next(theirs, None)
    return extra, problems


def reconcile(source, destination) -> tuple[list, list[dict]]:
    """Delete from a history-free destination what source no longer has.

    :returns: the ``(oid, tid)`` deleted, and the differences left: objects the
        destination lacks or holds at another revision.
    """
    extra, problems = differences(source, destination)
    if not extra:
        return [], problems
    if destination.keep_history:
        logger.info(
            "history-preserving backup keeps %d objects the primary no longer has",
            len(extra),
        )
        return [], problems
    # On its own instance: a history-free delete allocates a transaction id it
    # stores nowhere, which would become the destination's lastTransaction().
    worker = destination.new_instance()
    try:
        for start in range(0, len(extra), DELETE_BATCH):
            delete_objects(worker, extra[start : start + DELETE_BATCH])
    finally:
        worker.release()
    destination.sync()
    return extra, problems


def delete_objects(storage, records: list[tuple[bytes, bytes]]) -> None:
    """Delete objects (``IExternalGC``) and their blob files from a storage."""
    txn = TransactionMetaData(
        description="pleiades-backup: objects the primary no longer has"
    )
    storage.tpc_begin(txn)
    try:
        for oid, tid in records:
            storage.deleteObject(oid, tid, txn)
        storage.tpc_vote(txn)
    except BaseException:
        storage.tpc_abort(txn)
        raise
    storage.tpc_finish(txn)
    helper = blob_directories(storage)
    for oid, _tid in records:
        directory = Path(helper.getPathForOID(oid))
        if directory.is_dir():
            shutil.rmtree(directory)


def missing_blob_files(destination, blobs: list[tuple[bytes, bytes]]) -> list[dict]:
    """Problems for the copied blobs whose file is not in the backup."""
    helper = blob_directories(destination)
    problems = []
    for oid, tid in blobs:
        path = helper.getBlobFilename(oid, tid)
        if not os.path.exists(path):
            problems.append(_problem("missing-blob", "blob file not copied", oid, path))
    return problems


def _problem(kind: str, detail: str, oid: bytes | None = None, path=None) -> dict:
    return {
        "kind": kind,
        "detail": detail,
        "oid": oid.hex() if oid is not None else None,
        "path": str(path) if path else None,
    }
