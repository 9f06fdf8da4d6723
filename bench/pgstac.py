"""Measure stac-fastapi-pgstac's search, the peer of the portal's ``@stac/search``.

The same STAC items, the same queries, the same HTTP client as ``bench/stac.py``,
against stac-fastapi-pgstac on the local PostgreSQL:

- Install (once; ``ensure_venv``): a virtualenv ``.venv-peers`` at the
  repository's root (``python3.11 -m venv``) with stac-fastapi-pgstac 7.2.0 and
  its ``server`` extra (uvicorn[standard], its recommended server) and pypgstac
  0.10.0 with its ``psycopg`` extra, every package pinned by
  ``bench/peers-constraints.txt``. A stamp in the virtualenv (the constraints'
  SHA-256) skips pip when nothing changed. PostGIS: ``peers.ensure_postgis``
  (Debian's ``postgresql-<major>-postgis-3``, installed with apt-get when the
  server has none).
- Database: ``pleiades_bench_pgstac``, created empty on 127.0.0.1:5432 (as
  ``postgres``; see ``bench/peers.py``), ``pypgstac migrate`` (pgstac 0.10.0);
  one collection per ``collection`` of the items (an id, a description, the
  items' extent), loaded with ``pypgstac load collections``, then the items with
  ``pypgstac load items`` (COPY in chunks of 10 000); ``eo:cloud_cover``
  registered as a number queryable with a B-tree index (``pypgstac
  load_queryables --index_fields``), as pgstac advises for a property that is
  filtered on, and as the portal's catalog indexes it; ``ANALYZE``.
- Server: ``uvicorn stac_fastapi.pgstac.app:create_app --factory`` on a free
  port of 127.0.0.1, one process, every extension enabled (the default), the
  database given as ``PGHOST``/``PGPORT``/``PGUSER``/``PGPASSWORD``/
  ``PGDATABASE`` (the 7.x settings), started from an empty folder (its settings
  also read a ``.env``); ready when ``/_mgmt/ping`` answers.
- Queries: each query's GET ``/search`` (``get_params``) and POST ``/search``
  (``post_body``), in turn (which goes first alternates, as in bench/stac.py),
  with one ``requests`` session, timed until the whole body is read. The
  portal's order is asked for explicitly (``sortby`` datetime descending, then
  id ascending): pgstac's default breaks ties on datetime by collection and id,
  descending. The client's headers are requests' defaults, as bench/stac.py's
  (``Accept-Encoding: gzip, deflate``): stac-fastapi-pgstac gzips bodies of
  more than 400 bytes, the portal does not compress (``identity`` asks for
  uncompressed bodies).
- End: the server stopped, the database dropped (pgstac's cluster-wide roles
  ``pgstac_admin``, ``pgstac_read``, ``pgstac_ingest`` stay, as migrate expects
  to find them).

``measure_pgstac`` does all of it for bench/stac.py. ``export_items`` writes a
portal's items (``@stac/search``, page after page) as JSON lines.

Usage: ``.venv/bin/python bench/pgstac.py ITEMS.jsonl [--queries 30]
[--portal URL] [--identity] [--no-cloud-queryable] [--partition year]``, or
``.venv/bin/python bench/pgstac.py ITEMS.jsonl --export URL`` first to write
ITEMS.jsonl from a portal's ``@stac`` (URL is that ``@stac``). ``--portal URL``
also sends each query to that ``@stac`` and compares the item ids. The queries
are bench/stac.py's (same seed). Progress goes to stderr, a markdown summary
to stdout.
"""

from collections.abc import Callable
from collections.abc import Sequence
from common import ensure_venv
from common import free_port
from common import log
from common import REPOSITORY
from common import wait_until_serving
from datetime import datetime
from pathlib import Path

import argparse
import json
import os
import peers
import random
import statistics
import subprocess
import sys
import tempfile
import time


VENV = REPOSITORY / ".venv-peers"
CONSTRAINTS = Path(__file__).resolve().parent / "peers-constraints.txt"
REQUIREMENTS = ["stac-fastapi-pgstac[server]", "pypgstac[psycopg]"]
DATABASE = "pleiades_bench_pgstac"
START_TIMEOUT = 120
STOP_TIMEOUT = 30
EXPORT_PAGE = 1000
# The portal's order: newest first, then by id.
SORTBY_GET = "-datetime,+id"
SORTBY_POST = [
    {"field": "datetime", "direction": "desc"},
    {"field": "id", "direction": "asc"},
]
CLOUD_QUERYABLE = {
    "$schema": "https://json-schema.org/draft/2019-09/schema",
    "type": "object",
    "properties": {
        "eo:cloud_cover": {
            "title": "Cloud cover",
            "type": "number",
            "minimum": 0,
            "maximum": 100,
        }
    },
}


# Install


