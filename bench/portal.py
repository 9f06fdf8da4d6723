"""Benchmark the running portal: search and product pages, downloads, ranges.

Prepares an instance (``pleiades-run --prepare-only --no-demo``: the development
profile, RelStorage on SQLite, history-free, blobs in the instance) in a
temporary folder, archives a one-product delivery of about 2 GiB with
``pleiades-ingest`` (a padded image tile; the ingest hard-links the zip into
blob storage), fills the catalogue with N published synthetic products with
``bench/portal_fill.py`` (which also publishes the ingested one), then starts
the portal with ``pleiades-run`` on a free port of 127.0.0.1 and measures from
this process, a client on the same machine:

- the search page ``@@search-catalogue`` (50 results a page), with filters (a
  box over central Europe, six years, a cloud cover) and without;
- the product page (a Product's default view), on products the server has not
  shown yet and on the same ones again;
- downloads of the large package (``@@download/package``, as the Zope manager)
  against ``cat`` of its blob file to /dev/null, in and out of the page cache,
  and against the same file sent by a bare ``os.sendfile`` over loopback; the
  server's peak RSS during a large and a small download;
- the search page while 8 clients download the package at 10 MB/s each,
  against the same page with no download going;
- a 1 MiB range of the large package out of the page cache: the bytes the
  server's process read (``/proc/<pid>/io``).

Usage: ``.venv/bin/python bench/portal.py [--products 10000] [--big-gib 2]
[--runs 50] [--repeat 5] [--workdir DIR] [--output FILE]``. Progress goes to
stderr, the markdown section to stdout; with ``--output`` it is added to FILE
(an older Portal section there is replaced, the other sections are kept).
"""

from belspo.pleiades.downloads.log import DownloadLog
from common import check_space
from common import command
from common import fill
from common import log
from common import machine
from common import measure_and_report
from common import percentile
from common import prepare_instance
from common import run
from common import Server
from common import spread
from common import verdict
from ingest import evict
from ingest import warm
from ingest import write_big
from pathlib import Path
from threading import Thread
from urllib.parse import urlsplit

import argparse
import hashlib
import http.client
import multiprocessing
import os
import queue
import re
import requests
import shutil
import socket
import statistics
import subprocess
import sys
import time


PAGE_SIZE = 50  # results a search page shows (browser/search.py)
WARMUP = 5  # requests before each series, not timed
# A search a visitor would make: a box over central Europe, six years, little cloud.
SEARCH = {
    "bbox": "0,45,15,55",
    "start": "2020-01-01",
    "end": "2025-12-31",
    "cloud_cover_max": "50",
}
SLOW_CLIENTS = 8
SLOW_RATE = 10e6  # bytes per second, each
SLOW_READ = 64 << 10  # bytes a slow client takes at a time
READ_BYTES = 1 << 20  # the measured download's reads
MIB = 1 << 20
RANGE = (0, MIB - 1)
GOAL_SEARCH_MS = 300.0
GOAL_PRODUCT_MS = 150.0
GOAL_THROUGHPUT = 0.9  # download throughput over cat's
GOAL_MEMORY_MB = 10.0  # large download's peak RSS increase over a small one's
GOAL_SLOW_MS = 50.0  # rise of the search page's p95 under the slow downloads
GOAL_RANGE_BYTES = 2 * MIB
MB = 1e6
GIB = 1 << 30


# The server


# Pages


def timed_get(session: requests.Session, url: str, params=None):
    """The response to a GET, read to its end, and the milliseconds it took."""
    started = time.perf_counter()
    response = session.get(url, params=params, timeout=120)
    return (time.perf_counter() - started) * 1000, response


