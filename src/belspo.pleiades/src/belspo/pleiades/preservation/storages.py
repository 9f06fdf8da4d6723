"""Open an instance's RelStorage from its ``etc/zope.conf``, without loading Zope.

The backup works on storages, not on a portal: it reads the ``<relstorage>``
section of each instance's rendered configuration (and the ``%define`` lines it
may use, such as ``$INSTANCE``) and opens it with ZODB's own configuration
machinery, exactly as Zope would.
"""

from belspo.pleiades.cli import CommandError
from belspo.pleiades.ingest.durability import blob_directories
from dataclasses import dataclass
from pathlib import Path

import re


SECTION = re.compile(r"^[ \t]*<relstorage>.*?^[ \t]*</relstorage>[ \t]*$", re.M | re.S)
DEFINE = re.compile(r"^[ \t]*%define[ \t].*$", re.M)
PASSWORD = re.compile(r"(password\s*=\s*)(?:'[^']*'|\S+)", re.I)
URI_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


@dataclass
class OpenedStorage:
    """A storage opened from an instance, with what a report may say of it."""

    storage: object
    blob_dir: Path
    description: str
    keep_history: bool

    def close(self) -> None:
        self.storage.close()


def storage_config(zope_conf: str, read_only: bool = False) -> str:
    """Return the ZConfig text of the ``<relstorage>`` section of a zope.conf.

    :param read_only: open the storage read-only (the primary, for a backup).
    :raises CommandError: when the configuration has no RelStorage.
    """
    section = SECTION.search(zope_conf)
    if section is None:
        raise CommandError("no <relstorage> section in the instance's zope.conf")
    text = section.group(0)
    if read_only:
        text = text.replace("<relstorage>", "<relstorage>\n    read-only true", 1)
    defines = "\n".join(DEFINE.findall(zope_conf))
    return f"{defines}\n%import relstorage\n{text}\n"


def describe(config: str, keep_history: bool, blob_dir: Path) -> str:
    """Say where a storage keeps its data, without any password."""
    dsn = re.search(r"^\s*dsn\s+(.+?)\s*$", config, re.M)
    data_dir = re.search(r"^\s*data-dir\s+(.+?)\s*$", config, re.M)
    if dsn:
        where = "PostgreSQL " + URI_PASSWORD.sub(
            r"\1***@", PASSWORD.sub(r"\1***", dsn.group(1))
        )
    elif data_dir:
        where = f"SQLite {_expand(data_dir.group(1), config)}"
    else:
        where = "RelStorage"
    history = "history-preserving" if keep_history else "history-free"
    return f"{where} ({history}), blobs in {blob_dir}"


def _expand(value: str, config: str) -> str:
    """Substitute the ``%define`` names of a configuration in a value."""
    for name, replacement in re.findall(
        r"^\s*%define\s+(\S+)\s+(.*?)\s*$", config, re.M
    ):
        value = value.replace(f"${name}", replacement).replace(
            f"${{{name}}}", replacement
        )
    return value


def open_storage(zope_conf: Path, read_only: bool = False) -> OpenedStorage:
    """Open the RelStorage an instance's ``etc/zope.conf`` names.

    :param zope_conf: the rendered configuration, e.g. ``instance/etc/zope.conf``.
    :param read_only: refuse writes (the primary is only read by a backup).
    :returns: the storage, its blob directory and a description for reports.
    :raises CommandError: when there is no RelStorage or no blob directory.
    """
    import ZODB.config

    config = storage_config(zope_conf.read_text(), read_only=read_only)
    storage = ZODB.config.storageFromString(config)
    helper = blob_directories(storage)
    if helper is None:
        storage.close()
        raise CommandError(
            f"{zope_conf}: the storage has no shared blob directory "
            "(blob-dir with shared-blob-dir true)"
        )
    blob_dir = Path(helper.base_dir)
    keep_history = bool(storage.keep_history)
    return OpenedStorage(
        storage, blob_dir, describe(config, keep_history, blob_dir), keep_history
    )
