"""Benchmark the footprint index against a brute-force shapely scan and PostGIS.

Builds N synthetic Pleiades scenes over Europe, catalogues them in a catalog of a
``FootprintIndex``, a day-resolution ``DateIndex`` and a ``FieldIndex`` of cloud
cover, and times the portal's typical search: footprint intersects a 1 x 1
degree box, acquired within one year, cloud cover at most 20 %, newest first,
100 results. Warm: the filled catalog in memory. Cold: the catalog committed to
a RelStorage SQLite database, reopened with empty caches, first query.

The peer: the same scenes in PostGIS, on the PostgreSQL server of 127.0.0.1:5432
(``bench/peers.py``: as ``postgres``, trust authentication; Debian's
``postgresql-<major>-postgis-3`` installed with apt-get the first time, when the
server has no PostGIS). The run makes a database ``pleiades_bench_postgis``,
loads a table with COPY, indexes it (GiST on the footprint, B-tree on the
acquisition time and on the cloud cover), vacuums and analyses it, times the
same queries through psycopg2 (warm, and first after reconnecting), checks them
against the catalog's, and drops the database.

Usage: ``.venv/bin/python bench/spatial.py [--sizes 100000 1000000] [--repeat N]
[--no-postgis] [--output FILE]``. Progress goes to stderr, the markdown table to
stdout.
"""

from belspo.pleiades.content.ranges import FilteringDateIndex
from belspo.pleiades.content.ranges import FilteringFieldIndex
from belspo.pleiades.geo.index import FootprintIndex
from common import log
from common import machine
from common import spread
from common import verdict
from common import write_section
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from pathlib import Path
from Products.PluginIndexes.DateIndex.DateIndex import DateIndex
from Products.PluginIndexes.FieldIndex.FieldIndex import FieldIndex
from Products.ZCatalog.plan import PriorityMap
from Products.ZCatalog.ZCatalog import ZCatalog
from relstorage.adapters.sqlite.adapter import Sqlite3Adapter
from relstorage.options import Options
from relstorage.storage import RelStorage
from ZODB.DB import DB

import argparse
import contextlib
import gc
import io
import numpy
import peers
import shapely
import statistics
import tempfile
import time
import transaction


EUROPE = (-11.0, 35.0, 32.0, 71.0)
START = datetime(2020, 1, 1, tzinfo=UTC)
YEARS = 5
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LON_EQUATOR = 111.32
BOX_DEGREES = 1.0
RESULTS = 100
MAX_CLOUD = 20
POSTGIS_GOAL = 2.0  # the index's median at most twice PostGIS's
POSTGIS_DATABASE = "pleiades_bench_postgis"
COPY_ROWS = 100_000  # rows per COPY
# The catalog query in SQL: the && is the GiST index's test, ST_Intersects the
# exact one (PostGIS adds the first to the second anyway).
POSTGIS_QUERY = """
SELECT id FROM footprints
WHERE geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)
  AND ST_Intersects(
    geom, ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326))
  AND acquired >= %(first)s AND acquired < %(after)s
  AND cloud_cover <= %(cloud)s
ORDER BY acquired DESC
"""


class Scene:
    """A catalogued product: only what the indexes read."""

    __slots__ = ("footprint", "acquisition_date", "cloud_cover", "incidence_angle")

    def __init__(self, footprint, acquisition_date, cloud_cover, incidence_angle):
        self.footprint = footprint
        self.acquisition_date = acquisition_date
        self.cloud_cover = cloud_cover
        self.incidence_angle = incidence_angle


