"""The download log: appends from threads and processes, read in time order."""

from belspo.pleiades.downloads import log as download_log
from belspo.pleiades.downloads.log import DownloadLog
from belspo.pleiades.downloads.log import read_records
from datetime import date
from threading import Thread

import gzip
import json
import pytest


def test_concurrent_appends_keep_every_line_whole(tmp_path):
    log = DownloadLog(tmp_path / "downloads")
    padding = "x" * 3000  # longer lines make interleaving likelier

    def append(worker: int) -> None:
        for index in range(200):
            log.record({"user": f"u{worker}", "index": index, "padding": padding})

    threads = [Thread(target=append, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (path,) = (tmp_path / "downloads").iterdir()
    assert path.name.startswith(f"downloads-{date.today():%Y-%m-%d}.")
    assert path.name.endswith(".jsonl")
    lines = path.read_text().splitlines()
    assert len(lines) == 1600
    records = [json.loads(line) for line in lines]
    for worker in range(8):
        mine = [r["index"] for r in records if r["user"] == f"u{worker}"]
        assert mine == list(range(200))
    times = [r["time"] for r in log.records()]
    assert times == sorted(times) and len(times) == 1600


def write(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_records_of_several_processes_in_time_order(tmp_path):
    write(
        tmp_path / "downloads-2026-03-01.web1-10.jsonl",
        {"time": "2026-03-01T08:00:00.000000+00:00", "n": 1},
        {"time": "2026-03-01T12:00:00.000000+00:00", "n": 4},
    )
    write(
        tmp_path / "downloads-2026-03-01.web2-20.jsonl",
        {"time": "2026-03-01T09:00:00.000000+00:00", "n": 2},
        {"time": "2026-03-01T10:00:00.000000+00:00", "n": 3},
    )
    with gzip.open(tmp_path / "downloads-2026-02-28.web1-10.jsonl.gz", "wt") as old:
        old.write(json.dumps({"time": "2026-02-28T23:59:59.000000+00:00", "n": 0}))
        old.write("\n")
    write(
        tmp_path / "downloads-2026-03-02.web1-10.jsonl",
        {"time": "2026-03-02T00:00:01.000000+00:00", "n": 5},
    )
    (tmp_path / "README").write_text("not a log")
    log = DownloadLog(tmp_path)
    assert [r["n"] for r in log.records()] == [0, 1, 2, 3, 4, 5]
    march_first = log.records(date(2026, 3, 1), date(2026, 3, 1))
    assert [r["n"] for r in march_first] == [1, 2, 3, 4]
    assert [r["n"] for r in log.records(start=date(2026, 3, 2))] == [5]
    assert [r["n"] for r in log.records(end=date(2026, 2, 28))] == [0]


def test_a_line_cut_by_a_killed_process_is_skipped(tmp_path, caplog):
    path = tmp_path / "downloads-2026-03-01.web1-10.jsonl"
    path.write_text(
        '{"time": "2026-03-01T08:00:00.000000+00:00", "n": 1}\n'
        '{"time": "2026-03-01T08:00:01.000000+00:00", "n": 2}\n'
        '{"time": "2026-03-01T08:00:02.0'
    )
    assert [r["n"] for r in read_records(path)] == [1, 2]
    assert ":3: not a download record" in caplog.text


def test_a_missing_volume_is_not_created(tmp_path):
    log = DownloadLog(tmp_path / "unmounted", create=False)
    with pytest.raises(FileNotFoundError):
        log.record({"user": "owner"})
    assert not (tmp_path / "unmounted").exists()
    assert list(log.records()) == []


def test_one_file_per_process(tmp_path, monkeypatch):
    log = DownloadLog(tmp_path)
    log.record({"n": 1})
    monkeypatch.setattr(download_log.os, "getpid", lambda: 999_999)
    log.record({"n": 2})
    names = [p.name for p in tmp_path.iterdir()]
    assert len(names) == 2
    assert sum(name.endswith("-999999.jsonl") for name in names) == 1
    assert [r["n"] for r in log.records()] == [1, 2]
