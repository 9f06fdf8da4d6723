"""Benchmark the ingest: small deliveries per second, a large package vs sha256sum.

Prepares fresh portal instances (RelStorage on SQLite with a shared blob
directory, the development profile) in a temporary folder and measures in worker
processes that load Zope once and time only ``Ingester.ingest``:

- throughput: N small synthetic products (64 x 64 rasters, two per delivery,
  half zips, half folders) ingested end to end, one transaction per delivery;
- a large package: a one-product delivery zip of about 2 GiB, archived by hard
  link and hashed in one read pass, against ``sha256sum`` of the same file in
  the same run, with the file evicted from the page cache and with it cached;
- memory: the worker's peak RSS while it ingests the large package, and a
  small one, over its RSS once Zope is loaded.

Usage: ``.venv/bin/python bench/ingest.py [--products 200] [--big-gib 2]
[--repeat 3] [--workdir DIR] [--output FILE]``. Progress goes to stderr, the
markdown section to stdout; with ``--output`` it is appended to FILE (an older
Ingest section there is replaced, the other sections are kept).
"""

from belspo.pleiades.ingest.synthetic import write_delivery
from collections import Counter
from common import log
from common import machine
from common import measure_and_report
from common import prepare_instance
from common import sha256sum_version
from common import spread
from common import verdict
from pathlib import Path

import argparse
import cProfile
import functools
import json
import math
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import time


SITE_ID = "Plone"
RESULT = "ingest-bench-result: "  # marks the worker's answer among other output
PER_DELIVERY = 2
SEED = 20260401
BIG_SEED = 20260499
GOAL_RATE = 20.0  # products per second
GOAL_RATIO = 1.3  # ingest time over sha256sum time
GOAL_MEMORY_MB = 300.0
MB = 1e6
GIB = 1 << 30
READ_CHUNK = 8 << 20

# Time spent in each phase of the ingest and calls made, added up by the worker.
TIMES: Counter = Counter()
CALLS: Counter = Counter()
# (name, label): the rows of the "where the time goes" table, nesting shown by
# the label's indentation.
PHASES = (
    ("ingest", "whole ingest"),
    ("archive", "archive (before the commit)"),
    ("metadata", "  read the DIMAP document"),
    ("existing", "  look for the product (the search runs the indexing queue)"),
    ("package", "  package"),
    ("hash_zip", "    hash_zip: hash the linked zip (one pass)"),
    ("build_package", "    build_package: write a new zip and hash it"),
    ("previews", "  quicklook and thumbnail"),
    ("create", "  create the Product (api.content.create)"),
    ("attach", "  attach the package and previews as blobs"),
    ("link", "  link to the request (its search runs the indexing queue)"),
    ("journal", "  journal fsyncs (in package and attach)"),
    ("commit", "commit (catalog queue, SQLite, blobs)"),
    ("blob fsync", "  fsync of the blob files and folders"),
    ("after", "after the commit (remove the delivery)"),
    ("catalog", "catalog indexing (catalogObject), within the rows above"),
    ("fsync", "fsyncs made from Python, within the rows above"),
)
# Phases shown with their number of calls, per product or per package.
COUNTED = ("catalog", "fsync")


# The worker: a process that loads Zope once and times the ingest


def _timed(name: str, function):
    """The function, adding the time of each call to TIMES[name]."""

    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[name] += time.perf_counter() - started
            CALLS[name] += 1

    return timed