def scenes(n: int, rng: numpy.random.Generator) -> dict:
    """Footprint corners, acquisition times and properties of n scenes."""
    west, south, east, north = EUROPE
    lon = rng.uniform(west, east, n)
    lat = rng.uniform(south, north, n)
    # Most are ~20 x 20 km scenes; 2 % are strips of 60 to 300 km along track.
    strip = rng.random(n) < 0.02
    width = 20 * rng.uniform(0.9, 1.1, n)
    length = numpy.where(strip, rng.uniform(60, 300, n), 20 * rng.uniform(0.9, 1.1, n))
    angle = numpy.radians(rng.uniform(-12, 12, n))
    half = numpy.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]]) / 2
    dx = half[:, 0] * width[:, None]
    dy = half[:, 1] * length[:, None]
    cos, sin = numpy.cos(angle)[:, None], numpy.sin(angle)[:, None]
    east_km = dx * cos - dy * sin
    north_km = dx * sin + dy * cos
    km_per_lon = KM_PER_DEGREE_LON_EQUATOR * numpy.cos(numpy.radians(lat))[:, None]
    corners = numpy.stack(
        [
            lon[:, None] + east_km / km_per_lon,
            lat[:, None] + north_km / KM_PER_DEGREE_LAT,
        ],
        axis=-1,
    ).round(6)
    seconds = rng.integers(0, YEARS * 365 * 86400, n)
    return {
        "corners": corners,
        "seconds": seconds,
        # Indexed to 0.1 %, as the portal does (content/indexers.py).
        "cloud": rng.uniform(0, 100, n).round(1),
        "incidence": rng.uniform(0, 30, n).round(2),
    }


def day_keys(index: DateIndex, seconds: numpy.ndarray) -> numpy.ndarray:
    """The DateIndex keys (day resolution) of acquisition times, vectorized."""
    moments = numpy.datetime64(START.replace(tzinfo=None), "s") + seconds.astype(
        "timedelta64[s]"
    )
    years = moments.astype("datetime64[Y]").astype(int) + 1970
    months = moments.astype("datetime64[M]").astype(int) % 12 + 1
    days = (moments - moments.astype("datetime64[M]")).astype("timedelta64[D]")
    days = days.astype(int) + 1
    keys = ((years * 12 + months) * 31 + days) * 24 * 60
    return keys - keys % index.precision


def build_catalog(data: dict, plain: bool = False) -> ZCatalog:
    """A catalog of the portal's three indexes (or with the plain range indexes
    the portal had before 1008), filled through catalogObject."""
    catalog = ZCatalog("catalog")
    catalog.addIndex("footprint", FootprintIndex("footprint"))
    dates = (DateIndex if plain else FilteringDateIndex)("acquisition_date")
    dates.precision = 1440
    catalog.addIndex("acquisition_date", dates)
    covers = FieldIndex if plain else FilteringFieldIndex
    catalog.addIndex("cloud_cover", covers("cloud_cover"))
    n = len(data["seconds"])
    started = time.perf_counter()
    for i in range(n):
        ring = data["corners"][i].tolist()
        scene = Scene(
            {"type": "Polygon", "coordinates": [ring]},
            START + timedelta(seconds=int(data["seconds"][i])),
            float(data["cloud"][i]),
            float(data["incidence"][i]),
        )
        catalog._catalog.catalogObject(scene, str(i))
        if (i + 1) % 50_000 == 0:
            rate = (i + 1) / (time.perf_counter() - started)
            log(f"  catalogued {i + 1:>9,} / {n:,} ({rate:,.0f}/s)")
    return catalog


def queries(count: int, rng: numpy.random.Generator) -> list[tuple]:
    """Random 1 x 1 degree boxes over Europe and one-year date ranges."""
    west, south, east, north = EUROPE
    result = []
    for _ in range(count):
        x = float(rng.uniform(west, east - BOX_DEGREES))
        y = float(rng.uniform(south, north - BOX_DEGREES))
        box = (round(x, 4), round(y, 4), round(x + BOX_DEGREES, 4), round(y + 1, 4))
        first = START + timedelta(days=int(rng.integers(0, (YEARS - 1) * 365)))
        result.append((box, first, first + timedelta(days=365)))
    return result


def catalog_query(box, first, last) -> dict:
    return {
        "footprint": box,
        "acquisition_date": {"query": (first, last), "range": "min:max"},
        "cloud_cover": {"query": MAX_CLOUD, "range": "max"},
        "sort_on": "acquisition_date",
        "sort_order": "descending",
        "sort_limit": RESULTS,
    }


