"""Benchmark the nightly backup: a full copy, incremental nights, verify's reading.

Prepares a primary instance (``pleiades-run --prepare-only --no-demo``: the
development profile, RelStorage on SQLite, history-free, blobs in the instance)
in a temporary folder, archives N synthetic products into it with
``pleiades-ingest`` (64 x 64 rasters, several products per delivery zip), then:

- the initial full backup: ``pleiades-backup`` into an empty backup instance
  (the ``backup`` profile, SQLite to SQLite), its copy and verification timed;
- nights: 1 % new products ingested, then the incremental ``pleiades-backup``
  timed, against the full backup's time (goal: at most 5 % of it);
- verify's reading: the backup's blob files hashed with ``verify.py``'s own
  ``sha256_file`` against ``sha256sum`` of the same files in the same run,
  evicted from the page cache and cached (goal: a ratio near 1); and, for
  reference, a whole verification run (``--verify-share 1.0``, every blob file
  re-read on both sides) against ``sha256sum`` of both sides' blob files.

Durations are the run reports' ``duration_s`` (what ``pleiades-backup`` times
itself: rendering the configurations, the copy, the verification); the wall
time of the command (Python start and recording the report in the primary
portal, which loads Zope, included) is given beside it.

Usage: ``.venv/bin/python bench/backup.py [--products 10000] [--repeat 3]
[--workdir DIR] [--output FILE]``. Progress goes to stderr, the markdown section
to stdout; with ``--output`` it is added to FILE (an older Backup section there
is replaced, the other sections are kept).
"""

from belspo.pleiades.ingest.synthetic import write_delivery
from belspo.pleiades.preservation.verify import sha256_file
from common import command
from common import log
from common import machine
from common import measure_and_report
from common import prepare_instance
from common import run
from common import sha256sum_version
from common import spread
from common import verdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time


PER_DELIVERY = 10  # products per delivery zip
BATCH = 2000  # products per pleiades-ingest run while building the archive
SEED = 20261001
NIGHTLY_SHARE = 0.01  # new products each night, as a share of the archive
GOAL_NIGHTLY = 0.05  # incremental run over the full backup's time
GOAL_READ = 1.2  # verify's reading over sha256sum's, same files, same cache state
MB = 1e6
INGESTED = re.compile(r"(\d+) ingested \((\d+) products")


# Building the archive


def write_deliveries(inbox: str, first: int, products: int) -> int:
    """Deliveries of PER_DELIVERY products (zips) numbered from first; how many."""
    count = math.ceil(products / PER_DELIVERY)
    for number in range(count):
        write_delivery(
            Path(inbox),
            count=min(PER_DELIVERY, products - number * PER_DELIVERY),
            seed=SEED + first + number,
            as_zip=True,
        )
    return count


def ingest(instance: Path, inbox: Path, expected: int) -> float:
    """Archive the inbox's deliveries in one pleiades-ingest run; its wall time."""
    started = time.perf_counter()
    result = run(command("pleiades-ingest", instance, "--no-progress", inbox), "ingest")
    elapsed = time.perf_counter() - started
    found = INGESTED.search(result.stdout)
    if not found or int(found.group(2)) != expected:
        raise SystemExit(f"{expected} products expected:\n{result.stdout}")
    shutil.rmtree(inbox, ignore_errors=True)
    return elapsed


def build(work: Path, instance: Path, products: int) -> dict:
    """Archive products in batches, writing the next batch while one is ingested."""
    started = time.perf_counter()
    batches = [
        (start, min(BATCH, products - start)) for start in range(0, products, BATCH)
    ]
    ingest_time = 0.0
    with ProcessPoolExecutor(max_workers=1) as pool:
        pending = None
        for number, (start, size) in enumerate(batches):
            inbox = work / f"inbox-{number}"
            inbox.mkdir(exist_ok=True)
            future = pending or pool.submit(
                write_deliveries, str(inbox), start // PER_DELIVERY, size
            )
            future.result()
            pending = None
            if number + 1 < len(batches):
                following, following_size = batches[number + 1]
                (work / f"inbox-{number + 1}").mkdir()
                pending = pool.submit(
                    write_deliveries,
                    str(work / f"inbox-{number + 1}"),
                    following // PER_DELIVERY,
                    following_size,
                )
            elapsed = ingest(instance, inbox, size)
            ingest_time += elapsed
            log(
                f"  {start + size} / {products} products archived "
                f"(batch of {size} in {elapsed:.0f} s, "
                f"{time.perf_counter() - started:.0f} s so far)"
            )
    return {"build_s": time.perf_counter() - started, "ingest_s": ingest_time}


