"""Load test of the portal: visitors and large downloads on two Zope processes.

Creates a PostgreSQL database (``pleiades_bench_load``, dropped at the end,
also on failure) and prepares an instance on it with ``pleiades-run --profile
production --prepare-only --no-demo`` (RelStorage on PostgreSQL, history-free,
the blobs in a directory of the work folder that every Zope process shares);
archives a one-product delivery of a few GiB with ``pleiades-ingest`` and fills
the catalogue with N published synthetic products (``bench/portal_fill.py``).
Then starts two Zope processes on that instance (``pleiades-run`` twice, on two
free ports of 127.0.0.1, the same database and blob directory), warms each up
with a few requests of every kind, and runs locust headless with
``bench/locustfile.py`` three times:

- one visitor alone, no think time, no download, on the first process, for
  ``--baseline`` seconds;
- ``--users`` visitors (anonymous: the home page, the search page with random
  filters and boxes over Europe, product pages, quicklooks, the STAC search,
  now and then a 404; 1 to 5 s between two requests), spread round-robin over
  the two processes, without downloads, for ``--quiet`` seconds;
- the load: the same visitors and ``--downloads`` users downloading the large
  package as the Zope manager, each reading it whole at full speed and
  starting again, spread over the processes the same way, for ``--seconds``
  seconds.

The first two are the baselines the load's latencies are compared with. Every
second during each run both Zope processes' ``VmRSS`` are sampled, ``VmHWM``
and the CPU time of the processes and of locust are read at its start and end.
Locust runs in its own virtualenv, ``.venv-load`` at the repository's root,
which this script creates (``python3.11 -m venv``) and installs
(``bench/load-constraints.txt`` pins every package) when the pins change.

Usage: ``.venv/bin/python bench/load.py [--products 10000] [--big-gib 2]
[--users 50] [--downloads 5] [--seconds 120] [--baseline 30] [--quiet 60]
[--database NAME] [--workdir DIR] [--output FILE]``; the PostgreSQL server is
``PGHOST``, ``PGPORT`` and ``PGUSER`` (127.0.0.1, 5432, postgres by default).
Progress goes to stderr, the markdown section to stdout; with ``--output`` it
is added to FILE (an older Load test section there is replaced, the other
sections are kept).
"""

from common import ensure_venv
from common import environment
from common import fill
from common import log
from common import machine
from common import measure_and_report
from common import prepare_instance
from common import REPOSITORY
from common import Server
from common import spread
from common import verdict
from pathlib import Path
from portal import add_portal_arguments
from portal import archive_big
from portal import check_portal_space
from threading import Event
from threading import Thread

import argparse
import json
import os
import peers
import requests
import resource
import subprocess
import sys
import time


BENCH = Path(__file__).resolve().parent
LOCUSTFILE = BENCH / "locustfile.py"
LOAD_VENV = REPOSITORY / ".venv-load"
CONSTRAINTS = BENCH / "load-constraints.txt"
LOCUST_VERSION = "2.47.0"
DATABASE = "pleiades_bench_load"
THINK = (1.0, 5.0)  # seconds a visitor waits between two requests
SPAWN_RATE = 10  # users started per second
LOCUST_GRACE = 120  # seconds locust may take beyond the run time to start and stop
MAX_REQUESTS = 200_000  # a bound on the load's requests, far above what it makes
WARMUP = 3  # requests of each kind to each process before the baseline
# The visitors' requests, as locustfile.py names them, in the report's order.
PAGES = (
    "home page",
    "search page",
    "product page",
    "quicklook image",
    "STAC search",
    "missing page",
)
DOWNLOAD_FIRST = "package download, first byte"
DOWNLOAD_WHOLE = "package download, whole"
MB = 1e6
GIB = 1 << 30
TICKS = os.sysconf("SC_CLK_TCK")


# The tools


# The portal