def search(catalog: ZCatalog, box, first, last) -> list[int]:
    """The timed path: the catalog's searchResults, first 100 record ids."""
    brains = catalog.searchResults(catalog_query(box, first, last))[:RESULTS]
    return [brain.getRID() for brain in brains]


class BruteForce:
    """The same query as a scan: vectorized shapely plus numpy filters."""

    def __init__(self, data: dict, keys: numpy.ndarray):
        self.geometries = shapely.polygons(data["corners"])
        self.keys = keys
        self.cloud = data["cloud"]

    def search(self, box, first_key: int, last_key: int) -> numpy.ndarray:
        query = shapely.box(*box)
        shapely.prepare(query)
        hits = shapely.intersects(query, self.geometries)
        hits &= (self.keys >= first_key) & (self.keys <= last_key)
        hits &= self.cloud <= MAX_CLOUD
        found = numpy.flatnonzero(hits)
        newest = numpy.argsort(-self.keys[found], kind="stable")[:RESULTS]
        return found[newest]


class PostGIS:
    """The same footprints in a PostGIS table, the same query in SQL (psycopg2)."""

    def __init__(self, database: str = POSTGIS_DATABASE):
        self.database = database
        self.connection = None

    def load(self, data: dict) -> float:
        """The footprints in the empty database (COPY), indexed and analysed:
        seconds."""
        started = time.perf_counter()
        connection = peers.connect(self.database)
        with connection, connection.cursor() as sql:
            sql.execute(
                "CREATE TABLE footprints (id integer NOT NULL, "
                "geom geometry(Polygon, 4326) NOT NULL, "
                "acquired timestamptz NOT NULL, cloud_cover double precision NOT NULL)"
            )
            n = len(data["seconds"])
            for start in range(0, n, COPY_ROWS):
                rows = copy_rows(data, start, min(n, start + COPY_ROWS))
                sql.copy_expert("COPY footprints FROM STDIN", rows)
                log(f"  copied {min(n, start + COPY_ROWS):>9,} / {n:,} rows")
            # The indexes after the rows: one build each, as for any bulk load.
            sql.execute("ALTER TABLE footprints ADD PRIMARY KEY (id)")
            sql.execute("CREATE INDEX ON footprints USING gist (geom)")
            sql.execute("CREATE INDEX ON footprints (acquired)")
            sql.execute("CREATE INDEX ON footprints (cloud_cover)")
        connection.autocommit = True
        with connection.cursor() as sql:
            # The state autovacuum would leave: statistics, visibility map.
            sql.execute("VACUUM (ANALYZE) footprints")
        connection.close()
        return time.perf_counter() - started

    def reconnect(self) -> None:
        """A new connection: a new server process, with empty caches of its own."""
        if self.connection is not None:
            self.connection.close()
        self.connection = peers.connect(self.database, autocommit=True)

    def search(self, box, first, last, limit: int | None = RESULTS) -> list[int]:
        """The timed path: one SELECT, the ids of its rows."""
        west, south, east, north = box
        with self.connection.cursor() as sql:
            sql.execute(
                POSTGIS_QUERY + ("" if limit is None else f" LIMIT {limit}"),
                {
                    "west": west,
                    "south": south,
                    "east": east,
                    "north": north,
                    "first": first,
                    # Day resolution, as the DateIndex: the whole last day.
                    "after": last + timedelta(days=1),
                    "cloud": MAX_CLOUD,
                },
            )
            return [row[0] for row in sql.fetchall()]

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def copy_rows(data: dict, start: int, end: int) -> io.StringIO:
    """Rows start to end - 1 as COPY text: id, EWKB hex, UTC time, cloud cover."""
    geometries = shapely.set_srid(shapely.polygons(data["corners"][start:end]), 4326)
    wkb = shapely.to_wkb(geometries, hex=True, include_srid=True)
    moments = numpy.datetime64(START.replace(tzinfo=None), "s") + data["seconds"][
        start:end
    ].astype("timedelta64[s]")
    times = moments.astype(str)
    cloud = data["cloud"][start:end].tolist()
    text = "".join(
        f"{start + i}\t{wkb[i]}\t{times[i]}+00\t{cloud[i]!r}\n"
        for i in range(end - start)
    )
    return io.StringIO(text)


