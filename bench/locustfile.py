"""The users of the load test (``bench/load.py``): visitors and downloaders.

Run by locust in its own virtualenv (``.venv-load``), not in the portal's: this
file imports nothing of the portal. ``bench/load.py`` starts it and says what to
load through the environment:

- ``LOAD_HOSTS``: the portal's address on each Zope process, separated by spaces;
  each user is given the next one when it starts (round-robin per user);
- ``LOAD_PLAN``: a JSON file with ``products`` (paths of products under the
  site, to visit) and ``package`` (the large product's path) and
  ``package_size`` (its package's size in bytes);
- ``LOAD_AUTH``: ``name:password`` of the Zope manager, who downloads;
- ``LOAD_THINK``: the least and most seconds a visitor waits between two
  requests (``0 0``: none);
- ``LOAD_DOWNLOADERS``: how many users download the large package, each
  reading it whole at full speed and starting again when done;
- ``LOAD_MAX_REQUESTS``: the test stops after that many requests;
- ``LOAD_RECORD``: where the statistics and the downloads are written, as
  JSON, when locust quits.

Visitors browse anonymously: the home page, the search page with random filters
and boxes over Europe, product pages, quicklooks, the STAC search and now and
then a page that does not exist (a 404 is their success). Every answer is
checked; a wrong one is a failure in locust's statistics.
"""

from itertools import cycle
from locust import between
from locust import constant
from locust import events
from locust import HttpUser
from locust import task
from pathlib import Path

import gevent
import json
import os
import random
import time


HOSTS = os.environ["LOAD_HOSTS"].split()
PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
AUTH = tuple(os.environ["LOAD_AUTH"].split(":", 1))
THINK = [float(value) for value in os.environ["LOAD_THINK"].split()]
DOWNLOADERS = int(os.environ["LOAD_DOWNLOADERS"])
MAX_REQUESTS = int(os.environ["LOAD_MAX_REQUESTS"])
RECORD = Path(os.environ["LOAD_RECORD"])
TIMEOUT = 60  # seconds; a page slower than that is a failure
EUROPE = (-10.0, 36.0, 30.0, 70.0)  # west, south, east, north: the products' region
MISSIONS = ("PHR1A", "PHR1B", "PNEO3", "PNEO4")
LEVELS = ("SENSOR", "ORTHO", "MOSAIC")
READ = 1 << 20  # bytes a downloader takes at a time

# Each class takes the next process in turn, so both get half of each kind.
visitor_hosts = cycle(HOSTS)
downloader_hosts = cycle(HOSTS)
downloads: list[dict] = []  # whole downloads: bytes, seconds
received = {"bytes": 0, "first": None, "last": None}  # every byte, partial too
run = {"environment": None, "stopping": False}


def random_box(rng: random.Random) -> tuple[float, float, float, float]:
    """A box of 1 to 10 degrees a side inside the products' region."""
    west, south, east, north = EUROPE
    width, height = rng.uniform(1, 10), rng.uniform(1, 10)
    x = rng.uniform(west, east - width)
    y = rng.uniform(south, north - height)
    return round(x, 3), round(y, 3), round(x + width, 3), round(y + height, 3)


def random_years(rng: random.Random) -> tuple[str, str]:
    """One to six years of acquisitions between 2019 and 2026."""
    first = rng.randint(2019, 2025)
    last = min(2026, first + rng.randint(0, 5))
    return f"{first}-01-01", f"{last}-12-31"