class ZopeProcess(Server):
    """One of the portal's Zope processes: ``pleiades-run``, production profile."""

    def __init__(self, instance: Path, log_path: Path, settings: dict):
        super().__init__(instance, log_path, "production", settings)

    def memory_mb(self, name: str = "VmRSS") -> float:
        """A memory figure of /proc/<pid>/status (kB there), in MB."""
        return self.counters("status")[name] * 1024 / MB


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def warm_up(servers: list[ZopeProcess], plan: dict) -> None:
    """A few requests of each kind on each process, their answers checked."""
    session = requests.Session()
    search = {"bbox": "0,45,15,55", "start": "2020-01-01", "end": "2025-12-31"}
    stac = {"bbox": "0,45,15,55", "datetime": "2020-01-01T00:00:00Z/.."}
    for server in servers:
        for number in range(WARMUP):
            product = plan["products"][number * 7 % len(plan["products"])]
            for path, params in (
                ("", None),
                ("/@@search-catalogue", search),
                (f"/{product}", None),
                (f"/{product}/@@images/quicklook", None),
                ("/@stac/search", stac),
            ):
                response = session.get(
                    f"{server.url}{path}", params=params, timeout=120
                )
                if response.status_code != 200:
                    raise SystemExit(f"warm-up: {response.status_code} {response.url}")


class Sampler(Thread):
    """Memory and CPU time of the Zope processes, every second."""

    def __init__(self, servers: list[ZopeProcess]):
        super().__init__(daemon=True)
        self.servers = servers
        self.done = Event()
        self.rss: list[list[float]] = [[] for _ in servers]  # MB, a sample a second
        self.peak_reset = all(server.reset_peak() for server in servers)
        self.cpu_start = self.cpu()
        self.started = time.perf_counter()

    def cpu(self) -> list[float]:
        return [cpu_seconds(server.process.pid) for server in self.servers]

    def sample(self) -> None:
        for values, server in zip(self.rss, self.servers, strict=True):
            values.append(server.memory_mb())

    def run(self) -> None:
        while not self.done.wait(1.0):
            try:
                self.sample()
            except OSError:  # a process gone: the run failed, stop() will say
                return
            elapsed = time.perf_counter() - self.started
            if len(self.rss[0]) % 15 == 0:
                memory = " and ".join(f"{values[-1]:.0f}" for values in self.rss)
                log(
                    f"  {elapsed:.0f} s: Zope processes' RSS {memory} MB, "
                    f"load average {os.getloadavg()[0]:.1f}"
                )

    def stop(self) -> dict:
        """What was sampled: RSS, peaks, CPU cores used by each process."""
        cpu_end = self.cpu()
        elapsed = time.perf_counter() - self.started
        self.done.set()
        self.join()
        self.sample()
        cores = [
            (end - start) / elapsed
            for start, end in zip(self.cpu_start, cpu_end, strict=True)
        ]
        peaks = [
            server.memory_mb("VmHWM") if self.peak_reset else None
            for server in self.servers
        ]
        return {"rss": self.rss, "hwm": peaks, "cores": cores, "seconds": elapsed}