def check_search(response: requests.Response) -> tuple[int, int]:
    """The products found and the results shown by a search page that is one."""
    if response.status_code != 200 or response.history:
        raise SystemExit(f"search page: {response.status_code} {response.url}")
    found = re.search(r'class="pleiades-total-count"\s*>(\d+)<', response.text)
    if found is None:
        raise SystemExit(f"no count of products found on {response.url}")
    total = int(found.group(1))
    shown = response.text.count('<li class="pleiades-result"')
    if shown != min(PAGE_SIZE, total):
        raise SystemExit(f"{shown} results shown of {total}, on {response.url}")
    return total, shown


def search_series(session, server: Server, params: dict, runs: int) -> dict:
    """The search page's times after a warm-up, each answer checked."""
    url = f"{server.url}/@@search-catalogue"
    for _ in range(WARMUP):
        check_search(timed_get(session, url, params)[1])
    times = []
    for _ in range(runs):
        elapsed, response = timed_get(session, url, params)
        total, shown = check_search(response)
        times.append(elapsed)
    return {"ms": times, "total": total, "shown": shown, "bytes": len(response.text)}


def product_series(session, server: Server, paths: list[str]) -> list[float]:
    """A product page's time for each path, each answer checked."""
    times = []
    for path in paths:
        elapsed, response = timed_get(session, f"{server.url}/{path}")
        product_id = path.rsplit("/", 1)[-1]
        if response.status_code != 200 or response.history:
            raise SystemExit(f"product page: {response.status_code} {response.url}")
        if product_id not in response.text:
            raise SystemExit(f"the product page of {product_id} does not name it")
        times.append(elapsed)
    return times


# Downloads


def download(url: str, authorization: str, headers=None, digest=False) -> dict:
    """GET ``url``, its body read into one buffer; status, length, seconds, digest."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    view = memoryview(bytearray(READ_BYTES))
    hasher = hashlib.sha256() if digest else None
    started = time.perf_counter()
    try:
        connection.request(
            "GET",
            parts.path,
            headers={"Authorization": authorization, **(headers or {})},
        )
        response = connection.getresponse()
        length = 0
        while count := response.readinto(view):
            length += count
            if hasher is not None:
                hasher.update(view[:count])
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return {
        "status": response.status,
        "length": length,
        "seconds": elapsed,
        "sha256": hasher.hexdigest() if hasher else None,
    }


def measured_download(server: Server, url: str, size: int, digest=False) -> dict:
    """A whole download, checked, with the server's peak RSS increase during it."""
    peak_reset = server.reset_peak()
    before = server.counters("status")
    answer = download(url, server.authorization(), digest=digest)
    after = server.counters("status")
    if answer["status"] != 200 or answer["length"] != size:
        raise SystemExit(f"download of {url}: {answer}, {size} bytes expected")
    answer["rss_kib"] = before["VmRSS"]
    answer["increase_kib"] = after["VmHWM"] - before["VmRSS"] if peak_reset else None
    return answer


def timed_cat(path: str) -> float:
    """Seconds ``cat`` takes to read the file to /dev/null."""
    started = time.perf_counter()
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def bare_server(
    listener: socket.socket, path: str, connections: int, sender: str
) -> None:
    """Run in a child process: answer each connection with the whole file, a
    minimal HTTP header then the file sent by ``os.sendfile`` (no Python between
    file and socket) or by ``cat`` writing into the socket."""
    size = os.path.getsize(path)
    header = f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode()
    for _ in range(connections):
        connection, _address = listener.accept()
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            connection.sendall(header)
            if sender == "cat":
                subprocess.run(["cat", path], stdout=connection.fileno(), check=True)
                continue
            with open(path, "rb") as file:
                offset = 0
                while offset < size:
                    offset += os.sendfile(
                        connection.fileno(), file.fileno(), offset, size - offset
                    )


class BareServer:
    """``bare_server`` in a child process on a free port, while it is entered."""

    def __init__(self, path: str, connections: int, sender: str = "sendfile"):
        self.path = path
        self.connections = connections
        self.sender = sender

    def __enter__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/file"
        self.process = multiprocessing.Process(
            target=bare_server,
            args=(self.listener, self.path, self.connections, self.sender),
        )
        self.process.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.process.join(60)
        if self.process.is_alive():
            self.process.kill()
        self.listener.close()