def night(work: Path, instance: Path, first: int, products: int) -> float:
    """Ingest a night's new products (deliveries numbered from first); its time."""
    inbox = work / f"inbox-night-{first}"
    inbox.mkdir()
    write_deliveries(str(inbox), first, products)
    return ingest(instance, inbox, products)


# The backup


def backup(instance: Path, backup_instance: Path, *args) -> dict:
    """One pleiades-backup run; its report, with the command's wall time."""
    started = time.perf_counter()
    result = run(
        command(
            "pleiades-backup",
            instance,
            "--backup-instance",
            backup_instance,
            "--backup-profile",
            "backup",
            "--no-progress",
            *args,
        ),
        "pleiades-backup",
    )
    wall = time.perf_counter() - started
    path = result.stdout.rsplit("report: ", 1)[1].strip()
    report = json.loads(Path(path).read_text())
    if report["status"] != "ok" or report["problems"]:
        raise SystemExit(f"the backup run failed:\n{result.stdout}")
    report["wall_s"] = wall
    log(f"  {result.stdout.splitlines()[0]} (wall {wall:.1f} s)")
    return report


# The page cache and the reading


def evict(paths: list[Path]) -> None:
    """Drop the files' pages from the page cache (their dirty pages written first)."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def resident(paths: list[Path]) -> int | None:
    """How many bytes of these files are in the page cache, if fincore can tell."""
    fincore = shutil.which("fincore")
    if fincore is None or not paths:
        return None
    result = subprocess.run(
        [fincore, "--bytes", "--noheadings", "--output", "RES", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        return None
    return sum(int(line.split()[0]) for line in result.stdout.splitlines() if line)


def warm(paths: list[Path]) -> None:
    for path in paths:
        sha256_file(path)


def time_verify_read(paths: list[Path]) -> float:
    """Seconds verify.py's sha256_file takes to hash every file, one after another."""
    started = time.perf_counter()
    for path in paths:
        sha256_file(path)
    return time.perf_counter() - started