def children_cpu() -> float:
    """User and system time of this process's children that ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Locust


def run_locust(
    locust: Path, work: Path, name: str, hosts: list[str], options: dict
) -> dict:
    """One headless locust run; its statistics, failures and downloads.

    :param options: ``users``, ``downloads``, ``seconds``, ``think`` (a pair),
        ``plan`` (the plan file), ``auth`` (``name:password``), ``classes``
        (the user classes to run) and ``servers`` (sampled during the run).
    """
    record = work / f"{name}.json"
    users = options["users"] + options["downloads"]
    settings = {
        "LOAD_HOSTS": " ".join(hosts),
        "LOAD_PLAN": str(options["plan"]),
        "LOAD_AUTH": options["auth"],
        "LOAD_THINK": " ".join(str(v) for v in options["think"]),
        "LOAD_DOWNLOADERS": str(options["downloads"]),
        "LOAD_MAX_REQUESTS": str(MAX_REQUESTS),
        "LOAD_RECORD": str(record),
    }
    arguments = [
        locust,
        "--locustfile",
        LOCUSTFILE,
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{options['seconds']}s",
        "--exit-code-on-error",
        "0",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *options["classes"],
    ]
    cpu_before, started = children_cpu(), time.perf_counter()
    with open(work / f"{name}.log", "ab") as output:
        client = subprocess.Popen(
            arguments,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**environment(), **settings},
            cwd=work,
        )
    sampler = Sampler(options["servers"])
    sampler.start()
    try:
        client.wait(options["seconds"] + LOCUST_GRACE)
    except subprocess.TimeoutExpired:
        client.kill()
        client.wait()
        raise SystemExit(f"locust did not stop: see {work / name}.log") from None
    finally:
        sampled = sampler.stop()
    # locust has ended and was waited for: its CPU time is in the children's.
    sampled["client_cores"] = (children_cpu() - cpu_before) / (
        time.perf_counter() - started
    )
    if client.returncode or not record.exists():
        raise SystemExit(
            f"locust failed (exit {client.returncode}):\n"
            + (work / f"{name}.log").read_text()[-5000:]
        )
    return {**json.loads(record.read_text()), "sampled": sampled}


# The orchestration


def measure(args, work: Path) -> dict:
    check_portal_space(args, work)
    results = {"machine": machine(work), "load": []}
    venv = ensure_venv(LOAD_VENV, CONSTRAINTS, [f"locust=={LOCUST_VERSION}"])
    locust = venv / "locust"
    blobs = work / "blobs"
    blobs.mkdir()
    settings = {
        "PLEIADES_DSN": peers.keyword_dsn(args.database),
        "PLEIADES_BLOB_DIR": str(blobs),
    }
    instance = work / "instance"
    servers: list[ZopeProcess] = []
    log(f"creating the database {args.database}")
    peers.create_database(args.database, postgis=False)
    try:
        log("preparing the instance (production profile)")
        prepare_instance(instance, "production", settings)
        log(f"writing and archiving a {args.big_gib} GiB package")
        archive_big(work, instance, args.big_gib, "production", settings)
        log(f"filling the catalogue with {args.products} products")
        results["load"].append(os.getloadavg()[0])
        results["fill"] = filled = fill(instance, args.products)
        (big,) = filled["packages"]
        results["big"] = big
        plan = {
            "products": filled["sample"],
            "package": big["path"],
            "package_size": big["size"],
        }
        for number in (1, 2):
            log(f"starting Zope process {number}")
            server = ZopeProcess(instance, work / f"zope-{number}.log", settings)
            servers.append(server)
            seconds = server.start()
            log(f"  answering on port {server.port} after {seconds:.0f} s")
            results.setdefault("start_s", []).append(seconds)
        results["rss_started"] = [server.memory_mb() for server in servers]
        results["load"].append(os.getloadavg()[0])
        results.update(load_test(args, locust, work, servers, plan))
    finally:
        for server in servers:
            server.stop()
        peers.drop_database(args.database)
        log(f"database {args.database} dropped")
    results["load"].append(os.getloadavg()[0])
    return results


def load_test(args, locust: Path, work: Path, servers: list, plan: dict) -> dict:
    """Warm-up, the two baselines, then the load; what each measured.

    :param plan: what the users ask for (``products``, ``package``,
        ``package_size``), given to locust in a file.
    """
    hosts = [server.url for server in servers]
    plan_file = work / "plan.json"
    plan_file.write_text(json.dumps(plan))
    common = {
        "plan": plan_file,
        "auth": f"admin:{servers[0].password}",
        "servers": servers,
    }
    phases = [
        (
            "alone",
            f"baseline: one visitor alone for {args.baseline} s",
            hosts[:1],
            {"users": 1, "downloads": 0, "seconds": args.baseline, "think": (0, 0)},
        ),
        (
            "quiet",
            f"baseline: {args.users} visitors, no download, for {args.quiet} s",
            hosts,
            {"users": args.users, "downloads": 0, "seconds": args.quiet},
        ),
        (
            "loaded",
            f"load: {args.users} visitors and {args.downloads} downloads "
            f"for {args.seconds} s",
            hosts,
            {"users": args.users, "downloads": args.downloads, "seconds": args.seconds},
        ),
    ]
    results = {}
    log("warming both processes up")
    warm_up(servers, plan)
    for name, title, targets, options in phases:
        if not options["seconds"]:
            continue
        if name == "loaded":
            results["rss_before"] = [server.memory_mb() for server in servers]
        log(title)
        classes = ["Visitor", "Downloader"] if options["downloads"] else ["Visitor"]
        results[name] = run_locust(
            locust,
            work,
            name,
            targets,
            {"think": THINK, "classes": classes, **common, **options},
        )
        total = results[name]["total"]
        log(
            f"  {total['requests']} requests, {total['failures']} failed, "
            f"{total['per_second']:.1f}/s"
        )
    results["rss_end"] = [server.memory_mb() for server in servers]
    return results


# The report


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def duration(seconds: int) -> str:
    return f"{seconds / 60:g} minutes" if seconds % 60 == 0 else f"{seconds} s"


def page_row(name: str, loaded: dict) -> str:
    """A request type under load: throughput, percentiles, failures."""
    cells = [
        name,
        f"{loaded['requests']:,}",
        f"{loaded['per_second']:.1f}",
        ms(loaded["p50"]),
        ms(loaded["p95"]),
        ms(loaded["p99"]),
        ms(loaded["max"]),
        f"{loaded['failures']:,}",
    ]
    return "| " + " | ".join(cells) + " |"


def latencies(entry: dict | None) -> str:
    if not entry or not entry["requests"]:
        return "—"
    return f"{ms(entry['p50'])} / {ms(entry['p95'])} ({entry['requests']:,})"


def ratio(loaded: dict, baseline: dict | None) -> str:
    if not baseline or not baseline["requests"] or not baseline["p95"]:
        return "—"
    return f"{loaded['p95'] / baseline['p95']:.1f}"


def baseline_row(name: str, results: dict) -> str:
    """A visitor's request under load against the same alone and without downloads."""
    loaded = results["loaded"]["stats"][name]
    alone = results["alone"]["stats"].get(name)
    quiet = results["quiet"]["stats"].get(name) if "quiet" in results else None
    cells = [
        name,
        latencies(alone),
        latencies(quiet),
        latencies(loaded),
        ratio(loaded, alone),
        ratio(loaded, quiet),
    ]
    return "| " + " | ".join(cells) + " |"


