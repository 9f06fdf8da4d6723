"""Blobs that survive a power cut, and no orphan left by a killed ingest.

ZODB renames blob files into place and never fsyncs them. The ingest fsyncs a
package before handing it to ZODB, and joins every transaction with
``BlobFsync``, which fsyncs the blobs' directories once the storage has moved
the files into place (its vote) and before the database commits.

A process killed in between leaves files no committed object names. The
``Journal`` records, before any file is handed to ZODB, the object id and the
temporary path it will have; the next run removes whatever belongs to an
object that never committed.
"""

from belspo.pleiades.ingest.package import fsync_path
from pathlib import Path
from transaction.interfaces import IDataManager
from ZODB.POSException import POSKeyError
from ZODB.utils import repr_to_oid
from zope.interface import implementer

import json
import logging
import os
import shutil
import transaction


logger = logging.getLogger(__name__)


def blob_directories(storage):
    """The blob directory helper of a RelStorage with a shared blob dir, or None."""
    helper = getattr(getattr(storage, "blobhelper", None), "fshelper", None)
    return helper if helper is not None and getattr(helper, "base_dir", None) else None


@implementer(IDataManager)
class BlobFsync:
    """Fsync the new blobs' directories after the storage's vote."""

    def __init__(self, storage, oids: list[bytes]):
        self.storage = storage
        self.oids = oids
        self.transaction_manager = transaction.manager

    def sortKey(self) -> str:
        # After the ZODB connection: its vote moves the blob files into place.
        return "~belspo.pleiades.ingest.fsync"

    def tpc_vote(self, txn) -> None:
        helper = blob_directories(self.storage)
        if helper is None:
            return
        root = Path(helper.base_dir).parent
        directories = set()
        for oid in self.oids:
            directory = Path(helper.getPathForOID(oid))
            for name in os.listdir(directory):
                fsync_path(directory / name)
            while directory != root:  # every new entry, up to the blob root
                directories.add(directory)
                directory = directory.parent
        for directory in sorted(directories, reverse=True):
            fsync_path(directory)

    def abort(self, txn) -> None:
        pass

    def tpc_begin(self, txn) -> None:
        pass

    def commit(self, txn) -> None:
        pass

    def tpc_finish(self, txn) -> None:
        pass

    def tpc_abort(self, txn) -> None:
        pass


class Journal:
    """What the running ingest handed to ZODB, until its transaction commits."""

    def __init__(self, path: Path):
        self.path = path

    def record(self, **entry) -> None:
        """Append an entry and make it durable before going on."""
        with open(self.path, "a") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        # A line cut by the kill is incomplete: its file was not handed over yet.
        return [json.loads(line) for line in lines if line.endswith("}")]

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def recover(self, storage) -> int:
        """Remove what uncommitted ingests left behind; return how many files."""
        removed = 0
        helper = blob_directories(storage)
        for entry in self.entries():
            for name in ("uncommitted", "staging"):
                path = entry.get(name)
                if path and os.path.exists(path):
                    os.unlink(path)
                    removed += 1
            oid = entry.get("oid")
            if oid and helper is not None and not committed(storage, oid):
                directory = Path(helper.getPathForOID(repr_to_oid(oid)))
                if directory.exists():
                    removed += len(list(directory.iterdir()))
                    shutil.rmtree(directory)
        self.clear()
        if removed:
            logger.warning("removed %d files of an interrupted ingest", removed)
        return removed


def committed(storage, oid: str) -> bool:
    """Whether the object exists in the database."""
    try:
        storage.load(repr_to_oid(oid))
    except POSKeyError:
        return False
    return True