def time_sha256sum(list_file: Path) -> float:
    """Seconds ``sha256sum`` takes on the same files (given by xargs, in order)."""
    started = time.perf_counter()
    with open(list_file, "rb") as names:
        subprocess.run(
            ["xargs", "-0", "sha256sum", "--"],
            stdin=names,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    return time.perf_counter() - started


def reading(work: Path, paths: list[Path], repeat: int, name: str) -> dict:
    """verify's reading against sha256sum, evicted and cached, alternating."""
    list_file = work / f"{name}.list"
    list_file.write_bytes(b"".join(bytes(p) + b"\0" for p in paths))
    size = sum(p.stat().st_size for p in paths)
    runs = {"cold": [], "cached": [], "files": len(paths), "bytes": size}
    sample = paths[:: max(1, len(paths) // 200)]
    left = []
    for number in range(repeat):
        for state, prepare in (("cold", evict), ("cached", warm)):
            prepare(paths)
            if state == "cold":
                left.append(resident(sample))
            baseline = time_sha256sum(list_file)
            prepare(paths)
            if state == "cold":
                left.append(resident(sample))
            measured = time_verify_read(paths)
            runs[state].append({"verify": measured, "sha256sum": baseline})
            log(
                f"  {name}, run {number + 1}, {state}: sha256_file {measured:.2f} s, "
                f"sha256sum {baseline:.2f} s, ratio {measured / baseline:.2f}"
            )
    runs["left"] = [n for n in left if n is not None]
    runs["sample"] = sum(p.stat().st_size for p in sample)
    return runs


def blob_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.blob"))


# The orchestration


def measure(args, work: Path) -> dict:
    results = {"machine": machine(work), "sha256sum_version": sha256sum_version()}
    instance, backup_instance = work / "instance", work / "backup-instance"
    log("preparing the primary instance")
    prepare_instance(instance)
    log(f"archiving {args.products} products")
    results["build"] = build(work, instance, args.products)
    log("initial full backup")
    results["full"] = backup(instance, backup_instance)
    if results["full"]["products_backup"] != args.products:
        raise SystemExit(f"the backup has {results['full']['products_backup']}")
    results["nights"], results["night_ingest"] = [], []
    archived = args.products
    delivery = math.ceil(args.products / PER_DELIVERY)  # the next one's number
    for number in range(args.repeat):
        new = max(1, round(archived * NIGHTLY_SHARE))
        log(f"night {number + 1}: {new} new products")
        results["night_ingest"].append(night(work, instance, delivery, new))
        archived += new
        delivery += math.ceil(new / PER_DELIVERY)
        report = backup(instance, backup_instance)
        report["new_products"] = new
        results["nights"].append(report)
    results["archived"] = archived
    log("verify's reading against sha256sum, on the backup's blob files")
    backup_blobs = blob_files(backup_instance / "var" / "backup" / "blobstorage")
    results["read"] = reading(work, backup_blobs, args.repeat, "backup")
    log("a whole verification run (--verify-share 1.0)")
    both = blob_files(instance / "var" / "blobstorage") + backup_blobs
    results["whole"] = []
    for number in range(args.repeat):
        warm(both)
        report = backup(instance, backup_instance, "--verify-share", "1.0")
        report["sha256sum"] = time_sha256sum(write_list(work / "both.list", both))
        results["whole"].append(report)
        log(f"  run {number + 1}: sha256sum of both sides {report['sha256sum']:.2f} s")
    results["whole_files"] = len(both)
    results["whole_bytes"] = sum(p.stat().st_size for p in both)
    return results


def write_list(path: Path, paths: list[Path]) -> Path:
    path.write_bytes(b"".join(bytes(p) + b"\0" for p in paths))
    return path


# The report


def read_row(label: str, runs: list[dict], size: int) -> str:
    measured = [r["verify"] for r in runs]
    baseline = [r["sha256sum"] for r in runs]
    ratios = [r["verify"] / r["sha256sum"] for r in runs]
    ok = statistics.median(ratios) <= GOAL_READ
    return (
        f"| {label} | {spread(measured, 's', 2)}, "
        f"{size / statistics.median(measured) / MB:.0f} MB/s "
        f"| sha256sum {spread(baseline, 's', 2)}, "
        f"{size / statistics.median(baseline) / MB:.0f} MB/s "
        f"| {spread(ratios, '', 2)} | ≤ {GOAL_READ}: {verdict(ok)} |"
    )


def report(args, results: dict) -> str:
    full, nights, read = results["full"], results["nights"], results["read"]
    full_s = full["duration_s"]
    durations = [n["duration_s"] for n in nights]
    ratios = [d / full_s for d in durations]
    nightly_ok = statistics.median(ratios) <= GOAL_NIGHTLY
    new = [n["new_products"] for n in nights]
    whole = results["whole"]
    whole_s = [w["duration_s"] for w in whole]
    whole_base = [w["sha256sum"] for w in whole]
    whole_ratio = [w["duration_s"] / w["sha256sum"] for w in whole]
    night_blobs = statistics.median(n["blobs"] for n in nights)
    night_objects = statistics.median(n["objects"] for n in nights)
    whole_mb = statistics.median(w["bytes_verified"] for w in whole) / MB
    build = results["build"]
    left = max(read["left"], default=None)
    cache = (
        f"`fincore` found at most {left} of {read['sample']} bytes of a sample of "
        "the files still cached after each eviction"
        if left is not None
        else "`fincore` was not available to check the eviction"
    )
    lines = [
        "## Backup",
        "",
        "Goals: the nightly incremental `pleiades-backup` (copy and verification) "
        f"after {NIGHTLY_SHARE:.0%} new products takes at most "
        f"{GOAL_NIGHTLY:.0%} of the initial full backup's time; the verification "
        "reads blob files about as fast as `sha256sum` does the same files "
        f"(ratio ≤ {GOAL_READ}).",
        "",
        f"Machine: {results['machine']}.",
        "",
        "| measure | value | baseline in the same run | ratio | goal |",
        "|---|---|---|---|---|",
        f"| initial full backup of {args.products} products into an empty backup "
        f"(SQLite → SQLite): {full['objects']} objects, {full['blobs']} blob files, "
        f"{full['bytes'] / MB:.0f} MB copied and verified "
        f"| {full_s:.1f} s (wall {full['wall_s']:.1f} s) | — | — "
        "| the nightly runs' baseline |",
        f"| nightly incremental backup after {statistics.median(new):.0f} new "
        f"products ({NIGHTLY_SHARE:.0%}; {night_blobs:.0f} blob files, "
        f"{night_objects:.0f} objects) "
        f"| {spread(durations, 's')}; wall "
        f"{spread([n['wall_s'] for n in nights], 's')} "
        f"| initial full backup {full_s:.1f} s "
        f"| {spread(ratios, '', 3)} "
        f"| ≤ {GOAL_NIGHTLY}: {verdict(nightly_ok)} |",
        read_row(
            f"verify's reading (`sha256_file`) of the backup's {read['files']} blob "
            f"files ({read['bytes'] / MB:.0f} MB), not in page cache",
            read["cold"],
            read["bytes"],
        ),
        read_row(
            f"verify's reading of the same {read['files']} files, in page cache",
            read["cached"],
            read["bytes"],
        ),
        f"| whole verification run (`--verify-share 1.0`): every blob file re-read "
        f"on both sides, {whole_mb:.0f} MB, in page cache "
        f"| {spread(whole_s, 's', 2)} "
        f"| sha256sum of both sides' {results['whole_files']} blob files "
        f"({results['whole_bytes'] / MB:.0f} MB) {spread(whole_base, 's', 2)} "
        f"| {spread(whole_ratio, '', 2)} | for reference |",
        "",
        "Method: a primary instance prepared with `pleiades-run --prepare-only "
        "--no-demo` (development profile: RelStorage on SQLite, history-free, "
        "blobs in the instance) in a temporary folder on the workdir's "
        f"filesystem; {args.products} synthetic products (64 × 64 rasters, "
        f"{PER_DELIVERY} per delivery zip) archived with `pleiades-ingest` in runs "
        f"of {BATCH} products, in {build['build_s']:.0f} s "
        f"({build['ingest_s']:.0f} s of it in pleiades-ingest). The backup "
        "instance uses the `backup` profile (SQLite, its own blob directory). "
        "Times are the run reports' `duration_s` (`pleiades-backup` rendering "
        "both configurations, opening the storages, copying, comparing the "
        "current objects, verifying); the wall time adds Python's start and "
        "the recording of the report in the primary portal (which loads Zope). "
        "The full backup's time includes its verification of every blob file "
        f"it copied. Each night, {NIGHTLY_SHARE:.0%} new products are archived "
        "(one pleiades-ingest run, not timed) and `pleiades-backup` runs with its "
        "default `--verify-share` 0.05 (the new blob files, plus 5 % of the older "
        "ones re-read on both sides): "
        f"{args.repeat} night(s), each on the archive the previous one left "
        f"(median {statistics.median(n['verified_rolling'] for n in nights):.0f} "
        "older files re-read per night). The archive was written just before "
        "each backup run, so it was in the page cache, as on a server that "
        "ingests during the day. Verify's reading: `preservation.verify."
        "sha256_file` (1 MiB unbuffered reads, hashlib's SHA-256) over every "
        "blob file of the backup, one after another in one process, against "
        "`xargs -0 sha256sum` of the same list in the same order; each pair "
        "alternates in the same cache state, not cached (every file's pages "
        f"dropped with `posix_fadvise(POSIX_FADV_DONTNEED)` after an fsync; "
        f"{cache}) and cached (every file read once before). The whole "
        "verification run is a `pleiades-backup --verify-share 1.0` with nothing "
        "new but the previous report's transaction to copy, so its time also "
        "holds the storages' opening and the comparison of the current objects; "
        "it reads only the blob files still current on the primary. "
        f"`sha256sum` here is GNU coreutils {results['sha256sum_version']}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--products", type=int, default=10_000, help="products archived first"
    )
    parser.add_argument("--repeat", type=int, default=3, help="nights, and reruns")
    parser.add_argument(
        "--workdir", type=Path, help="a folder on the filesystem to measure"
    )
    parser.add_argument("--output", type=Path, help="a markdown file to add to")
    args = parser.parse_args(argv)
    if args.products < 1 or args.repeat < 1:
        parser.error("--products and --repeat must be positive")
    return measure_and_report(args, "backup", measure, report)


if __name__ == "__main__":
    sys.exit(main())