def check(catalog, brute, dates, box, first, last, rids) -> list[int]:
    """Both give the same matches, and the same days among the first 100.

    :returns: the matches, sorted.
    """
    query = catalog_query(box, first, last)
    for name in ("sort_on", "sort_order", "sort_limit"):
        del query[name]
    everything = {
        int(catalog.getpath(b.getRID())) for b in catalog.searchResults(query)
    }
    first_key, last_key = dates._convert(first), dates._convert(last)
    hits = shapely.intersects(shapely.box(*box), brute.geometries)
    hits &= (brute.keys >= first_key) & (brute.keys <= last_key)
    hits &= brute.cloud <= MAX_CLOUD
    expected = set(numpy.flatnonzero(hits).tolist())
    assert everything == expected, (box, len(everything), len(expected))
    found = brute.search(box, first_key, last_key)
    days = sorted((brute.keys[int(catalog.getpath(r))] for r in rids), reverse=True)
    assert days == brute.keys[found].tolist(), box
    assert len(rids) == min(RESULTS, len(expected))
    return sorted(expected)


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def open_db(directory: str) -> DB:
    """A history-free RelStorage on SQLite, as profiles/development configures it."""
    options = Options(keep_history=False, cache_local_mb=0)
    adapter = Sqlite3Adapter(directory, pragmas={}, options=options)
    return DB(RelStorage(adapter, options=options), cache_size=30000)


def first_query(directory: str, query, *args) -> float:
    """The time of a query on a freshly opened database, in ms."""
    gc.collect()
    db = open_db(directory)
    connection = db.open()
    stored = connection.root()["catalog"]
    # A restarted Zope has no query plan yet either.
    PriorityMap.clear()
    elapsed, _ = timed(query, stored, *args)
    transaction.abort()
    connection.close()
    db.close()
    return elapsed


def cold(catalog: ZCatalog, directory: str, runs: list[tuple]) -> dict:
    """First-query times, each on a freshly opened database."""
    db = open_db(directory)
    connection = db.open()
    connection.root()["catalog"] = catalog
    started = time.perf_counter()
    transaction.commit()
    log(f"  committed to SQLite in {time.perf_counter() - started:.0f} s")
    connection.close()
    db.close()
    return {
        "cold": [first_query(directory, search, *run) for run in runs],
        "cold alone": [first_query(directory, footprint_alone, run[0]) for run in runs],
    }


def footprint_alone(catalog: ZCatalog, box) -> int:
    """The footprint index by itself, through the catalog."""
    return len(catalog.searchResults(footprint=box))


def same_page(found: list[int], expected: list[int], keys: numpy.ndarray) -> bool:
    """The same days, and the same scenes on every day but the one a full page cuts."""
    days = sorted(keys[found].tolist(), reverse=True)
    if days != sorted(keys[expected].tolist(), reverse=True):
        return False
    cut = days[-1] if len(found) == RESULTS else None
    return {i for i in found if keys[i] != cut} == {
        i for i in expected if keys[i] != cut
    }


def check_postgis(
    postgis, catalog, keys, expected, box, first, last, rids, ids
) -> None:
    """PostGIS finds the expected matches, and the catalog's page, newest first."""
    everything = postgis.search(box, first, last, limit=None)
    assert sorted(everything) == expected, box
    page = [int(catalog.getpath(rid)) for rid in rids]
    assert same_page(ids, page, keys), box
    assert numpy.all(numpy.diff(keys[ids]) <= 0), box


