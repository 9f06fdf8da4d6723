"""Benchmark the STAC API's search over HTTP against the same catalog query.

Prepares a portal instance (``pleiades-run --prepare-only --no-demo``: the
development profile, RelStorage on SQLite, history-free, blobs in the instance)
in a temporary folder, fills it with N published synthetic products over
Europe with ``bench/portal_fill.py`` (the fill is timed), starts it as a real
server (``pleiades-run`` on a free port of 127.0.0.1) and a worker process that
loads Zope on the same instance, then, for random boxes of 1 to 2 degrees a
side over Europe and one-year date ranges, in turn:

- ``GET @stac/search`` with ``bbox``, ``datetime``, ``filter=eo:cloud_cover <=
  20`` (cql2-text) and ``limit=100``, timed by the client until the whole body
  is read;
- ``POST @stac/search`` with the same as a JSON body (cql2-json filter);
- in the worker, as Anonymous (as the HTTP client is): the STAC search without
  HTTP (``StacAPI.search`` and the JSON encoding of its page), and the same
  query run directly on the catalog (``portal_catalog.searchResults`` with the
  footprint index, the date range and the cloud cover, newest first, 100
  results, their ids read from the brains).

Each query's items are checked against the catalog: every match of the query,
in the API's order (acquisition time, newest first, then id). A few queries of
other boxes warm the server and the worker up first.

Usage: ``.venv/bin/python bench/stac.py [--products 100000] [--queries 30]
[--keep DIR] [--cprofile] [--save FILE [--label TEXT]] [--before FILE]
[--output FILE]``. ``--keep DIR`` fills the instance in DIR and leaves it
there, or measures the instance an earlier ``--keep`` run left in DIR (with
that run's fill time). ``--save`` writes the measurements as JSON; ``--before``
shows such a saved run's medians beside this one's (a change's effect, on the
same instance). ``--cprofile`` profiles the in-process searches. Progress goes
to stderr, the markdown section to stdout; with ``--output`` it is added to
FILE (an older STAC search section there is replaced, the other sections are
kept).
"""

from common import environment
from common import fill
from common import log
from common import machine
from common import prepare_instance
from common import Server
from common import spread
from common import verdict
from common import write_section
from datetime import date
from datetime import timedelta
from pathlib import Path

import argparse
import cProfile
import json
import os
import pgstac
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time


SITE_ID = "Plone"
RESULT = "stac-bench-result: "  # marks the worker's answers among other output
SEED = 20261201
# Where portal_fill's products lie (random_spec's "europe") and when.
EUROPE = (-10.0, 36.0, 30.0, 70.0)
FIRST_DAY = date(2019, 1, 1)
LAST_DAY = date(2026, 10, 31)
SIDES = (1.0, 2.0)  # degrees
RESULTS = 100
MAX_CLOUD = 20
WARM_UP = 5  # queries of other boxes, before the timed ones
GOAL_MS = 100.0
STOP_TIMEOUT = 60
CQL2_JSON = {"op": "<=", "args": [{"property": "eo:cloud_cover"}, MAX_CLOUD]}


# The queries


def queries(count: int, rng: random.Random) -> list[dict]:
    """Random boxes over Europe with one-year ranges of whole days."""
    west, south, east, north = EUROPE
    days = (LAST_DAY - FIRST_DAY).days - 364
    result = []
    for _ in range(count):
        width, height = rng.uniform(*SIDES), rng.uniform(*SIDES)
        x, y = rng.uniform(west, east - width), rng.uniform(south, north - height)
        first = FIRST_DAY + timedelta(days=rng.randrange(days))
        last = first + timedelta(days=364)
        result.append(
            {
                "bbox": [round(v, 4) for v in (x, y, x + width, y + height)],
                # Whole days: the day-resolution date index and the API agree.
                "datetime": f"{first}T00:00:00Z/{last}T23:59:59.999999Z",
            }
        )
    return result


def query_sets(count: int) -> tuple[list[dict], list[dict]]:
    """The warm-up queries and the timed ones, the same in every run."""
    rng = random.Random(SEED)
    return queries(WARM_UP, rng), queries(count, rng)