def _instrument() -> type:
    """The Ingester, with its hooks, hashing, fsyncs and commit timed."""
    from belspo.pleiades.ingest import pipeline
    from belspo.pleiades.ingest.durability import BlobFsync
    from belspo.pleiades.ingest.durability import Journal
    from Products.ZCatalog.Catalog import Catalog

    import transaction

    # Benchmark-only patches of module globals: this process does nothing else.
    for name in ("hash_zip", "build_package"):
        setattr(pipeline, name, _timed(name, getattr(pipeline, name)))
    BlobFsync.tpc_vote = _timed("blob fsync", BlobFsync.tpc_vote)
    Journal.record = _timed("journal", Journal.record)
    Catalog.catalogObject = _timed("catalog", Catalog.catalogObject)
    os.fsync = _timed("fsync", os.fsync)  # the package's, the journal's, the blobs'

    class TimedIngester(pipeline.Ingester):
        """An Ingester that adds up the time of each hook and of the commit."""

        def archive(self, path):
            # Registered first, so it runs before the catalog queue's own hook.
            transaction.get().addBeforeCommitHook(self._commit_starts)
            return super().archive(path)

        def _commit_starts(self) -> None:
            started = time.perf_counter()
            transaction.get().addAfterCommitHook(self._commit_ends, (started,))

        def _commit_ends(self, status: bool, started: float) -> None:
            TIMES["commit"] += time.perf_counter() - started

    for name, _label in PHASES:
        if hasattr(pipeline.Ingester, name):
            method = getattr(TimedIngester, name)
            setattr(TimedIngester, name, _timed(name, method))
    return TimedIngester


def memory() -> dict[str, int]:
    """The process's current and peak resident set size (VmRSS, VmHWM), in KiB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def max_rss() -> int:
    """The process's peak RSS since it started, in KiB (Linux ru_maxrss)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(argv: list[str]) -> int:
    """Load Zope, open the site, ingest the deliveries; print what was measured."""
    parser = argparse.ArgumentParser(prog="bench/ingest.py --worker")
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--evict", action="store_true", help="drop from page cache")
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    from belspo.pleiades.cli.run import ADMIN_NAME
    from belspo.pleiades.cli.run import admin_password
    from belspo.pleiades.cli.run import load_zope

    load_zope(args.instance / "etc" / "zope.ini")
    from belspo.pleiades.cli.site import open_portal

    import Zope2

    ingester_class = _instrument()
    password = admin_password(args.instance)
    try:
        with open_portal(SITE_ID, ADMIN_NAME, password) as portal:
            ingester = ingester_class(
                portal, args.instance / "var" / "ingest" / "quarantine"
            )
            ingester.recover()
            loaded, loaded_max = memory(), max_rss()
            peak_reset = reset_peak()
            resident = [evict(p) for p in args.paths] if args.evict else []
            TIMES.clear()
            CALLS.clear()
            profiler = cProfile.Profile() if args.cprofile else None
            outcomes = []
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            for number, path in enumerate(args.paths, 1):
                outcomes.append(ingester.ingest(path))
                if number % 25 == 0:
                    log(f"    {number} / {len(args.paths)} deliveries")
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            after, after_max = memory(), max_rss()
    finally:
        Zope2.DB.close()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
    TIMES["ingest"] = elapsed
    TIMES["after"] = elapsed - TIMES["archive"] - TIMES["commit"]
    answer = {
        "elapsed": elapsed,
        "outcomes": [
            {
                "status": o.status,
                "products": len(o.products),
                "size": o.size,
                "message": o.message,
            }
            for o in outcomes
        ],
        "rss_loaded_kib": loaded["VmRSS"],
        "maxrss_loaded_kib": loaded_max,
        "peak_reset": peak_reset,
        "hwm_kib": after["VmHWM"],
        "maxrss_kib": after_max,
        "resident_after_evict": resident,
        "times": dict(TIMES),
        "calls": dict(CALLS),
    }
    print(RESULT + json.dumps(answer), flush=True)
    return 0


# The page cache