def report(args, results: dict) -> str:
    loaded = results["loaded"]
    stats, total, sampled = loaded["stats"], loaded["total"], loaded["sampled"]
    big, fill_result = results["big"], results["fill"]
    gib = f"{big['size'] / GIB:.2f} GiB"
    phases = [results[name] for name in ("alone", "quiet", "loaded") if name in results]
    failed = sum(phase["total"]["failures"] for phase in phases)
    errors = sum(row["count"] for phase in phases for row in phase["exceptions"])
    lines = [
        "## Load test",
        "",
        f"Goal: {args.users} visitors browsing, searching and opening products, "
        f"and {args.downloads} concurrent downloads of a {gib} package, for "
        f"{duration(args.seconds)} against the portal on PostgreSQL served by two "
        f"Zope processes, with {args.products:,} products: no failed request; "
        "the throughput, the latencies and the processes' memory are reported.",
        "",
        f"Machine: {results['machine']}.",
        "",
        f"Result: {total['requests']:,} requests under load "
        f"({total['per_second']:.1f}/s), {total['failures']} failed; "
        f"{failed - total['failures']} failed in the baselines; {errors} errors "
        f"in the users' code: no failure: {verdict(failed == 0 and errors == 0)}.",
        "",
        "| request, under load | requests | throughput (req/s) | p50 (ms) "
        "| p95 (ms) | p99 (ms) | max (ms) | failures |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    visited = [name for name in PAGES if name in stats]
    for name in [*visited, DOWNLOAD_FIRST, DOWNLOAD_WHOLE]:
        if name in stats:
            lines.append(page_row(name, stats[name]))
    lines.append(page_row("all requests", total))
    problems = [
        f"- failed: {failure['occurrences']} × {failure['method']} "
        f"{failure['name']}: {failure['error']}"
        for phase in phases
        for failure in phase["failures"]
    ] + [
        f"- error: {error['count']} × {error['message']}"
        for phase in phases
        for error in phase["exceptions"]
    ]
    if problems:
        lines += ["", *problems]
    lines += [
        "",
        "Against baselines in the same run: p50 / p95 in ms (requests).",
        "",
        "| request | one visitor alone | the visitors, no download "
        "| the visitors and the downloads | p95 ratio to alone "
        "| p95 ratio to no download |",
        "|---|---:|---:|---:|---:|---:|",
        *(baseline_row(name, results) for name in visited),
    ]
    if args.downloads:
        lines += ["", *download_lines(args, loaded, gib)]
    lines += ["", *memory_lines(results, sampled)]
    lines += ["", method(args, results, gib, fill_result)]
    return "\n".join(lines) + "\n"


def download_lines(args, record: dict, gib: str) -> list[str]:
    """Throughput of each whole download, and of all of them together."""
    whole = [d["bytes"] / d["seconds"] / MB for d in record["downloads"]]
    received = record["received"]
    span = (received["last"] or 0) - (received["first"] or 0)
    rows = [
        "| downloads | throughput | count |",
        "|---|---|---:|",
    ]
    if whole:
        rows.append(
            f"| each whole download of the {gib} package "
            f"| {spread(whole, 'MB/s', 0)} | {len(whole)} |"
        )
    else:
        rows.append(f"| each whole download of the {gib} package | none ended | 0 |")
    if span > 0:
        rows.append(
            f"| all {args.downloads} downloaders together, every byte received "
            "(downloads cut by the end too), from the first request to the last "
            f"byte | {received['bytes'] / span / MB:,.0f} MB/s "
            f"({received['bytes'] / 1e9:.1f} GB in {span:.0f} s) | — |"
        )
    return rows


def memory_lines(results: dict, sampled: dict) -> list[str]:
    """Each Zope process's memory and CPU."""
    rows = [
        "| Zope process | RSS when started (MB) | before the load (MB) "
        "| peak during the load (MB) | at the end (MB) | CPU during the load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for index in range(len(results["rss_started"])):
        peak = sampled["hwm"][index]
        highest = max(sampled["rss"][index])
        peak_text = (
            f"{peak:.0f} (`VmHWM`; sampled RSS max {highest:.0f})"
            if peak is not None
            else f"{highest:.0f} (sampled RSS max)"
        )
        rows.append(
            f"| {index + 1} | {results['rss_started'][index]:.0f} "
            f"| {results['rss_before'][index]:.0f} | {peak_text} "
            f"| {results['rss_end'][index]:.0f} "
            f"| {sampled['cores'][index]:.2f} cores |"
        )
    client = sampled["client_cores"]
    rows.append(f"| (locust, the client) | — | — | — | — | {client:.2f} cores |")
    return rows


def method(args, results: dict, gib: str, fill_result: dict) -> str:
    starts = " and ".join(f"{s:.0f}" for s in results["start_s"])
    stopped = (
        f" The test stopped early, at its bound of {MAX_REQUESTS:,} requests."
        if results["loaded"]["stopped_early"]
        else ""
    )
    quiet = (
        f"the same {args.users} visitors without downloads for {args.quiet} s; "
        if "quiet" in results
        else ""
    )
    products = len(fill_result["sample"])
    return (
        "Method: a PostgreSQL 15 database created for the run (dropped after it) "
        "and an instance prepared on it with `pleiades-run --profile production "
        "--prepare-only --no-demo` (RelStorage on PostgreSQL, history-free, "
        "256 MB local cache; blobs in a shared blob directory in the work folder, "
        "on the same filesystem). The "
        f"{gib} package is a one-product delivery zip archived by "
        "`pleiades-ingest` (hard-linked into the blob directory); "
        f"{args.products:,} synthetic products over Europe were then created "
        f"and published by `bench/portal_fill.py` in {fill_result['seconds']:.0f} "
        "s. Two Zope processes then serve that instance: `pleiades-run` started "
        "twice, one after the other, on two free ports of 127.0.0.1 (answering "
        f"after {starts} s), waitress with 4 threads each. Each process is "
        f"warmed up with {WARMUP} requests of each kind (home, search page, "
        "product page, quicklook, STAC search). The client is locust "
        f"{LOCUST_VERSION} (`bench/locustfile.py`, in `.venv-load`), headless, "
        "one process on the same machine, run three times in a row: one "
        f"visitor alone, no think time, on process 1, for {args.baseline} s; "
        f"{quiet}the load, {args.users} visitors and {args.downloads} "
        f"downloaders, for {args.seconds} s. Users are started at {SPAWN_RATE} "
        "a second (within the run's time); each takes the next process in turn "
        "when it starts (round-robin per user, per kind). A visitor waits "
        f"{THINK[0]:.0f} to {THINK[1]:.0f} s (uniform) between requests, "
        "chosen at random with weights: home page 2, search page 6 (a box of "
        "1 to 10 degrees a side over Europe 80 % of the time, one to six years "
        "60 %, a cloud cover 50 %, one or two missions 30 %, a processing level "
        "20 %, the second page 10 %), product page 6 and its quicklook "
        f"(`@@images/quicklook`) 3 (both of {products} products spread over "
        "the catalogue), STAC search 2 (`@stac/search` with a box, years and a "
        "cql2-text cloud cover filter, 50 items), a missing page 1 (404 "
        "expected). A downloader, the Zope manager with basic auth, GETs "
        "`@@download/package` of the large product and reads the body whole, "
        "1 MiB at a time at full speed, yielding to the other users between "
        "reads, then starts again; a download cut by the end of the run is "
        "not counted as one, its bytes are. An answer is a failure unless its "
        "status is the expected one (200 without redirection; 404 for the "
        "missing page), it came within 60 s and shows what it should (the "
        "search page its count of results, a product page its id, a "
        "quicklook an image, the STAC search its features, a download all "
        "the package's bytes). Times are the client's, from the request to "
        "the last byte (for the download's first row: to the headers); the "
        "percentiles and throughputs are locust's (times rounded to 10 ms above "
        "100 ms and to 100 ms above 1 s; requests over the time from the start "
        "to the last request, ramp-up included). Memory: both processes' `VmRSS` "
        "sampled every second, and `VmHWM` reset (`/proc/<pid>/clear_refs`) "
        "when the load started and read at its end; CPU: user and system "
        "time over the load's duration, in cores (the machine has "
        f"{os.cpu_count()}, shared "
        "by the two Zope processes, PostgreSQL and the client). 1-minute load "
        f"average {min(results['load']):.1f} to {max(results['load']):.1f} "
        "when the fill started, the processes answered and the run ended."
        f"{stopped}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_portal_arguments(parser)
    parser.add_argument("--users", type=int, default=50, help="visitors")
    parser.add_argument(
        "--downloads", type=int, default=5, help="concurrent large downloads"
    )
    parser.add_argument("--seconds", type=int, default=120, help="duration of the load")
    parser.add_argument(
        "--baseline", type=int, default=30, help="seconds of the lone visitor"
    )
    parser.add_argument(
        "--quiet",
        type=int,
        default=60,
        help="seconds of the visitors without downloads (0: none)",
    )
    parser.add_argument("--database", default=DATABASE, help="the database to use")
    parser.add_argument(
        "--workdir", type=Path, help="a folder on the filesystem to measure"
    )
    parser.add_argument("--output", type=Path, help="a markdown file to add to")
    args = parser.parse_args(argv)
    if args.products < 50 or args.users < 1 or args.seconds < 10:
        parser.error("--products at least 50, --users 1, --seconds 10")
    if args.big_gib <= 0 or args.downloads < 0 or args.baseline < 5:
        parser.error("--big-gib positive, --downloads 0 or more, --baseline 5")
    if args.quiet and args.quiet < 10:
        parser.error("--quiet 0 or at least 10")
    return measure_and_report(args, "load", measure, report)


if __name__ == "__main__":
    sys.exit(main())
