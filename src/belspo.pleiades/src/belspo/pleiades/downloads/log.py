"""The download log: one JSON line per download, a file per process and day.

Downloads are recorded outside the ZODB: a GET that wrote to the database would
turn concurrent downloads into write conflicts (and plone.protect would refuse
it). Each process appends to its own file of the (UTC) day,
``downloads-YYYY-MM-DD.<host>-<pid>.jsonl``, opened with ``O_APPEND`` and written
with one ``write()`` per record: threads never interleave their lines, and no
two processes share a file, even on a directory several machines share. The
reader sorts each day's records, from every process's file, by time: the
threads of a process stamp and write in slightly different orders.

A record is a flat JSON object; ``time`` (when the response ended, ISO 8601 in
UTC, microseconds) orders them. Files may be compressed (``.jsonl.gz``) once
their day is over.
"""

from collections.abc import Iterable
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from datetime import UTC
from pathlib import Path

import gzip
import json
import logging
import os
import re
import socket


logger = logging.getLogger(__name__)

FILE_NAME = re.compile(r"downloads-(\d{4}-\d{2}-\d{2})\.(.+)\.jsonl(\.gz)?")


def now() -> str:
    """The current time as records carry it: ISO 8601, UTC, microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def process_name() -> str:
    """This process among all that write to the directory: ``host-pid``."""
    return f"{socket.gethostname()}-{os.getpid()}"


class DownloadLog:
    """The download records kept in one directory.

    :param directory: where the files are.
    :param create: make the directory on the first record if it is missing;
        False for a directory on a volume, whose absence means it is not mounted.
    """

    def __init__(self, directory: Path, create: bool = True):
        self.directory = Path(directory)
        self.create = create

    def path_for(self, day: date) -> Path:
        """This process's file of the day."""
        return self.directory / f"downloads-{day.isoformat()}.{process_name()}.jsonl"

    def record(self, entry: dict) -> dict:
        """Append one record, stamped with ``time`` unless it has one.

        :returns: the record as written.
        :raises OSError: when it cannot be written (missing directory, full disk).
        """
        entry = {"time": now(), **entry}
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        if self.create:
            self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(date.fromisoformat(entry["time"][:10]))
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags, 0o640)
        try:
            written = os.write(fd, data)  # one write: the line lands whole
        finally:
            os.close(fd)
        if written != len(data):
            raise OSError(f"{path}: wrote {written} of {len(data)} bytes")
        return entry

    def days(
        self, start: date | None = None, end: date | None = None
    ) -> list[tuple[date, list[Path]]]:
        """The days with records from ``start`` to ``end`` (included), and their
        files."""
        files: dict[date, list[Path]] = {}
        if not self.directory.is_dir():
            return []
        for path in self.directory.iterdir():
            match = FILE_NAME.fullmatch(path.name)
            if match is None:
                continue
            day = date.fromisoformat(match.group(1))
            if (start is None or day >= start) and (end is None or day <= end):
                files.setdefault(day, []).append(path)
        return sorted(files.items())

    def records(
        self, start: date | None = None, end: date | None = None
    ) -> Iterator[dict]:
        """The records from day ``start`` to day ``end`` (UTC, both included), in
        time order across every process's files; one day in memory at a time."""
        for _day, paths in self.days(start, end):
            day = [entry for path in paths for entry in read_records(path)]
            yield from sorted(day, key=lambda entry: entry["time"])


def read_records(path: Path) -> Iterator[dict]:
    """The records of one file; a line cut short (a killed process) is skipped."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:
        yield from _parsed(lines, path)


def _parsed(lines: Iterable[str], path: Path) -> Iterator[dict]:
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line) if line.endswith("\n") else None
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or not isinstance(entry.get("time"), str):
            logger.warning("%s:%d: not a download record, skipped", path, number)
            continue
        yield entry