def measure(
    n: int, repeat: int, cold_runs: int, seed: int, postgis: bool, plain: bool
) -> dict:
    log(f"{n:,} footprints")
    rng = numpy.random.default_rng(seed)
    data = scenes(n, rng)
    started = time.perf_counter()
    catalog = build_catalog(data, plain)
    filled = time.perf_counter() - started
    log(f"  filled in {filled:.0f} s")
    dates = catalog._catalog.getIndex("acquisition_date")
    brute = BruteForce(data, day_keys(dates, data["seconds"]))
    runs = queries(repeat + cold_runs, rng)
    times = {"warm": [], "scan": [], "alone": [], "alone scan": []}
    about_postgis = {}
    database = (
        peers.scratch_database(POSTGIS_DATABASE)
        if postgis
        else contextlib.nullcontext()
    )
    peer = PostGIS() if postgis else None
    with database:
        try:
            if peer:
                log("  loading PostGIS")
                about_postgis["postgis load"] = peer.load(data)
                log(f"  loaded in {about_postgis['postgis load']:.0f} s")
                times.update({"postgis": [], "postgis cold": []})
                peer.reconnect()
                peer.search(*runs[0])  # as the catalog's: load the code paths once
            search(catalog, *runs[0])  # load the code paths once
            for box, first, last in runs[:repeat]:
                elapsed, rids = timed(search, catalog, box, first, last)
                times["warm"].append(elapsed)
                keys = dates._convert(first), dates._convert(last)
                times["scan"].append(timed(brute.search, box, *keys)[0])
                elapsed, count = timed(footprint_alone, catalog, box)
                times["alone"].append(elapsed)
                elapsed, hits = timed(
                    shapely.intersects, shapely.box(*box), brute.geometries
                )
                times["alone scan"].append(elapsed)
                assert count == hits.sum()
                expected = check(catalog, brute, dates, box, first, last, rids)
                if peer:
                    elapsed, ids = timed(peer.search, box, first, last)
                    times["postgis"].append(elapsed)
                    check_postgis(
                        peer, catalog, brute.keys, expected, box, first, last, rids, ids
                    )
            medians = {
                name: statistics.median(values)
                for name, values in times.items()
                if values
            }
            log(
                "  medians: " + ", ".join(f"{k} {v:.1f} ms" for k, v in medians.items())
            )
            if peer:
                for box, first, last in runs[repeat:]:
                    peer.reconnect()
                    times["postgis cold"].append(
                        timed(peer.search, box, first, last)[0]
                    )
                cold_text = ", ".join(f"{t:.0f}" for t in times["postgis cold"])
                log(f"  postgis after reconnecting: {cold_text} ms")
                about_postgis["postgis versions"] = peers.versions(peer.database)
                about_postgis["postgis settings"] = peers.settings()
        finally:
            if peer:
                peer.close()
    with tempfile.TemporaryDirectory() as directory:
        times.update(cold(catalog, directory, runs[repeat:]))
    for name in ("cold", "cold alone"):
        log(f"  {name}: {', '.join(f'{t:.0f}' for t in times[name])} ms")
    return {"n": n, "fill": filled, **times, **about_postgis}


def _first_and_max(times: list[float]) -> str:
    text = f"{times[0]:.0f}"
    if len(times) > 1:
        text += f" (max of {len(times)}: {max(times):.0f})"
    return text