def resident(path: Path) -> int | None:
    """How many bytes of a file are in the page cache, if fincore can tell."""
    fincore = shutil.which("fincore")
    if fincore is None:
        return None
    result = subprocess.run(
        [fincore, "--bytes", "--noheadings", "--output", "RES", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode or not result.stdout.strip():
        return None
    return int(result.stdout.split()[0])


def evict(path: Path) -> int | None:
    """Drop a file's pages from the page cache; return the bytes still resident."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # dirty pages would stay
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)
    return resident(path)


def warm(path: Path) -> None:
    """Read a file once so that it is in the page cache."""
    with open(path, "rb", buffering=0) as handle:
        while handle.read(READ_CHUNK):
            pass


def try_drop_caches(probe: Path) -> str:
    """Whether the whole page cache can be dropped here, tried on a cached file."""
    warm(probe)
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3")
    except OSError as error:
        return f"refused ({error.strerror})"
    left = resident(probe)
    if left is None:
        return "accepted (not verified: no fincore)"
    size = probe.stat().st_size
    if left > size // 100:
        return f"accepted but ineffective ({left / size:.0%} still cached)"
    return "works"


# The orchestration


def run_worker(
    instance: Path, paths: list[Path], evict: bool = False, profile: bool = False
) -> dict:
    """Ingest the deliveries in a new process that loads Zope first."""
    command = [sys.executable, __file__, "--worker", "--instance", str(instance)]
    command += ["--evict"] if evict else []
    command += ["--cprofile"] if profile else []
    command += [str(path) for path in paths]
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    answers = [
        line[len(RESULT) :]
        for line in result.stdout.splitlines()
        if line.startswith(RESULT)
    ]
    if result.returncode or not answers:
        raise SystemExit(f"the ingest worker failed (exit {result.returncode})")
    answer = json.loads(answers[-1])
    refused = [o for o in answer["outcomes"] if o["status"] != "ingested"]
    if refused:
        raise SystemExit(f"{len(refused)} deliveries not ingested: {refused[:3]}")
    return answer


def small_deliveries(inbox: Path, products: int, seed: int) -> list[Path]:
    """Deliveries of two 64 x 64 products each, alternately zips and folders."""
    paths = []
    for number in range(math.ceil(products / PER_DELIVERY)):
        count = min(PER_DELIVERY, products - number * PER_DELIVERY)
        delivery = write_delivery(
            inbox, count=count, seed=seed + number, as_zip=number % 2 == 0
        )
        paths.append(delivery.path)
    return paths


def throughput(work: Path, products: int, run: int, profile: bool) -> dict:
    """One run: fresh instance and deliveries, all ingested by one worker."""
    log(f"throughput, run {run + 1}: {products} products")
    instance = prepare_instance(work / f"instance-small-{run}")
    inbox = work / f"inbox-small-{run}"
    started = time.perf_counter()
    paths = small_deliveries(inbox, products, SEED + 100_000 * run)
    log(f"  {len(paths)} deliveries written in {time.perf_counter() - started:.0f} s")
    answer = run_worker(instance, paths, profile=profile)
    ingested = sum(o["products"] for o in answer["outcomes"])
    if ingested != products:
        raise SystemExit(f"{ingested} products ingested, {products} expected")
    answer["rate"] = ingested / answer["elapsed"]
    log(f"  {ingested} products in {answer['elapsed']:.1f} s: {answer['rate']:.1f}/s")
    shutil.rmtree(instance)
    shutil.rmtree(inbox, ignore_errors=True)
    return answer


def timed_command(command: list) -> float:
    """Seconds a command takes, start to end."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def write_big(folder: Path, gib: float) -> Path:
    """The one-product delivery zip of about gib GiB, flushed to disk."""
    started = time.perf_counter()
    delivery = write_delivery(
        folder, count=1, seed=BIG_SEED, as_zip=True, payload_bytes=int(gib * GIB)
    )
    with open(delivery.path, "rb") as handle:
        os.fsync(handle.fileno())
    size = delivery.path.stat().st_size
    elapsed = time.perf_counter() - started
    log(f"  {delivery.path.name}: {size / GIB:.2f} GiB written in {elapsed:.0f} s")
    return delivery.path


def big_package(work: Path, master: Path, run: int, cold: bool, profile: bool):
    """One pair: sha256sum of the package, then its ingest, same cache state."""
    state = "evicted" if cold else "cached"
    log(f"large package, run {run + 1}, {state}")
    prepare = evict if cold else warm
    prepare(master)
    baselines = {"sha256sum": timed_command(["sha256sum", master])}
    if shutil.which("openssl"):
        prepare(master)
        baselines["openssl"] = timed_command(["openssl", "dgst", "-sha256", master])
    instance = prepare_instance(work / f"instance-big-{run}-{state}")
    inbox = work / f"inbox-big-{run}-{state}"
    inbox.mkdir()
    # A link, not a copy: the ingest links it into blob storage and unlinks it.
    delivery = inbox / master.name
    os.link(master, delivery)
    if not cold:
        warm(delivery)
    answer = run_worker(instance, [delivery], evict=cold, profile=profile)
    answer["zero copy"] = master.stat().st_nlink == 2  # the master and the blob
    answer.update(baselines)
    answer["size"] = answer["outcomes"][0]["size"]
    log(
        f"  ingest {answer['elapsed']:.2f} s, sha256sum {baselines['sha256sum']:.2f}"
        f" s, ratio {answer['elapsed'] / baselines['sha256sum']:.2f}; "
        f"linked: {answer['zero copy']}"
    )
    shutil.rmtree(instance)
    shutil.rmtree(inbox)
    return answer


def small_package(work: Path, run: int) -> dict:
    """The memory of a one-product delivery zip without padding, for comparison."""
    log(f"small package, run {run + 1}")
    instance = prepare_instance(work / f"instance-one-{run}")
    inbox = work / f"inbox-one-{run}"
    delivery = write_delivery(inbox, count=1, seed=BIG_SEED + 1 + run, as_zip=True)
    answer = run_worker(instance, [delivery.path])
    answer["size"] = answer["outcomes"][0]["size"]
    shutil.rmtree(instance)
    shutil.rmtree(inbox)
    return answer


# The report


def increase_mb(answer: dict) -> float:
    """The peak RSS during the ingest over the RSS once Zope was loaded, in MB."""
    peak = answer["hwm_kib"] if answer["peak_reset"] else answer["maxrss_kib"]
    baseline = answer["rss_loaded_kib"]
    if not answer["peak_reset"]:
        baseline = answer["maxrss_loaded_kib"]
    return (peak - baseline) * 1024 / MB


def kib_mb(kib: float) -> float:
    return kib * 1024 / MB


def package_rows(label: str, runs: list[dict], baseline: str) -> list[str]:
    """The rows of the ingest against one baseline command."""
    ingest = [r["elapsed"] for r in runs]
    other = [r[baseline] for r in runs]
    ratios = [r["elapsed"] / r[baseline] for r in runs]
    size = runs[0]["size"]
    median = statistics.median(ratios)
    goal = f"≤ {GOAL_RATIO}: {verdict(median <= GOAL_RATIO)}"
    name = "sha256sum"
    if baseline == "openssl":
        name, goal = "openssl dgst -sha256", "for reference"
    return [
        f"| {label} | {spread(ingest, 's', 2)}, "
        f"{size / statistics.median(ingest) / MB:.0f} MB/s "
        f"| {name} {spread(other, 's', 2)}, "
        f"{size / statistics.median(other) / MB:.0f} MB/s "
        f"| {spread(ratios, '', 2)} | {goal} |"
    ]


def memory_rows(big: list[dict], small: list[dict]) -> list[str]:
    rows = []
    for label, runs in (
        (f"{big[0]['size'] / GIB:.2f} GiB package", big),
        (f"small package ({small[0]['size'] / 1e3:.0f} kB, one product)", small),
    ):
        increases = [increase_mb(r) for r in runs]
        peaks = [kib_mb(r["maxrss_kib"]) for r in runs]
        loaded = [kib_mb(r["rss_loaded_kib"]) for r in runs]
        rows.append(
            f"| peak RSS increase while ingesting a {label} "
            f"| +{max(increases):.0f} MB (max of {len(runs)}); whole worker "
            f"peak {max(peaks):.0f} MB "
            f"| Zope loaded, site open: {statistics.median(loaded):.0f} MB | — "
            f"| < {GOAL_MEMORY_MB:.0f} MB: {verdict(max(increases) < GOAL_MEMORY_MB)} |"
        )
    big_increase = max(increase_mb(r) for r in big)
    small_increase = max(increase_mb(r) for r in small)
    difference = round(big_increase - small_increase) or 0  # no "-0"
    ratio = big[0]["size"] / small[0]["size"]
    rows.append(
        f"| memory against package size: large minus small increase "
        f"| {difference:+.0f} MB for a {ratio:,.0f}× larger package | — | — "
        f"| independent of size: {verdict(abs(difference) < 0.1 * GOAL_MEMORY_MB)} |"
    )
    return rows


def _phase_cell(runs: list[dict], name: str, per_product: bool) -> str:
    """The mean time of a phase (ms per product, or s), with its calls if counted."""
    times, calls = [], []
    for run in runs:
        products = sum(o["products"] for o in run["outcomes"])
        scale = 1000 / products if per_product else 1
        times.append(run["times"].get(name, 0.0) * scale)
        calls.append(run["calls"].get(name, 0) / (products if per_product else 1))
    text = f"{statistics.mean(times):.{1 if per_product else 2}f}"
    if name in COUNTED:
        text += f" ({statistics.mean(calls):.{1 if per_product else 0}f} calls)"
    return text


def phase_table(small: list[dict], big: list[dict], big_state: str) -> list[str]:
    """Where the time goes: ms per product for small deliveries, s for the large."""
    lines = [
        "| phase | small deliveries (ms per product) "
        f"| large package, {big_state} (s) |",
        "|---|---:|---:|",
    ]
    for name, label in PHASES:
        if not any(r["times"].get(name) for r in small + big):
            continue
        text = label.replace("  ", "&nbsp;&nbsp;")
        lines.append(
            f"| {text} | {_phase_cell(small, name, True)} "
            f"| {_phase_cell(big, name, False)} |"
        )
    return lines


def report(args, results: dict) -> str:
    small, cold, cached = results["small"], results["cold"], results["cached"]
    single = results["single"]
    big = cold + cached
    rates = [r["rate"] for r in small]
    deliveries = len(small[0]["outcomes"])
    rate_ok = statistics.median(rates) >= GOAL_RATE
    gib = f"{big[0]['size'] / GIB:.2f} GiB"
    lines = [
        "## Ingest",
        "",
        f"Goals: small deliveries at least {GOAL_RATE:.0f} products per second "
        "ingested end to end; a 2 GB package ingested within "
        f"{GOAL_RATIO}× the time `sha256sum` takes on the same file in the same run "
        "(one read pass, no second copy), with a peak memory under "
        f"{GOAL_MEMORY_MB:.0f} MB, independent of the package size.",
        "",
        f"Machine: {results['machine']}.",
        "",
        "| measure | value | baseline in the same run | ratio | goal |",
        "|---|---|---|---|---|",
        f"| small deliveries: {args.products} products in {deliveries} deliveries "
        f"(64 × 64 rasters, half zips, half folders) "
        f"| {spread(rates, 'products/s')} | — | — "
        f"| ≥ {GOAL_RATE:.0f} products/s: {verdict(rate_ok)} |",
    ]
    for state, runs in (("not in page cache", cold), ("in page cache", cached)):
        if runs:
            label = f"ingest of a {gib} package, {state}"
            lines += package_rows(label, runs, "sha256sum")
    reference = cached or cold
    if "openssl" in reference[0]:
        state = "in page cache" if cached else "not in page cache"
        lines += package_rows(
            f"ingest of a {gib} package, {state}, against one OpenSSL SHA-256 pass",
            reference,
            "openssl",
        )
    lines += memory_rows(big, single)
    linked = all(r["zero copy"] for r in big)
    cache = (
        "Not in page cache: the package's pages were dropped with "
        "`posix_fadvise(POSIX_FADV_DONTNEED)` (after an fsync) before each "
        "`sha256sum` and, in the worker after Zope was loaded, before each ingest; "
        f"`fincore` found {results['left']} bytes of it still cached. "
        if cold
        else "The package could not be evicted from the page cache here, so "
        "only cached runs were measured. "
    )
    lines += [
        "",
        "Method: each measurement runs in a new worker process that loads Zope "
        "and opens the site of a freshly prepared instance (`pleiades-run "
        "--prepare-only --no-demo`: RelStorage on SQLite, history-free, with a "
        "shared blob directory inside the instance, all on the same filesystem as "
        "the deliveries), then times `Ingester.ingest` only — one transaction per "
        "delivery, the commit and its fsyncs included, the Zope start and the "
        "writing of the synthetic deliveries excluded. Small deliveries: "
        f"{args.products} products, {PER_DELIVERY} per delivery, "
        f"{len(small)} run(s) on new deliveries each. Large package: a "
        f"one-product delivery zip written once (its first image tile padded to "
        f"{args.big_gib} GiB); before each ingest it is hard-linked into the "
        "inbox, and the ingest hard-links it into blob storage and reads it once "
        "(`hash_zip`: the package's SHA-256 in a second thread, the members' "
        "SHA-256 and CRC in the first); "
        + (
            "every run left exactly one extra link to its inode, so no copy was made. "
            if linked
            else "**some runs copied the package instead of linking it.** "
        )
        + "Each `sha256sum` and each ingest alternate, in the same cache state. "
        + cache
        + f"Dropping the whole cache (`/proc/sys/vm/drop_caches`, as "
        f"{'root' if os.geteuid() == 0 else 'a user'}): {results['drop_caches']}; "
        "the per-file eviction is used because it leaves the instance's SQLite "
        "file and Python's modules cached, as on a running server. Memory: "
        "`VmHWM` reset with `/proc/self/clear_refs` once the site is open, so the "
        "increase is the peak during the ingest over the RSS before it; the whole "
        "worker's peak is `ru_maxrss`. "
        f"`sha256sum` here is GNU coreutils "
        f"{results['sha256sum_version']}; `openssl dgst` is the same OpenSSL "
        "SHA-256 code Python's hashlib uses, the fastest single pass possible.",
        "",
        "Where the time goes (mean over the runs; indented rows are part of the "
        "row above them):",
        "",
        *phase_table(small, cold or cached, "not cached" if cold else "cached"),
    ]
    return "\n".join(lines) + "\n"


def measure(args, work: Path) -> dict:
    needed = args.big_gib * GIB + GIB  # the package once, and room to spare
    free = shutil.disk_usage(work).free
    if free < needed:
        raise SystemExit(
            f"{work}: {free / GIB:.1f} GiB free, {needed / GIB:.1f} GiB needed: "
            "use a smaller --big-gib or another --workdir"
        )
    results = {"machine": machine(work), "sha256sum_version": sha256sum_version()}
    results["small"] = [
        throughput(work, args.products, run, args.cprofile)
        for run in range(args.repeat)
    ]
    log("writing the large package")
    master = write_big(work / "master", args.big_gib)
    results["drop_caches"] = try_drop_caches(master)
    log(f"  dropping the whole page cache: {results['drop_caches']}")
    left = evict(master)
    results["left"] = left
    can_evict = left is None or left < master.stat().st_size // 100
    results["cold"], results["cached"], results["single"] = [], [], []
    for run in range(args.repeat):
        if can_evict:
            results["cold"].append(
                big_package(work, master, run, cold=True, profile=args.cprofile)
            )
        results["cached"].append(
            big_package(work, master, run, cold=False, profile=args.cprofile)
        )
        results["single"].append(small_package(work, run))
    cold_left = [n for r in results["cold"] for n in r["resident_after_evict"]]
    results["left"] = max((n for n in cold_left if n is not None), default=left)
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200, help="small products")
    parser.add_argument(
        "--big-gib", type=float, default=2.0, help="size of the large package"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each")
    parser.add_argument(
        "--workdir", type=Path, help="a folder on the filesystem to measure"
    )
    parser.add_argument("--output", type=Path, help="a markdown file to add to")
    parser.add_argument(
        "--cprofile",
        action="store_true",
        help="profile each ingest, to stderr (slows it down)",
    )
    args = parser.parse_args(argv)
    if args.products < 1 or args.repeat < 1 or args.big_gib <= 0:
        parser.error("--products, --repeat and --big-gib must be positive")
    return measure_and_report(args, "ingest", measure, report)


if __name__ == "__main__":
    sys.exit(main())