def downloads(server: Server, big: dict, small_url: str, repeat: int) -> dict:
    """The large package against cat, in and out of the page cache, and, cached,
    against cat and a bare sendfile writing into a loopback socket; the server's
    memory during each download."""
    blob, size = big["blob"], big["size"]
    url = f"{server.url}/{big['path']}/@@download/package"
    authorization = server.authorization()
    log("  whole download, checked (length and SHA-256)")
    warm(Path(blob))
    checked = measured_download(server, url, size, digest=True)
    if checked["sha256"] != big["sha256"]:
        raise SystemExit(f"SHA-256 {checked['sha256']}, {big['sha256']} expected")
    head = requests.head(small_url, auth=("admin", server.password), timeout=60)
    small_size = int(head.headers["Content-Length"])
    results = {"checked": checked, "cached": [], "cold": [], "small": [], "left": []}
    with BareServer(blob, repeat) as bare, BareServer(blob, repeat, "cat") as piped:
        for number in range(repeat):
            results["small"].append(measured_download(server, small_url, small_size))
            for state in ("cached", "cold"):
                prepare = warm if state == "cached" else evict
                results["left"].append(prepare(Path(blob)))
                baseline = timed_cat(blob)
                results["left"].append(prepare(Path(blob)))
                answer = measured_download(server, url, size)
                answer["cat"] = baseline
                text = ""
                if state == "cached":
                    for key, sender in (("bare", bare), ("cat_socket", piped)):
                        prepare(Path(blob))
                        sent = download(sender.url, authorization)
                        if sent["length"] != size:
                            raise SystemExit(f"{key} sent {sent['length']} bytes")
                        answer[key] = sent["seconds"]
                    text = (
                        f", bare sendfile {size / answer['bare'] / MB:.0f} MB/s, "
                        f"cat into a socket {size / answer['cat_socket'] / MB:.0f}"
                        " MB/s"
                    )
                results[state].append(answer)
                log(
                    f"  run {number + 1}, {state}: download {answer['seconds']:.2f} s"
                    f" ({size / answer['seconds'] / MB:.0f} MB/s), cat "
                    f"{baseline:.2f} s ({size / baseline / MB:.0f} MB/s){text}; peak "
                    f"RSS +{(answer['increase_kib'] or 0) / 1024:.1f} MiB"
                )
    results["small_size"] = small_size
    return results


# Slow downloads