def get_params(query: dict) -> dict:
    return {
        "bbox": ",".join(str(v) for v in query["bbox"]),
        "datetime": query["datetime"],
        "filter": f"eo:cloud_cover <= {MAX_CLOUD}",
        "filter-lang": "cql2-text",
        "limit": str(RESULTS),
    }


def post_body(query: dict) -> dict:
    return {
        "bbox": query["bbox"],
        "datetime": query["datetime"],
        "filter": CQL2_JSON,
        "filter-lang": "cql2-json",
        "limit": RESULTS,
    }


# The worker: a process that loads Zope once and runs the queries without HTTP


class Worker:
    """The queries in this process, on the site, as Anonymous."""

    def __init__(self, site, profiler: cProfile.Profile | None):
        from belspo.pleiades.stac.views import StacAPI

        self.catalog = site.portal_catalog
        self.view = StacAPI(site, site.REQUEST)
        self.profiler = profiler

    def catalog_query(self, query: dict) -> dict:
        """The catalog query the STAC search amounts to."""
        from belspo.pleiades.stac.search import parse_interval
        from DateTime import DateTime

        start, end = parse_interval(query["datetime"])
        return {
            "portal_type": "Product",
            "footprint": tuple(query["bbox"]),
            "acquisition_date": {
                "query": (DateTime(start), DateTime(end)),
                "range": "min:max",
            },
            "cloud_cover": {"query": MAX_CLOUD, "range": "max"},
        }

    def direct(self, query: dict) -> list[str]:
        """The timed catalog query: 100 results, newest first."""
        brains = self.catalog.searchResults(
            self.catalog_query(query),
            sort_on="acquisition_date",
            sort_order="descending",
            sort_limit=RESULTS,
        )[:RESULTS]
        return [brain.getId for brain in brains]

    def stac(self, query: dict) -> list[str]:
        """The STAC search as the view runs it for a GET, its page as JSON."""
        body = self.view.search(get_params(query), post=False)
        json.dumps(body, ensure_ascii=False).encode("utf-8")
        return [feature["id"] for feature in body["features"]]

    def expected(self, query: dict) -> tuple[list[str], list[tuple[int, str]]]:
        """Every match, in the API's order: (the first 100 ids, all (day, id))."""
        from belspo.pleiades.stac.records import EPOCH
        from belspo.pleiades.stac.search import DAY
        from belspo.pleiades.stac.search import parse_interval

        start, end = parse_interval(query["datetime"])
        low, high = ((m - EPOCH) // timedelta(microseconds=1) for m in (start, end))
        matches = []  # (acquisition time in µs, id)
        for brain in self.catalog.searchResults(self.catalog_query(query)):
            micros = brain.acquisition_date.micros()
            if low <= micros <= high:
                matches.append((micros, brain.getId))
        matches.sort(key=lambda match: (-match[0], match[1]))
        days = [(micros // DAY, item) for micros, item in matches]
        return [item for _, item in matches[:RESULTS]], days

    def timed(self, search, query: dict) -> tuple[float, list[str]]:
        """A search's time in ms (profiled, for the STAC one), and its ids."""
        profiling = self.profiler is not None and search == self.stac
        if profiling:
            self.profiler.enable()
        started = time.perf_counter()
        ids = search(query)
        elapsed = (time.perf_counter() - started) * 1000
        if profiling:
            self.profiler.disable()
        return elapsed, ids

    def answer(self, query: dict) -> dict:
        """Both searches, in the order asked; the matches they should find."""
        searches = (self.direct, self.stac)
        if query["stac_first"]:
            searches = searches[::-1]
        answer = {}
        for search in searches:
            elapsed, ids = self.timed(search, query)
            answer[f"{search.__name__}_ms"], answer[search.__name__] = elapsed, ids
        answer["expected"], answer["days"] = self.expected(query)
        return answer


def worker(argv: list[str]) -> int:
    """Load Zope, open the site; answer each query read from stdin on stdout."""
    parser = argparse.ArgumentParser(prog="bench/stac.py --worker")
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    from AccessControl.SecurityManagement import noSecurityManager
    from belspo.pleiades.cli.run import ADMIN_NAME
    from belspo.pleiades.cli.run import admin_password
    from belspo.pleiades.cli.run import load_zope

    load_zope(args.instance / "etc" / "zope.ini")
    from belspo.pleiades.cli.site import open_portal

    import transaction
    import Zope2

    profiler = cProfile.Profile() if args.cprofile else None
    try:
        with open_portal(SITE_ID, ADMIN_NAME, admin_password(args.instance)) as site:
            noSecurityManager()  # Anonymous, as the HTTP client
            runner = Worker(site, profiler)
            print(RESULT + "{}", flush=True)  # ready
            for line in sys.stdin:
                answer = runner.answer(json.loads(line))
                transaction.abort()
                print(RESULT + json.dumps(answer), flush=True)
    finally:
        Zope2.DB.close()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(50)
        stats.sort_stats("tottime").print_stats(25)
    return 0


class WorkerProcess:
    """The worker, started once, asked one query at a time."""

    def __init__(self, instance: Path, profile: bool):
        command = [sys.executable, __file__, "--worker", "--instance", str(instance)]
        command += ["--cprofile"] if profile else []
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        self.read()

    def read(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(RESULT):
                return json.loads(line[len(RESULT) :])
        raise SystemExit(f"the worker stopped (exit {self.process.wait()})")

    def ask(self, query: dict) -> dict:
        self.process.stdin.write(json.dumps(query) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(STOP_TIMEOUT)


# The server


# The orchestration


def disk_usage(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def filled_instance(args, work: Path) -> tuple[Path, dict]:
    """A filled instance: made and filled in work, or the one kept there."""
    instance, record = work / "instance", work / "fill.json"
    if record.exists():
        found = json.loads(record.read_text())
        if found["products"] != args.products:
            raise SystemExit(
                f"{work} holds {found['products']} products, not {args.products}"
            )
        log(f"measuring the instance kept in {work}")
        return instance, found
    log("preparing the instance")
    prepare_instance(instance)
    log(f"filling it with {args.products} products")
    answer = fill(instance, args.products)
    found = {
        "products": answer["created"],
        "seconds": answer["seconds"],
        "wall": answer["wall_s"],
    }
    found["load"] = os.getloadavg()[2]
    found["bytes"] = disk_usage(instance / "var")
    record.write_text(json.dumps(found))
    log(f"  filled in {found['seconds']:.0f} s ({found['wall']:.0f} s wall)")
    return instance, found


def http_query(session, url: str, query: dict, post: bool) -> tuple[float, list]:
    """One search over HTTP: the time until its body is read, the item ids."""
    if post:
        answer = pgstac.search(session, url, None, post_body(query))
    else:
        answer = pgstac.search(session, url, get_params(query), None)
    return answer["ms"], answer["ids"]


def same_days(direct: list[str], days: list[tuple[int, str]]) -> bool:
    """The catalog's 100 are the first 100 matches, up to order within a day."""
    if len(days) <= RESULTS:
        return sorted(direct) == sorted(item for _, item in days)
    day_of = {item: day for day, item in days}
    wanted = [day for day, _ in days[:RESULTS]]
    return sorted(day_of.get(item, -1) for item in direct) == sorted(wanted)


def run_queries(instance: Path, work: Path, args) -> list[dict]:
    import requests

    warm_up, timed = query_sets(args.queries)
    log("starting the server and the worker")
    server = Server(instance, work / "server.log")
    runner = None
    try:
        log(f"  serving in {server.start():.0f} s")
        runner = WorkerProcess(instance, args.cprofile)
        url = f"{server.url}/@stac/search"
        runs = []
        with requests.Session() as session:
            for number, query in enumerate(warm_up + timed):
                load = os.getloadavg()[0]
                # Each search is the first of its box in its process every
                # other query: the first one also loads what the box needs.
                swap = number % 2 == 1
                if swap:
                    post_ms, post_ids = http_query(session, url, query, post=True)
                get_ms, get_ids = http_query(session, url, query, post=False)
                if not swap:
                    post_ms, post_ids = http_query(session, url, query, post=True)
                answer = runner.ask({**query, "stac_first": swap})
                if number < WARM_UP:
                    continue
                run = {
                    **answer,
                    "query": query,
                    "get_ms": get_ms,
                    "get": get_ids,
                    "post_ms": post_ms,
                    "post": post_ids,
                    "load": load,
                }
                run["correct"] = {
                    "get": get_ids == answer["expected"],
                    "post": post_ids == answer["expected"],
                    "stac": answer["stac"] == answer["expected"],
                    "direct": same_days(answer["direct"], answer["days"]),
                }
                del run["days"]
                runs.append(run)
                log(
                    f"  {len(runs)} / {len(timed)}: GET {get_ms:.1f} ms, "
                    f"POST {post_ms:.1f} ms, in process {answer['stac_ms']:.1f} ms, "
                    f"catalog {answer['direct_ms']:.1f} ms; {len(get_ids)} items"
                    + ("" if all(run["correct"].values()) else f" {run['correct']}")
                )
        items = work / "items.jsonl"
        if args.peer and not items.exists():
            log("exporting the portal's items for pgstac")
            partial = work / "items.jsonl.part"
            pgstac.export_items(f"{server.url}/@stac", partial)
            partial.rename(items)
    finally:
        if runner:
            runner.close()
        server.stop()
    return runs


def measure(args, work: Path) -> dict:
    instance, filled = filled_instance(args, work)
    runs = run_queries(instance, work, args)
    results = {
        "machine": machine(work),
        "fill": filled,
        "runs": runs,
        "load": [run["load"] for run in runs],
    }
    if args.peer:
        results["peer"] = measure_peer(args, work, runs)
    return results


def measure_peer(args, work: Path, runs: list[dict]) -> dict:
    """The same queries, warm-up included, to stac-fastapi-pgstac serving the
    portal's items; each answer checked against the catalog's."""
    warm_up, timed = query_sets(args.queries)
    about = {}
    answers = pgstac.measure_pgstac(
        work / "items.jsonl",
        timed,
        get_params,
        post_body,
        warm_up=warm_up,
        about=about,
    )
    for answer, run in zip(answers, runs, strict=True):
        answer["direct_ms"] = run["direct_ms"]
        answer["portal"] = {"get": run["get_ms"], "post": run["post_ms"]}
        answer["correct"] = {
            key: answer[key] == run["expected"] for key in ("get", "post")
        }
    return {"runs": answers, "about": about}


# The report


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


# (key, label): the rows of the table.
ROWS = (
    ("get", "GET `@stac/search?bbox&datetime&filter&limit=100` (cql2-text), HTTP"),
    ("post", "POST `@stac/search`, the same as a JSON body (cql2-json), HTTP"),
    ("stac", "the GET's STAC search in process, no HTTP (`StacAPI.search`, JSON)"),
    (
        "direct",
        "the catalog query in process: `portal_catalog.searchResults`, footprint, "
        "date range, cloud cover, newest first, 100 results",
    ),
)


def median_ms(runs: list[dict], key: str) -> float:
    return statistics.median(r[f"{key}_ms"] for r in runs)


def row(label: str, runs: list[dict], key: str, before: list[dict] | None) -> str:
    times = [r[f"{key}_ms"] for r in runs]
    ratios = [r[f"{key}_ms"] / r["direct_ms"] for r in runs]
    items = [len(r[key]) for r in runs]
    correct = sum(r["correct"][key] for r in runs)
    ratio = "1" if key == "direct" else spread(ratios, "", 1)
    cells = [
        label,
        spread(times, "ms"),
        f"{p95(times):.1f} ms",
        ratio,
        f"{statistics.median(items):.0f} ({min(items)}–{max(items)})",
        f"{correct} / {len(runs)}",
    ]
    if before is not None:
        cells.append(f"{median_ms(before, key):.1f} ms, p95 {p95_of(before, key):.1f}")
    return "| " + " | ".join(cells) + " |"


def p95_of(runs: list[dict], key: str) -> float:
    return p95([r[f"{key}_ms"] for r in runs])


PEER_ROWS = (
    ("get", "stac-fastapi-pgstac: GET `/search`, the same query, HTTP"),
    ("post", "stac-fastapi-pgstac: POST `/search`, the same query, HTTP"),
)


def peer_lines(peer: dict) -> tuple[list[str], list[str], str]:
    """The peer's rows, its goal lines and its method."""
    runs, about = peer["runs"], peer["about"]
    rows = [row(label, runs, key, None) for key, label in PEER_ROWS]
    goals = []
    for key in ("get", "post"):
        ratios = [r["portal"][key] / r[f"{key}_ms"] for r in runs]
        portal = statistics.median(r["portal"][key] for r in runs)
        goals.append(
            f"Goal: at least as fast as stac-fastapi-pgstac, {key.upper()}: "
            f"{verdict(statistics.median(ratios) <= 1)} (portal {portal:.1f} ms, "
            f"pgstac {median_ms(runs, key):.1f} ms; the portal's time over "
            f"pgstac's, per query: {spread(ratios, '', 2)})."
        )
    load = about["load"]
    encodings = sorted({r["encoding"] for r in runs})
    method = (
        f" The peer: {about['versions']} ({about['settings']}), installed by the "
        "benchmark in `.venv-peers` (`bench/peers-constraints.txt`) and run with "
        "uvicorn on 127.0.0.1 against a new database on the same PostgreSQL "
        "(`bench/pgstac.py`); the portal's items, exported from its `@stac/search` "
        f"as JSON lines, were loaded with `pypgstac load` ({load['items']:,} items "
        f"in {load['collections']} collections, {load['seconds']:.0f} s), with "
        "`eo:cloud_cover` a queryable with an index, then ANALYZE. The same "
        "queries, warm-up included, with the same client, after the portal's; "
        "the portal's order asked for (`sortby` datetime descending, then id); "
        f"its bodies came {', '.join(encodings)} (it compresses, the portal does "
        "not). Its GET validates the CQL2 text of every request with `cql2` "
        "(stac-fastapi-pgstac's own code), its POST does not."
    )
    return rows, goals, method


def report(args, results: dict, before: dict | None) -> str:
    runs, filled = results["runs"], results["fill"]
    medians = [median_ms(runs, key) for key in ("get", "post")]
    ok = max(medians) < GOAL_MS
    peer_rows, peer_goals, peer_method = [], [], ""
    if "peer" in results:
        peer_rows, peer_goals, peer_method = peer_lines(results["peer"])
    matches = [len(r["expected"]) for r in runs]
    fill_rate = filled["products"] / filled["seconds"]
    header = (
        f"| request ({len(runs)} queries) | time | p95 | over the catalog query "
        "| items returned: median (range) | items as the catalog's |"
    )
    rule = "|---|---|---|---|---|---|"
    if before is not None:
        header += f" before: {before['label']} (median) |"
        rule += "---|"
    lines = [
        "## STAC search",
        "",
        "Goal: `@stac/search` with a bbox, a datetime range and a cloud cover "
        f"filter, limit {RESULTS}, over {args.products:,} products answers in a "
        f"median under {GOAL_MS:.0f} ms over HTTP, beside the same query run "
        "directly on the catalog.",
        "",
        f"Machine: {results['machine']}.",
        "",
        header,
        rule,
        *(row(label, runs, key, before and before["runs"]) for key, label in ROWS),
        *peer_rows,
        "",
        f"Goal: median under {GOAL_MS:.0f} ms for GET and POST: {verdict(ok)} "
        f"(GET {medians[0]:.1f} ms, POST {medians[1]:.1f} ms).",
        *(line for goal in peer_goals for line in ("", goal)),
        "",
        f"Method: an instance prepared with `pleiades-run --prepare-only "
        "--no-demo` (development profile: RelStorage on SQLite, history-free, "
        "blobs in the instance) in a temporary folder, filled by "
        f"`bench/portal_fill.py` with {filled['products']:,} published synthetic "
        "products over Europe (lon −10 to 30, lat 36 to 70, acquired 2019 to "
        "2026, footprints of about 20 × 20 km), each created as the ingest "
        "creates one, with every metadata field, a package zip of its DIMAP "
        "document, a quicklook and a thumbnail, in transactions of "
        f"1000: {filled['seconds'] / 60:.0f} min ({fill_rate:.0f} products/s; "
        f"{filled['wall'] / 60:.0f} min with Zope's start; "
        f"{filled['bytes'] / 1e9:.1f} GB in `var/`; load average "
        f"{filled['load']:.1f} over its last 15 minutes). The portal then runs "
        "as a real server (`pleiades-run`, waitress, on a free port of "
        "127.0.0.1), and a worker process loads Zope on the same instance. "
        f"Queries: boxes of {SIDES[0]:.0f} to {SIDES[1]:.0f} degrees a side at "
        "random over the same area and one-year ranges of whole days (UTC) at "
        f"random; {WARM_UP} queries of other boxes first, not counted. For each "
        "query in turn: GET and POST (one `requests` session, keep-alive; "
        "timed until the whole body is read, JSON decoding excluded), then in "
        "the worker, as Anonymous like the HTTP client, the catalog query "
        "(`searchResults` with `sort_limit` 100, the ids read from the brains) "
        "and the STAC view's search with the GET's parameters (the search, its "
        "items and their JSON); which of the two goes first alternates from "
        "one query to the next, on both sides, as the first of a box in a "
        "process also loads what the box needs. The filter is the same in every "
        "query, as a client sends it while it pages or moves the map. The "
        "ratio is the median of each query's ratio to its catalog query. Items "
        "as the catalog's: the items returned are every match of the query "
        "found by a catalog query without a limit, checked on the exact "
        "acquisition time and sorted as the API sorts (newest first, then by "
        "id); for the 100-result catalog query, the same products (by day "
        "where it cuts a day in two). A query matched "
        f"{statistics.median(matches):.0f} products in the median "
        f"({min(matches)}–{max(matches)}). Load average (1 minute) while the "
        f"queries ran: {spread(results['load'], '', 1)}, on "
        f"{os.cpu_count()} cores shared with other work." + peer_method,
    ]
    if before is not None:
        lines[-1] += (
            f" Before: the medians of an earlier run on the same instance "
            f"(`--save`, then `--before`), {before['label']}."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=30, help="timed queries")
    parser.add_argument(
        "--keep",
        type=Path,
        help="fill the instance in this folder and keep it, or measure the one "
        "an earlier run kept there",
    )
    parser.add_argument(
        "--cprofile",
        action="store_true",
        help="profile the in-process STAC searches, to stderr",
    )
    parser.add_argument(
        "--save", type=Path, help="write this run's measurements to a JSON file"
    )
    parser.add_argument(
        "--label", help="what the saved run measured (default: its date)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a run saved with --save (before a change), shown beside this one",
    )
    parser.add_argument(
        "--no-peer",
        dest="peer",
        action="store_false",
        help="do not measure stac-fastapi-pgstac beside the portal",
    )
    parser.add_argument("--output", type=Path, help="a markdown file to add to")
    args = parser.parse_args(argv)
    if args.products < 1 or args.queries < 2:
        parser.error("--products must be positive and --queries at least 2")
    started = time.perf_counter()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = measure(args, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="stac-bench-") as work:
            results = measure(args, Path(work))
    if args.save:
        results["label"] = args.label or time.strftime("%Y-%m-%d %H:%M")
        args.save.write_text(json.dumps(results))
    before = json.loads(args.before.read_text()) if args.before else None
    text = report(args, results, before)
    print(text)
    log(f"benchmark done in {time.perf_counter() - started:.0f} s")
    if args.output:
        write_section(args.output, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