def installed_versions() -> str:
    """The peer's packages and their versions, as the Method paragraph quotes them."""
    names = ("stac-fastapi-pgstac", "pypgstac", "uvicorn", "asyncpg")
    script = (
        "import importlib.metadata as m, sys; "
        "print(', '.join(f'{n} {m.version(n)}' for n in sys.argv[1:]))"
    )
    result = subprocess.run(
        [VENV / "bin" / "python", "-c", script, *names],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


# The database


def pypgstac(*arguments: str) -> None:
    """Run the pypgstac command line of the peers' virtualenv on the database."""
    command = [VENV / "bin" / "pypgstac", *arguments, "--dsn", peers.dsn(DATABASE)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=VENV)
    if result.returncode:
        raise SystemExit(
            f"pypgstac {arguments[0]} failed:\n{result.stdout}{result.stderr}"
        )


def collections_of(items_path: Path) -> list[dict]:
    """A collection for each ``collection`` the items name, with their extent."""
    boxes: dict[str, list[float]] = {}
    times: dict[str, list[datetime]] = {}
    with open(items_path) as lines:
        for line in filter(str.strip, lines):
            item = json.loads(line)
            name, (west, south, east, north) = item["collection"], item["bbox"][:4]
            box = boxes.setdefault(name, [west, south, east, north])
            box[:] = [
                min(box[0], west),
                min(box[1], south),
                max(box[2], east),
                max(box[3], north),
            ]
            moment = datetime.fromisoformat(item["properties"]["datetime"])
            first, last = times.setdefault(name, [moment, moment])
            times[name] = [min(first, moment), max(last, moment)]
    return [
        {
            "type": "Collection",
            "stac_version": "1.1.0",
            "id": name,
            "description": f"The portal's {name} products",
            "license": "other",
            "extent": {
                "spatial": {"bbox": [boxes[name]]},
                "temporal": {
                    "interval": [[moment.isoformat() for moment in times[name]]]
                },
            },
            "links": [],
        }
        for name in sorted(boxes)
    ]


def load(
    items_path: Path, work: Path, cloud_queryable: bool, partition: str | None
) -> dict:
    """pgstac's schema, the collections and the items: how many, how long."""
    started = time.perf_counter()
    pypgstac("migrate")
    collections = collections_of(items_path)
    collections_path = work / "collections.jsonl"
    collections_path.write_text("".join(json.dumps(c) + "\n" for c in collections))
    pypgstac("load", "collections", str(collections_path), "--method", "insert")
    if partition:
        with peers.cursor(DATABASE) as sql:
            # Before the items: their partitions are made as they come.
            sql.execute(
                "UPDATE pgstac.collections SET partition_trunc = %s", [partition]
            )
    migrated = time.perf_counter()
    pypgstac("load", "items", str(items_path), "--method", "insert")
    loaded = time.perf_counter()
    if cloud_queryable:
        queryables_path = work / "queryables.json"
        queryables_path.write_text(json.dumps(CLOUD_QUERYABLE))
        pypgstac(
            "load_queryables",
            str(queryables_path),
            "--index_fields",
            '["eo:cloud_cover"]',
        )
    with peers.cursor(DATABASE) as sql:
        sql.execute("ANALYZE")
        sql.execute("SELECT count(*) FROM pgstac.items")
        count = sql.fetchone()[0]
        sql.execute("SELECT pgstac.get_version()")
        version = sql.fetchone()[0]
        sql.execute("SELECT count(*) FROM pgstac.partitions")
        partitions = sql.fetchone()[0]
    return {
        "items": count,
        "collections": len(collections),
        "items_s": loaded - migrated,
        "seconds": time.perf_counter() - started,
        "pgstac": version,
        "partitions": partitions,
    }


# The server


class Server:
    """stac-fastapi-pgstac under uvicorn on a free port of 127.0.0.1."""

    def __init__(self, work: Path):

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "uvicorn.log"
        self.log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        home = work / "server"
        home.mkdir(exist_ok=True)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "PGHOST": peers.HOST,
            "PGPORT": str(peers.PORT),
            "PGUSER": peers.USER,
            # Required by the settings; the local server trusts its clients.
            "PGPASSWORD": os.environ.get("PGPASSWORD", "unused"),
            "PGDATABASE": DATABASE,
        }
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                VENV / "bin" / "uvicorn",
                "stac_fastapi.pgstac.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=home,
        )
        try:
            wait_until_serving(
                f"{self.url}/_mgmt/ping",
                self.process,
                f"uvicorn (see {self.log_path})",
                timeout=START_TIMEOUT,
            )
        except SystemExit:
            self.stop()
            raise
        log(f"  serving in {time.perf_counter() - started:.1f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# The queries


def search(session, url: str, get: dict | None, post: dict | None) -> dict:
    """One search: the time until its body is read, the ids, how it came."""
    started = time.perf_counter()
    if post is not None:
        response = session.post(url, json=post, timeout=120)
    else:
        response = session.get(url, params=get, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code} from {response.url}: {response.text}")
    return {
        "ms": elapsed,
        "ids": [feature["id"] for feature in response.json()["features"]],
        "encoding": response.headers.get("Content-Encoding", "identity"),
    }


def with_sort(get_params: Callable, post_body: Callable) -> tuple[Callable, Callable]:
    """The query builders, with the portal's order asked for explicitly."""

    def get(query: dict) -> dict:
        return {**get_params(query), "sortby": SORTBY_GET}

    def post(query: dict) -> dict:
        return {**post_body(query), "sortby": SORTBY_POST}

    return get, post


def run_queries(
    session, url: str, queries: list[dict], get_params, post_body, warm_up: int
) -> list[dict]:
    """GET and POST of each query, alternating which goes first."""
    runs = []
    for number, query in enumerate(queries):
        first_post = number % 2 == 1
        answers = {}
        for post in (first_post, not first_post):
            name = "post" if post else "get"
            answers[name] = search(
                session,
                url,
                None if post else get_params(query),
                post_body(query) if post else None,
            )
        if number < warm_up:
            continue
        runs.append(
            {
                "query": query,
                **{f"{name}_ms": a["ms"] for name, a in answers.items()},
                **{name: a["ids"] for name, a in answers.items()},
                "encoding": answers["get"]["encoding"],
            }
        )
        log(
            f"  {len(runs)} / {len(queries) - warm_up}: GET "
            f"{answers['get']['ms']:.1f} ms, POST {answers['post']['ms']:.1f} ms; "
            f"{len(answers['get']['ids'])} items"
        )
    return runs


def measure_pgstac(
    items_path: Path,
    queries: list[dict],
    get_params: Callable[[dict], dict],
    post_body: Callable[[dict], dict],
    *,
    warm_up: Sequence[dict] = (),
    same_sort: bool = True,
    identity: bool = False,
    cloud_queryable: bool = True,
    partition: str | None = None,
    about: dict | None = None,
) -> list[dict]:
    """stac-fastapi-pgstac's answers to the queries, over the items of the file.

    Installs the peer if needed, loads the items into a new database, serves
    them, runs the warm-up queries (not returned) and the queries, stops the
    server and drops the database.

    :param items_path: STAC items as JSON lines, each with its ``collection``.
    :param queries: bench/stac.py's query dicts, given to the two builders.
    :param get_params: a query's GET parameters (bench/stac.py's ``get_params``).
    :param post_body: a query's POST body (bench/stac.py's ``post_body``).
    :param warm_up: queries sent first, not timed.
    :param same_sort: ask for the portal's order (datetime desc, then id asc).
    :param identity: send ``Accept-Encoding: identity`` (no compression).
    :param cloud_queryable: register ``eo:cloud_cover`` with an index.
    :param partition: pgstac's ``partition_trunc`` (``year``, ``month``) or None.
    :param about: filled with the load's figures and the versions, if given.
    :returns: per query: ``query``, ``get_ms``, ``get`` (ids), ``post_ms``,
        ``post`` (ids) and the ``encoding`` of the GET's body.
    """
    import requests

    if same_sort:
        get_params, post_body = with_sort(get_params, post_body)
    ensure_venv(VENV, CONSTRAINTS, REQUIREMENTS)
    queries = [*warm_up, *queries]
    with tempfile.TemporaryDirectory(prefix="pgstac-bench-") as folder:
        work = Path(folder)
        with peers.scratch_database(DATABASE):
            log(f"loading {items_path} into pgstac")
            loaded = load(items_path, work, cloud_queryable, partition)
            log(
                f"  {loaded['items']} items in {loaded['seconds']:.1f} s "
                f"(items {loaded['items_s']:.1f} s)"
            )
            if about is not None:
                about.update(
                    load=loaded,
                    versions=f"{installed_versions()}, pgstac {loaded['pgstac']}, "
                    f"{peers.versions(DATABASE)}",
                    settings=peers.settings(),
                    same_sort=same_sort,
                    cloud_queryable=cloud_queryable,
                    partition=partition,
                )
            log("starting stac-fastapi-pgstac")
            server = Server(work)
            try:
                with requests.Session() as session:
                    if identity:
                        session.headers["Accept-Encoding"] = "identity"
                    return run_queries(
                        session,
                        f"{server.url}/search",
                        queries,
                        get_params,
                        post_body,
                        len(warm_up),
                    )
            finally:
                server.stop()


# A portal's items


def export_items(stac_url: str, path: Path) -> int:
    """Write every item of a portal's ``@stac`` as JSON lines: how many.

    :param stac_url: the API's root, ``http://host:port/Plone/@stac``.
    """
    import requests

    count = 0
    url, params = f"{stac_url}/search", {"limit": str(EXPORT_PAGE)}
    with requests.Session() as session, open(path, "w") as out:
        while url:
            response = session.get(url, params=params, timeout=600)
            response.raise_for_status()
            page = response.json()
            for feature in page["features"]:
                out.write(json.dumps(feature, ensure_ascii=False) + "\n")
            count += len(page["features"])
            links = [link for link in page.get("links", []) if link["rel"] == "next"]
            url, params = (links[0]["href"], None) if links else (None, None)
            log(f"  exported {count} items")
    return count


def portal_answers(
    stac_url: str, queries: list[dict], get_params, warm_up: list[dict]
) -> list[dict]:
    """The portal's answers to each query's GET (after the warm-up queries)."""
    import requests

    with requests.Session() as session:
        answers = [
            search(session, f"{stac_url}/search", get_params(query), None)
            for query in [*warm_up, *queries]
        ]
    return answers[len(warm_up) :]


# Standalone


def report(runs: list[dict], about: dict, portal: list[dict] | None) -> str:
    load = about["load"]
    lines = [
        "## STAC search: stac-fastapi-pgstac",
        "",
        "| request | time (ms) | items returned: median (range) |",
        "|---|---|---|",
    ]
    for key, label in (("get", "GET /search"), ("post", "POST /search")):
        times = [r[f"{key}_ms"] for r in runs]
        items = [len(r[key]) for r in runs]
        lines.append(
            f"| {label} | {statistics.median(times):.1f} (median of {len(runs)}: "
            f"{min(times):.1f}–{max(times):.1f}) | {statistics.median(items):.0f} "
            f"({min(items)}–{max(items)}) |"
        )
    encodings = sorted({r["encoding"] for r in runs})
    lines += [
        "",
        f"Peer: {about['versions']}; {about['settings']}. Loaded "
        f"{load['items']:,} items in {load['collections']} collections in "
        f"{load['seconds']:.1f} s (items {load['items_s']:.1f} s). eo:cloud_cover "
        + ("queryable with an index" if about["cloud_queryable"] else "not a queryable")
        + f"; {load['partitions']} partitions (by collection"
        + (f" and {about['partition']}" if about["partition"] else "")
        + "); "
        + ("the portal's sort asked for" if about["same_sort"] else "default sort")
        + f"; responses {', '.join(encodings)}.",
    ]
    if portal is not None:
        differences = [
            f"{run['query']}: portal {answer['ids']}, GET {run['get']}, "
            f"POST {run['post']}"
            for run, answer in zip(runs, portal, strict=True)
            if not run["get"] == run["post"] == answer["ids"]
        ]
        times = [answer["ms"] for answer in portal]
        lines += [
            "",
            f"The portal's GET, after these (same client, same queries): "
            f"{statistics.median(times):.1f} ms (median of {len(times)}: "
            f"{min(times):.1f}–{max(times):.1f}).",
        ]
        lines += [
            "",
            f"Against the portal: {len(runs) - len(differences)} / {len(runs)} "
            "queries gave the same ids in the same order (GET and POST)."
            + "".join(f"\n- {d}" for d in differences),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("items", type=Path, help="STAC items, one JSON per line")
    parser.add_argument("--export", metavar="URL", help="write ITEMS from this @stac")
    parser.add_argument("--portal", metavar="URL", help="compare with this @stac")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--warm-up", type=int, default=5)
    parser.add_argument("--seed", type=int, help="default: bench/stac.py's")
    parser.add_argument("--identity", action="store_true", help="no compression")
    parser.add_argument("--default-sort", action="store_true")
    parser.add_argument("--no-cloud-queryable", action="store_true")
    parser.add_argument("--partition", choices=("year", "month"))
    args = parser.parse_args(argv)
    # Imported here: bench/stac.py may import this module.
    import stac

    if args.export:
        log(f"exporting the items of {args.export}")
        export_items(args.export.rstrip("/"), args.items)
        return 0
    rng = random.Random(stac.SEED if args.seed is None else args.seed)
    warm_up, queries = stac.queries(args.warm_up, rng), stac.queries(args.queries, rng)
    about: dict = {}
    runs = measure_pgstac(
        args.items,
        queries,
        stac.get_params,
        stac.post_body,
        warm_up=warm_up,
        same_sort=not args.default_sort,
        identity=args.identity,
        cloud_queryable=not args.no_cloud_queryable,
        partition=args.partition,
        about=about,
    )
    portal = None
    if args.portal:
        portal = portal_answers(
            args.portal.rstrip("/"), queries, stac.get_params, warm_up
        )
    print(report(runs, about, portal))
    return 0


if __name__ == "__main__":
    sys.exit(main())