def slow_downloads(url, authorization, clients, rate, messages, stop) -> None:
    """Run in a child process: ``clients`` downloads of ``url``, each read at
    ``rate`` bytes per second, until ``stop`` is set; what each received goes
    to ``messages``."""

    def one(index: int) -> None:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        connection.request("GET", parts.path, headers={"Authorization": authorization})
        response = connection.getresponse()
        messages.put(("started", index, response.status))
        view = memoryview(bytearray(SLOW_READ))
        received = 0
        begin = time.perf_counter()
        while not stop.is_set():
            count = response.readinto(view)
            if not count:
                break
            received += count
            ahead = begin + received / rate - time.perf_counter()
            if ahead > 0:
                stop.wait(ahead)
        seconds = time.perf_counter() - begin
        connection.close()
        messages.put(("done", index, {"bytes": received, "seconds": seconds}))

    threads = [Thread(target=one, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class SlowDownloads:
    """Slow clients downloading in a process of their own, while it is entered."""

    def __init__(self, url: str, authorization: str):
        self.url = url
        self.authorization = authorization
        self.results: list[dict] = []

    def __enter__(self):
        self.messages = multiprocessing.Queue()
        self.stop = multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=slow_downloads,
            args=(
                self.url,
                self.authorization,
                SLOW_CLIENTS,
                SLOW_RATE,
                self.messages,
                self.stop,
            ),
        )
        self.process.start()
        for _ in range(SLOW_CLIENTS):
            kind, index, status = self.messages.get(timeout=60)
            if status != 200:
                self.stop.set()
                raise SystemExit(f"slow download {index}: status {status}")
        time.sleep(1)  # past the start, into the steady rate
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for _ in range(SLOW_CLIENTS):
            try:
                kind, index, received = self.messages.get(timeout=60)
            except queue.Empty:
                break
            self.results.append(received)
        self.process.join(60)


def under_slow_downloads(server: Server, big: dict, runs: int) -> dict:
    """The search page with no download, then with the slow ones, alternately."""
    url = f"{server.url}/{big['path']}/@@download/package"
    session = requests.Session()
    quiet, loaded, clients = [], [], []
    check_search(timed_get(session, f"{server.url}/@@search-catalogue", SEARCH)[1])
    for block in range(2):
        quiet += search_series(session, server, SEARCH, runs // 2)["ms"]
        downloading = SlowDownloads(url, server.authorization())
        with downloading:
            loaded += search_series(session, server, SEARCH, runs // 2)["ms"]
        clients += downloading.results
        log(
            f"  block {block + 1}: p95 {percentile(quiet, 0.95):.0f} ms without, "
            f"{percentile(loaded, 0.95):.0f} ms with {SLOW_CLIENTS} slow downloads"
        )
    rates = [c["bytes"] / c["seconds"] for c in clients if c["seconds"]]
    return {"quiet": quiet, "loaded": loaded, "rates": rates, "clients": len(clients)}


# A range


def range_reads(server: Server, big: dict, repeat: int) -> list[dict]:
    """The bytes the server read to answer a 1 MiB range, the file not cached."""
    url = f"{server.url}/{big['path']}/@@download/package"
    records = DownloadLog(server.instance / "var" / "downloads", create=False)
    first, last = RANGE
    header = {"Range": f"bytes={first}-{last}"}

    def answer_range() -> None:
        count = len(list(records.records()))
        answer = download(url, server.authorization(), headers=header)
        if answer["status"] != 206 or answer["length"] != last - first + 1:
            raise SystemExit(f"range {header}: {answer}")
        deadline = time.monotonic() + 30
        # The server records the download when it closes the body: then it is done.
        while len(list(records.records())) <= count:
            if time.monotonic() > deadline:
                raise SystemExit("the range's download was not recorded")
            time.sleep(0.05)

    answer_range()  # the product and its blob in the server's caches
    runs = []
    for _ in range(repeat):
        left = evict(Path(big["blob"]))
        before = server.counters("io")
        answer_range()
        after = server.counters("io")
        read = {key: after[key] - before[key] for key in ("read_bytes", "rchar")}
        runs.append({**read, "left": left})
        log(f"  range: read_bytes {read['read_bytes']:,}, rchar {read['rchar']:,}")
    return runs


# The orchestration


def archive_big(
    work: Path,
    instance: Path,
    gib: float,
    profile: str = "development",
    settings: dict | None = None,
) -> None:
    """The large package's delivery written, then archived by pleiades-ingest."""
    inbox = work / "inbox"
    inbox.mkdir()
    write_big(inbox, gib)
    started = time.perf_counter()
    run(
        command("pleiades-ingest", instance, "--no-progress", inbox, profile=profile),
        "pleiades-ingest",
        settings,
    )
    log(f"  archived by pleiades-ingest in {time.perf_counter() - started:.0f} s")
    shutil.rmtree(inbox, ignore_errors=True)


def add_portal_arguments(parser: argparse.ArgumentParser) -> None:
    """The portal this script and ``load.py`` fill: products, large package."""
    parser.add_argument(
        "--products", type=int, default=10_000, help="products in the portal"
    )
    parser.add_argument(
        "--big-gib", type=float, default=2.0, help="size of the large package"
    )


def check_portal_space(args, work: Path) -> None:
    """Room for the large package, the products (250 kB each) and a margin."""
    check_space(work, args.big_gib * GIB + args.products * 250_000 + GIB)


def measure(args, work: Path) -> dict:
    check_portal_space(args, work)
    results = {"machine": machine(work), "load": [os.getloadavg()[0]]}
    log("preparing the instance")
    instance = prepare_instance(work / "instance")
    log(f"writing and archiving a {args.big_gib} GiB package")
    archive_big(work, instance, args.big_gib)
    log(f"filling the catalogue with {args.products} products")
    results["fill"] = filled = fill(instance, args.products)
    (big,) = filled["packages"]
    results["big"] = big
    log("starting the portal")
    server = Server(instance, work / "server.log")
    try:
        results["start_s"] = server.start()
        results["load"].append(os.getloadavg()[0])
        results["server"] = measure_server(args, server, filled)
    finally:
        server.stop()
    results["load"].append(os.getloadavg()[0])
    return results


def measure_server(args, server: Server, filled: dict) -> dict:
    big, sample = filled["packages"][0], filled["sample"]
    visitor = requests.Session()
    results = {}
    log("search page, with filters")
    results["search"] = search_series(visitor, server, SEARCH, args.runs)
    log(f"  median {statistics.median(results['search']['ms']):.0f} ms")
    log("search page, without filters")
    results["search_all"] = search_series(visitor, server, {}, args.runs)
    log(f"  median {statistics.median(results['search_all']['ms']):.0f} ms")
    log("product pages")
    measured = sample[: args.runs]
    warmup = sample[args.runs : args.runs + WARMUP] or sample[-WARMUP:]
    product_series(visitor, server, warmup)
    results["product_first"] = product_series(visitor, server, measured)
    results["product_again"] = product_series(visitor, server, measured)
    results["products_visited"] = len(measured)
    log(
        f"  median {statistics.median(results['product_first']):.0f} ms first, "
        f"{statistics.median(results['product_again']):.0f} ms again"
    )
    log("downloads of the large package")
    small_url = f"{server.url}/{sample[0]}/@@download/package"
    results["downloads"] = downloads(server, big, small_url, args.repeat)
    log(f"search page under {SLOW_CLIENTS} slow downloads")
    results["slow"] = under_slow_downloads(server, big, args.runs)
    log("a 1 MiB range, not in page cache")
    results["range"] = range_reads(server, big, args.repeat)
    return results


# The report


def ms_cell(values: list[float]) -> str:
    return f"{spread(values, 'ms', 0)}; p95 {percentile(values, 0.95):.0f} ms"


def download_row(
    label: str,
    runs: list[dict],
    size: int,
    baseline: str,
    name: str,
    reference: bool = False,
) -> str:
    """Download against a baseline (``runs``' key ``baseline``, shown as
    ``name``): throughputs, and their ratio; against the goal unless the
    baseline is for reference only."""
    seconds = [r["seconds"] for r in runs]
    other = [r[baseline] for r in runs]
    ratios = [r[baseline] / r["seconds"] for r in runs]  # throughput over other's
    median = statistics.median(ratios)
    goal = f"≥ {GOAL_THROUGHPUT}: {verdict(median >= GOAL_THROUGHPUT)}"
    if reference:
        goal = "for reference"
    return (
        f"| {label} | {spread(seconds, 's', 2)}, "
        f"{size / statistics.median(seconds) / MB:.0f} MB/s "
        f"| {name} {spread(other, 's', 2)}, "
        f"{size / statistics.median(other) / MB:.0f} MB/s "
        f"| {spread(ratios, '', 2)} | {goal} |"
    )


def increase_mb(runs: list[dict]) -> float:
    return max(r["increase_kib"] for r in runs) * 1024 / MB


def report(args, results: dict) -> str:
    server, fill, big = results["server"], results["fill"], results["big"]
    search, search_all = server["search"], server["search_all"]
    first, again = server["product_first"], server["product_again"]
    loads = server["downloads"]
    slow, ranges = server["slow"], server["range"]
    size = big["size"]
    gib = f"{size / GIB:.2f} GiB"
    search_ok = statistics.median(search["ms"]) < GOAL_SEARCH_MS
    all_ok = statistics.median(search_all["ms"]) < GOAL_SEARCH_MS
    first_ok = statistics.median(first) < GOAL_PRODUCT_MS
    again_ok = statistics.median(again) < GOAL_PRODUCT_MS
    big_runs = loads["cached"] + loads["cold"] + [loads["checked"]]
    memory_known = all(r["increase_kib"] is not None for r in big_runs + loads["small"])
    quiet_p95 = percentile(slow["quiet"], 0.95)
    loaded_p95 = percentile(slow["loaded"], 0.95)
    rise = loaded_p95 - quiet_p95
    read_bytes = [r["read_bytes"] for r in ranges]
    rchar = [r["rchar"] for r in ranges]
    range_ok = max(read_bytes) <= GOAL_RANGE_BYTES and max(rchar) <= GOAL_RANGE_BYTES
    lines = [
        "## Portal",
        "",
        f"Goals, with {args.products:,} products in the portal: the search page "
        f"(50 results) answers in a median under {GOAL_SEARCH_MS:.0f} ms and a "
        f"product page under {GOAL_PRODUCT_MS:.0f} ms; a 2 GB package downloads "
        f"at {GOAL_THROUGHPUT:.0%} or more of the throughput of `cat` reading its "
        "blob file, with the server's memory independent of the file's size; "
        f"{SLOW_CLIENTS} slow downloads ({SLOW_RATE / MB:.0f} MB/s each) raise the "
        f"search page's p95 by at most {GOAL_SLOW_MS:.0f} ms; a 1 MiB range of "
        f"the 2 GB package reads at most {GOAL_RANGE_BYTES // MIB} MiB from the disk.",
        "",
        f"Machine: {results['machine']}.",
        "",
        "| measure | value | baseline in the same run | ratio | goal |",
        "|---|---|---|---|---|",
        f"| search page, filters: box {SEARCH['bbox'].replace(',', ', ')}, "
        f"{SEARCH['start']} to {SEARCH['end']}, cloud cover ≤ "
        f"{SEARCH['cloud_cover_max']} % ({search['total']:,} found, "
        f"{search['shown']} shown, {search['bytes'] / 1e3:.0f} kB) "
        f"| {ms_cell(search['ms'])} | — | — "
        f"| < {GOAL_SEARCH_MS:.0f} ms: {verdict(search_ok)} |",
        f"| search page, no filter ({search_all['total']:,} found, newest first, "
        f"{search_all['shown']} shown, {search_all['bytes'] / 1e3:.0f} kB) "
        f"| {ms_cell(search_all['ms'])} | — | — "
        f"| < {GOAL_SEARCH_MS:.0f} ms: {verdict(all_ok)} |",
        f"| product page, first view of each of {server['products_visited']} "
        "products since the server started "
        f"| {ms_cell(first)} | — | — "
        f"| < {GOAL_PRODUCT_MS:.0f} ms: {verdict(first_ok)} |",
        f"| product page, the same {server['products_visited']} products again "
        f"| {ms_cell(again)} | — | — "
        f"| < {GOAL_PRODUCT_MS:.0f} ms: {verdict(again_ok)} |",
        download_row(
            f"download of the {gib} package, not in page cache",
            loads["cold"],
            size,
            "cat",
            "`cat`",
        ),
        download_row(
            f"download of the {gib} package, in page cache, against `cat` of the "
            "blob file writing into a loopback socket, read by the same client",
            loads["cached"],
            size,
            "cat_socket",
            "`cat` into a loopback socket",
        ),
        download_row(
            f"download of the {gib} package, in page cache, against `cat` of the "
            "blob file to /dev/null (a copy in memory: no socket)",
            loads["cached"],
            size,
            "cat",
            "`cat` to /dev/null",
            reference=True,
        ),
        download_row(
            f"download of the {gib} package, in page cache, against a minimal "
            "sender over loopback: the same file sent by `os.sendfile` after a "
            "bare HTTP header, to the same client",
            loads["cached"],
            size,
            "bare",
            "bare `os.sendfile`",
            reference=True,
        ),
    ]
    if memory_known:
        big_increase = increase_mb(big_runs)
        small_increase = increase_mb(loads["small"])
        rss = statistics.median(r["rss_kib"] for r in big_runs) * 1024 / MB
        difference = round(big_increase - small_increase) or 0  # no "-0"
        lines += [
            f"| server's peak RSS increase during a download of the {gib} package "
            f"| +{big_increase:.1f} MB (max of {len(big_runs)}) "
            f"| server's RSS before: {rss:.0f} MB | — | — |",
            f"| server's peak RSS increase during a download of a small package "
            f"({loads['small_size'] / 1e3:.1f} kB) "
            f"| +{small_increase:.1f} MB (max of {len(loads['small'])}) | — | — | — |",
            f"| memory against file size: large minus small download's increase "
            f"| {difference:+.0f} MB for a {size / loads['small_size']:,.0f}× "
            f"larger file | — | — | independent of size (< {GOAL_MEMORY_MB:.0f} MB): "
            f"{verdict(abs(big_increase - small_increase) < GOAL_MEMORY_MB)} |",
        ]
    else:
        lines.append(
            "| server's peak RSS during downloads | not measured: "
            "`/proc/<pid>/clear_refs` refused | — | — | **not measured** |"
        )
    lines += [
        f"| search page (with filters) while {SLOW_CLIENTS} clients download the "
        f"{gib} package, each reading {SLOW_RATE / MB:.0f} MB/s (they received "
        f"{min(slow['rates']) / MB:.1f}–{max(slow['rates']) / MB:.1f} MB/s each) "
        f"| p95 {loaded_p95:.0f} ms; {spread(slow['loaded'], 'ms', 0)} "
        f"| no download: p95 {quiet_p95:.0f} ms; {spread(slow['quiet'], 'ms', 0)} "
        f"| {rise:+.0f} ms "
        f"| ≤ +{GOAL_SLOW_MS:.0f} ms: {verdict(rise <= GOAL_SLOW_MS)} |",
        f"| `Range: bytes={RANGE[0]}-{RANGE[1]}` of the {gib} package, not in "
        "page cache: bytes the server's process read "
        f"| `read_bytes` {max(read_bytes):,}, `rchar` {max(rchar):,} "
        f"(max of {len(ranges)}) | {RANGE[1] - RANGE[0] + 1:,} bytes asked "
        f"| {max(read_bytes + rchar) / (RANGE[1] - RANGE[0] + 1):.2f} "
        f"| ≤ {GOAL_RANGE_BYTES:,} bytes: {verdict(range_ok)} |",
    ]
    left = [n for n in loads["left"] + [r["left"] for r in ranges] if n is not None]
    cache = (
        f"`fincore` found at most {max(left):,} bytes of it still cached after each"
        if left
        else "`fincore` was not available to check it"
    )
    lines += [
        "",
        "Method: an instance prepared with `pleiades-run --prepare-only --no-demo` "
        "(development profile: RelStorage on SQLite, history-free, blobs in the "
        "instance, waitress with its 4 threads) in a temporary folder on the "
        f"workdir's filesystem. The {gib} package is a one-product delivery zip "
        "(its first image tile padded with noise) archived by `pleiades-ingest`, "
        f"which hard-links it into blob storage; {args.products:,} synthetic "
        "products were then created and published by `bench/portal_fill.py` "
        "(each with a package of a few kB and JPEG previews) in "
        f"{fill['seconds']:.0f} s ({fill['rate']:.0f} products/s). The portal is "
        "then started with "
        "`pleiades-run` on a free port of 127.0.0.1 "
        f"(answering {results['start_s']:.0f} s after its start) and every request "
        "comes from another process, the benchmark's, over loopback: a time is "
        "the client's, from sending the request to the last byte of the answer, "
        "which on loopback is the server's time plus well under a millisecond. "
        f"Pages: anonymous visitor (`requests`, one kept-alive connection), "
        f"{WARMUP} requests of warm-up, then {args.runs} timed, each answer "
        "checked (status 200 without redirection; for the search, the count of "
        "products found and 50 results listed; for a product, its id on the "
        f"page). Product pages: {server['products_visited']} products spread "
        "over the catalogue, each shown for the first time since the server "
        "started (the product loaded from the storage into the ZODB cache), "
        "then again. Downloads: the Zope manager (basic auth), with "
        f"`http.client` reading the body into a {READ_BYTES // MIB} MiB buffer; "
        "one download checked (length and SHA-256 against the recorded "
        f"package's), then {args.repeat} runs alternating `cat <blob> > "
        "/dev/null` and the download, in the same cache state: in page cache "
        "(the file read once before each) and not (its pages dropped with "
        "`posix_fadvise(POSIX_FADV_DONTNEED)` after an fsync before each; "
        f"{cache}). The ratio is the download's throughput over `cat`'s. In "
        "page cache, `cat` to /dev/null is a copy in memory that no server can "
        "match over a socket, so each run also times two bare servers on the "
        "same client, which pay for TCP over loopback (the copies into and out "
        "of the socket) as the download does: a child process that answers "
        "with a minimal HTTP header, then runs `cat <blob>` with the socket as "
        "its standard output (the baseline of the goal), or sends the blob "
        "file with `os.sendfile` (no Python between the file and the socket; "
        "for reference). "
        "Memory: the server process's `VmHWM`, reset with `/proc/<pid>/"
        "clear_refs` before each download, over its `VmRSS` then; the small "
        "package is a synthetic product's. Slow downloads: a child process "
        f"runs {SLOW_CLIENTS} clients, each downloading the {gib} package and "
        f"reading {SLOW_READ // 1024} KiB at a time at {SLOW_RATE / MB:.0f} MB/s "
        "(the server's socket buffers fill and it sends as they read); the "
        f"search page with filters is timed {args.runs // 2 * 2} times with them "
        f"and {args.runs // 2 * 2} times without, in two alternating blocks. "
        "Range: after one range request to load the product, the package's pages "
        "are dropped from the cache, then `/proc/<pid>/io` of the server is read "
        "before the request and after the server closed its body (the download "
        "is recorded then); `read_bytes` is what the process had read from the "
        "disk, `rchar` every byte it read (files, sockets, pipes). The machine is "
        "shared with other work (1-minute load average "
        f"{min(results['load']):.1f} to {max(results['load']):.1f} on its 2 "
        "cores when the fill started, the portal started and the measures "
        "ended), so the times vary more than on a quiet machine.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_portal_arguments(parser)
    parser.add_argument("--runs", type=int, default=50, help="timed requests")
    parser.add_argument("--repeat", type=int, default=5, help="runs of downloads")
    parser.add_argument(
        "--workdir", type=Path, help="a folder on the filesystem to measure"
    )
    parser.add_argument("--output", type=Path, help="a markdown file to add to")
    args = parser.parse_args(argv)
    if args.products < PAGE_SIZE or args.runs < 2 or args.repeat < 1:
        parser.error(f"--products at least {PAGE_SIZE}, --runs 2, --repeat 1")
    if args.big_gib <= 0:
        parser.error("--big-gib must be positive")
    return measure_and_report(args, "portal", measure, report)


if __name__ == "__main__":
    sys.exit(main())