class Visitor(HttpUser):
    """An anonymous visitor who searches the catalogue and looks at products."""

    host = HOSTS[0]
    wait_time = between(*THINK) if max(THINK) > 0 else constant(0)

    def on_start(self) -> None:
        self.client.base_url = next(visitor_hosts)
        self.rng = random.Random()

    def page(self, path: str, name: str, params=None, expect=200, check=None):
        """GET a page, a failure unless its status is ``expect`` and ``check``
        finds what it must show."""
        with self.client.get(
            path,
            params=params,
            name=name,
            catch_response=True,
            allow_redirects=False,
            timeout=TIMEOUT,
        ) as response:
            if response.status_code != expect:
                response.failure(f"status {response.status_code}, {expect} expected")
            elif check is not None and not check(response):
                response.failure("the answer does not show what it should")
            elif expect == 404:
                response.success()  # catch_response would count a 404 as failed

    @task(2)
    def home(self) -> None:
        self.page("/", "home page", check=lambda r: "<html" in r.text)

    @task(6)
    def search(self) -> None:
        rng = self.rng
        params = {}
        if rng.random() < 0.8:
            params["bbox"] = ",".join(str(v) for v in random_box(rng))
        if rng.random() < 0.6:
            params["start"], params["end"] = random_years(rng)
        if rng.random() < 0.5:
            params["cloud_cover_max"] = str(rng.choice((10, 20, 50)))
        if rng.random() < 0.3:
            params["mission"] = rng.sample(MISSIONS, rng.randint(1, 2))
        if rng.random() < 0.2:
            params["processing_level"] = rng.choice(LEVELS)
        if rng.random() < 0.1:
            params["b_start"] = "50"  # the next page
        self.page(
            "/@@search-catalogue",
            "search page",
            params=params,
            check=lambda r: "pleiades-total-count" in r.text,
        )

    @task(6)
    def product(self) -> None:
        path = self.rng.choice(PLAN["products"])
        name = path.rsplit("/", 1)[-1]
        self.page(f"/{path}", "product page", check=lambda r: name in r.text)

    @task(3)
    def quicklook(self) -> None:
        path = self.rng.choice(PLAN["products"])
        self.page(
            f"/{path}/@@images/quicklook",
            "quicklook image",
            check=lambda r: r.headers.get("Content-Type", "").startswith("image/"),
        )

    @task(2)
    def stac_search(self) -> None:
        start, end = random_years(self.rng)
        params = {
            "bbox": ",".join(str(v) for v in random_box(self.rng)),
            "datetime": f"{start}T00:00:00Z/{end}T23:59:59Z",
            "filter": f"eo:cloud_cover <= {self.rng.choice((10, 20, 50))}",
            "filter-lang": "cql2-text",
            "limit": "50",
        }
        self.page(
            "/@stac/search",
            "STAC search",
            params=params,
            check=lambda r: r.text.startswith("{") and '"features"' in r.text,
        )

    @task(1)
    def missing(self) -> None:
        number = self.rng.randrange(10**9)
        self.page(f"/catalogue/no-such-product-{number}", "missing page", expect=404)


class Downloader(HttpUser):
    """The Zope manager downloading the large package whole, again and again."""

    host = HOSTS[0]
    fixed_count = DOWNLOADERS
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.base_url = next(downloader_hosts)
        self.client.auth = AUTH

    @staticmethod
    def read_all(response) -> int:
        """Read the body to its end; how many bytes it had."""
        length = 0
        while chunk := response.raw.read(READ, decode_content=False):
            length += len(chunk)
            received["bytes"] += len(chunk)
            received["last"] = time.time()
            # Let the visitors' greenlets run: a socket that always has data
            # never makes this one wait, so it would never yield by itself.
            gevent.sleep(0)
        return length

    @task
    def download(self) -> None:
        size = PLAN["package_size"]
        started = time.perf_counter()
        if received["first"] is None:
            received["first"] = time.time()
        length, error = 0, None
        with self.client.get(
            f"/{PLAN['package']}/@@download/package",
            name="package download, first byte",
            stream=True,
            catch_response=True,
            allow_redirects=False,
            timeout=TIMEOUT,
        ) as response:
            if response.status_code != 200:
                error = f"status {response.status_code}"
                response.failure(error)
            else:
                try:
                    length = self.read_all(response)
                except Exception as exception:  # a timeout, a connection reset
                    error = f"{type(exception).__name__}: {exception}"
                else:
                    if length != size:
                        error = f"{length} bytes received, {size} expected"
        seconds = time.perf_counter() - started
        if error is None:
            downloads.append({"bytes": length, "seconds": seconds})
        self.environment.events.request.fire(
            request_type="GET",
            name="package download, whole",
            response_time=seconds * 1000,
            response_length=length,
            exception=RuntimeError(error) if error else None,
            context={},
            url=f"/{PLAN['package']}/@@download/package",
            response=None,
        )


@events.request.add_listener
def bound_requests(**_kwargs) -> None:
    """Stop the test once it made ``MAX_REQUESTS`` requests."""
    environment = run["environment"]
    if environment.stats.total.num_requests >= MAX_REQUESTS and not run["stopping"]:
        run["stopping"] = True
        gevent.spawn(environment.runner.quit)


@events.init.add_listener
def remember_environment(environment, **_kwargs) -> None:
    run["environment"] = environment


def summary(entry) -> dict:
    """A request type's final statistics."""
    percentile = entry.get_response_time_percentile
    counted = entry.num_requests > 0
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "per_second": entry.total_rps,
        **{
            f"p{share}": percentile(share / 100) if counted else None
            for share in (50, 95, 99)
        },
        "max": entry.max_response_time if counted else None,
    }


@events.quitting.add_listener
def write_record(environment, **_kwargs) -> None:
    """The final statistics and the downloads, for ``bench/load.py``.

    Quitting comes after the users stopped: these are the whole run's numbers,
    which the CSV files, written every second, may miss the last second of.
    """
    stats = environment.stats
    answer = {
        "stats": {name: summary(entry) for (name, _), entry in stats.entries.items()},
        "total": summary(stats.total),
        "failures": [error.to_dict() for error in stats.errors.values()],
        "exceptions": [
            {"count": row["count"], "message": row["msg"]}
            for row in environment.runner.exceptions.values()
        ],
        "downloads": downloads,
        "received": received,
        "stopped_early": run["stopping"],
    }
    RECORD.write_text(json.dumps(answer))