def table(results: list[dict], repeat: int) -> str:
    peer = all("postgis" in r for r in results)
    lines = [
        "| footprints | warm median (ms) | warm min (ms) | warm max (ms) "
        "| brute force median (ms) | speed-up | footprint alone, index / brute "
        "force (ms) | cold first query (ms) | cold, footprint alone (ms) "
        "| fill (s) |"
        + (
            " PostGIS median (ms) | index / PostGIS | PostGIS first query after "
            "reconnecting (ms) | PostGIS load (s) |"
            if peer
            else ""
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        + ("---:|---:|---:|---:|" if peer else ""),
    ]
    for r in results:
        warm = statistics.median(r["warm"])
        scan = statistics.median(r["scan"])
        alone = statistics.median(r["alone"])
        alone_scan = statistics.median(r["alone scan"])
        cold_text, cold_alone = (
            _first_and_max(r[name]) for name in ("cold", "cold alone")
        )
        line = (
            f"| {r['n']:,} | {warm:.1f} | {min(r['warm']):.1f} | {max(r['warm']):.1f} "
            f"| {scan:.1f} | {scan / warm:.1f}x | {alone:.1f} / {alone_scan:.1f} "
            f"| {cold_text} | {cold_alone} | {r['fill']:.0f} |"
        )
        if peer:
            line += (
                f" {spread(r['postgis'], '')} | {postgis_ratio(r):.2f} "
                f"| {_first_and_max(r['postgis cold'])} | {r['postgis load']:.0f} |"
            )
        lines.append(line)
    lines += [
        "",
        "Query: footprint intersects a random 1 x 1 degree box over Europe, "
        f"acquisition date in a one-year range, cloud cover <= {MAX_CLOUD}, "
        f"newest first, {RESULTS} results, through the catalog's searchResults; "
        f"{repeat} runs each, checked against the brute-force scan (vectorized "
        "shapely and numpy over all footprints). Footprint alone: the box only. "
        "Warm: the filled catalog in memory. Cold: the catalog committed to "
        "RelStorage on SQLite (history-free), reopened with empty ZODB and "
        "RelStorage caches and no query plan; the SQLite file is in the OS page "
        "cache. Fill: cataloguing every scene through catalogObject.",
    ]
    if peer:
        sizes = ", ".join(
            f"{verdict(postgis_ratio(r) <= POSTGIS_GOAL)} at {r['n']:,} "
            f"({postgis_ratio(r):.2f})"
            for r in results
        )
        lines += [
            "",
            f"Goal: within {POSTGIS_GOAL:.0f}x of PostGIS (warm median of the "
            f"index over PostGIS's): {sizes}.",
            "",
            "PostGIS: the same footprints (same seed), with their acquisition time "
            "and cloud cover, in a table of a database made for the run on the "
            f"local server ({results[0]['postgis versions']}; "
            f"{results[0]['postgis settings']}): `geometry(Polygon, 4326)`, "
            "loaded with COPY (EWKB), then a primary key, a GiST index on the "
            "geometry, B-tree indexes on the acquisition time and on the cloud "
            "cover, and `VACUUM (ANALYZE)`. The same queries, timed from Python "
            "with psycopg2 (one connection, autocommit, parameters bound on the "
            "client) until the 100 ids are fetched: `geom && ST_MakeEnvelope(…) "
            "AND ST_Intersects(geom, ST_MakeEnvelope(…))`, the acquisition time "
            "from the first day to the end of the last (the day resolution of "
            f"the DateIndex), `cloud_cover <= {MAX_CLOUD}`, `ORDER BY acquired "
            f"DESC LIMIT {RESULTS}`. Each answer is checked: all its matches "
            "(the same query without the limit) are the brute force's, and its "
            "100 are the catalog's, the same scenes on the same days (the "
            "catalog orders days only). First query after reconnecting: a new "
            "connection (a new server process with empty caches of its own) for "
            "each of the cold runs' queries; the server's shared buffers and the "
            "OS page cache are warm. Load: COPY, indexes and VACUUM ANALYZE.",
        ]
    return "\n".join(lines) + "\n"


def postgis_ratio(result: dict) -> float:
    return statistics.median(result["warm"]) / statistics.median(result["postgis"])


SECTION = """## Spatial search

Goals: the spatial + date + cloud query returning up to 100 products, median under
50 ms at 100 000 footprints and under 200 ms at 1 000 000; the first query after a
restart under 2 s at 1 000 000; within 2x of PostGIS on the same data.

Machine: {machine}.

"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cold", type=int, default=3, help="cold reopenings")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--no-postgis", action="store_true", help="leave the PostGIS baseline out"
    )
    parser.add_argument(
        "--plain-ranges",
        dest="plain",
        action="store_true",
        help="the plain DateIndex and FieldIndex, as before the filtering ones",
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    results = [
        measure(n, args.repeat, args.cold, args.seed, not args.no_postgis, args.plain)
        for n in args.sizes
    ]
    text = SECTION.format(machine=machine()) + table(results, args.repeat)
    print(text)
    if args.output:
        write_section(args.output, text)


if __name__ == "__main__":
    main()
