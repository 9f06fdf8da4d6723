"""Product searches as catalog queries: shared by ``@stac`` and ``@products``.

A ``Search`` collects constraints. Those an index answers exactly go into the
catalog query; those it answers only roughly (acquisition dates are indexed to
the day) go into the catalog query *and* are checked again on the brain's
metadata; those no index answers are checked on the metadata only. The catalog
sorts with ``sort_limit``, so a page costs the brains it shows (and the few it
rejects), never the objects.
"""

from belspo.pleiades.geo.index import bbox_geometry
from belspo.pleiades.geo.index import query_geometry
from belspo.pleiades.stac.collections import BY_ID
from belspo.pleiades.stac.records import Record
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from DateTime import DateTime
from datetime import datetime
from datetime import timedelta
from datetime import UTC

import json
import math
import numbers
import re
import shapely


DEFAULT_LIMIT = 10
MAX_LIMIT = 1000

# STAC sortable fields -> catalog indexes.
SORTABLE = {
    "datetime": "acquisition_date",
    "id": "id",
    "eo:cloud_cover": "cloud_cover",
    "view:incidence_angle": "incidence_angle",
}
DEFAULT_SORT = (("datetime", "desc"), ("id", "asc"))

RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-]\d{2}:\d{2})"
)

Predicate = Callable[[Record], bool]


class SearchError(ValueError):
    """A search the client got wrong: a 400 with this message."""


class NotFound(LookupError):
    """An unknown collection or item: a 404 with this message."""


def parse_instant(text: str) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime.

    :raises SearchError: when it is not one (a date alone, no time zone...).
    """
    match = RFC3339.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise SearchError(
            f"{text!r} is not an RFC 3339 date-time such as 2024-05-17T10:31:00Z"
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    if second == 60:  # a leap second: the last instant of the minute
        second, fraction = 59, ".999999"
    try:
        offset = timedelta(0)
        if zone not in ("Z", "z"):
            sign = 1 if zone[0] == "+" else -1
            offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        moment = datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            int((fraction or ".0")[1:7].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError as error:
        raise SearchError(f"{text!r} is not a valid date-time: {error}") from None
    return moment - offset


def parse_interval(text: str) -> tuple[datetime | None, datetime | None]:
    """A STAC ``datetime`` value: an instant, or an interval with ``..`` ends.

    :returns: (start, end), either None when open; equal for an instant.
    :raises SearchError: when malformed, open at both ends, or reversed.
    """
    if not isinstance(text, str) or not text.strip():
        raise SearchError("datetime must be an RFC 3339 date-time or interval")
    parts = text.strip().split("/")
    if len(parts) == 1:
        moment = parse_instant(parts[0])
        return moment, moment
    if len(parts) != 2:
        raise SearchError(f"datetime {text!r} is an instant or start/end, no more")
    start, end = (None if p in ("", "..") else parse_instant(p) for p in parts)
    if start is None and end is None:
        raise SearchError(f"datetime {text!r} is open at both ends")
    if start is not None and end is not None and start > end:
        raise SearchError(f"datetime {text!r} ends before it starts")
    return start, end


def parse_bbox(value) -> tuple[float, ...]:
    """A bbox from ``"w,s,e,n"`` or a list of 4 (or 6, with heights) numbers.

    :raises SearchError: when it is not a box within the world.
    """
    if isinstance(value, str):
        try:
            value = [float(v) for v in value.split(",")]
        except ValueError:
            raise SearchError(
                f"bbox {value!r} is not comma-separated numbers"
            ) from None
    if not isinstance(value, list | tuple):
        raise SearchError(f"bbox must be 4 numbers, not {value!r}")
    if len(value) == 6:  # 3D: drop the heights
        value = [value[0], value[1], value[3], value[4]]
    try:
        bbox_geometry(value)
    except ValueError as error:
        raise SearchError(f"bbox: {error}") from None
    return tuple(float(v) for v in value)


def parse_limit(value, maximum: int = MAX_LIMIT, name: str = "limit") -> int:
    """A page size: a positive integer, at most ``maximum``.

    More than the maximum is the maximum, as OGC API Features requires.
    :raises SearchError: when it is not a positive integer.
    """
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or value < 1:
        raise SearchError(f"{name} must be a positive integer (at most {maximum})")
    return min(value, maximum)


def parse_json_value(value, name: str):
    """A parameter given as JSON text in a query string, or already decoded."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SearchError(f"{name} is not valid JSON") from None
    return value


def as_shape(value):
    """A GeoJSON geometry of any type in a form the footprint index accepts.

    Polygons stay GeoJSON (the index normalises them, antimeridian included);
    points, lines and collections become shapely geometries.
    :raises SearchError: when a GeoJSON value is not a geometry.
    """
    if not isinstance(value, dict) or value.get("type") in ("Polygon", "MultiPolygon"):
        return value
    try:
        return shapely.geometry.shape(value)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise SearchError(f"not a GeoJSON geometry: {error}") from None
    except shapely.errors.ShapelyError as error:
        raise SearchError(f"not a valid GeoJSON geometry: {error}") from None


def as_catalog_date(moment: datetime) -> DateTime:
    return DateTime(moment)


ABOVE_ZERO = math.nextafter(0.0, 1.0)


@dataclass
class Search:
    """Constraints on products, turned into a catalog query and checks."""

    query: dict = field(default_factory=lambda: {"portal_type": "Product"})
    checks: list[Predicate] = field(default_factory=list)
    sort: tuple[tuple[str, str], ...] = DEFAULT_SORT
    limit: int = DEFAULT_LIMIT
    start: int = 0  # where the page starts in the catalog's sorted results
    nothing: bool = False  # a constraint no product can meet
    _ranges: dict = field(default_factory=dict)
    _geometry_indexed: bool = False

    # Constraints

    def values(self, index: str, values) -> None:
        """The index's value is one of these (intersected with earlier ones)."""
        values = {value for value in values if value is not None}
        current = self.query.get(index)
        if current is not None:
            values &= set(current)
        if not values:
            # The catalog reads an empty list as "any value": match nothing.
            self.nothing = True
        self.query[index] = sorted(values)

    def range(self, index: str, low=None, high=None) -> None:
        """The index's value lies in [low, high] (either may be open)."""
        old_low, old_high = self._ranges.get(index, (None, None))
        if old_low is not None and (low is None or old_low > low):
            low = old_low
        if old_high is not None and (high is None or old_high < high):
            high = old_high
        self._ranges[index] = (low, high)
        if high == 0 and isinstance(high, int | float):
            # The catalog reads a maximum of 0 as no maximum (``if hi:``): ask
            # for the smallest number above it, which no DIMAP decimal is below.
            high = ABOVE_ZERO
        if low is not None and high is not None:
            self.query[index] = {"query": [low, high], "range": "min:max"}
        elif low is not None:
            self.query[index] = {"query": low, "range": "min"}
        elif high is not None:
            self.query[index] = {"query": high, "range": "max"}

    def footprint(self, value) -> None:
        """The footprint intersects a box or a geometry.

        The first goes to the spatial index; later ones are checked on brains.
        :raises SearchError: when the value is not a valid box or geometry.
        """
        try:
            geometry = query_geometry(as_shape(value))
        except ValueError as error:
            raise SearchError(str(error)) from None
        if not self._geometry_indexed:
            self._geometry_indexed = True
            self.query["footprint"] = {"query": geometry}
            return
        self.check(
            lambda record: (
                record.geometry is not None and record.geometry.intersects(geometry)
            )
        )

    def acquired(self, start: datetime | None, end: datetime | None) -> None:
        """Acquired between start and end (inclusive; None is open)."""
        # The index holds days: it narrows, the check is exact.
        self.range(
            "acquisition_date",
            start and as_catalog_date(start),
            end and as_catalog_date(end),
        )
        self.check(lambda record: _within(record.get("datetime"), start, end))

    def collections(self, ids: list[str]) -> None:
        """Products of these collections.

        :raises SearchError: for an unknown collection id.
        """
        unknown = [i for i in ids if i not in BY_ID]
        if unknown:
            raise SearchError(
                f"unknown collection(s) {', '.join(map(str, unknown))}; "
                f"collections are {', '.join(BY_ID)}"
            )
        self.values("mission", [m for i in ids for m in BY_ID[i].missions])

    def check(self, predicate: Predicate) -> None:
        """A condition no index answers exactly, checked on each brain."""
        self.checks.append(predicate)

    def sort_by(self, fields: list[tuple[str, str]]) -> None:
        """Sort on STAC fields, each ``asc`` or ``desc``.

        :raises SearchError: for a field no index sorts.
        """
        for name, _direction in fields:
            if name not in SORTABLE:
                raise SearchError(
                    f"cannot sort by {name!r}; sortable fields are "
                    f"{', '.join(SORTABLE)}"
                )
        if fields:
            self.sort = tuple(fields)

    # Running it

    @property
    def exact(self) -> bool:
        """Whether the catalog alone answers (and counts) the search."""
        return not self.checks

    def matches(self, record: Record) -> bool:
        return all(check(record) for check in self.checks)

    def run(self, catalog) -> "Page":
        """The page of matching brains from ``start``, and where the next starts."""
        names = [name for name, _ in self.sort]
        sort_on = [SORTABLE[name] for name in names]
        orders = ["descending" if d == "desc" else "ascending" for _, d in self.sort]
        # One more than the page, to know whether there is a next page; the
        # brains the checks reject need a few more, asked for when missing.
        want = self.start + self.limit + 1
        if self.nothing:
            return Page([], None, None, 0)
        while True:
            results = catalog.searchResults(
                self.query, sort_on=sort_on, sort_order=orders, sort_limit=want
            )
            if names[0] == "datetime":
                results = ExactTimeOrder(results, orders[0] == "descending")
            try:
                return self._take(results)
            except NeedMore:
                want *= 4

    def _take(self, results) -> "Page":
        records = []
        position = self.start
        total = results.actual_result_count
        available = len(results)
        while position < available:
            record = Record(results[position])
            position += 1
            if self.matches(record):
                if len(records) == self.limit:
                    return self._page(results, records, position - 1, total)
                records.append(record)
        if available < total:
            raise NeedMore
        return self._page(results, records, None, total)

    def _page(self, results, records, next_start, total) -> "Page":
        return Page(
            records,
            next_start,
            self._previous_start(results),
            total if self.exact else None,
        )

    def _previous_start(self, results) -> int | None:
        """Where the page before this one starts, None on the first page."""
        if self.start == 0:
            return None
        position = min(self.start, len(results))
        if self.exact:
            return max(0, position - self.limit)
        found = 0
        while position > 0 and found < self.limit:
            position -= 1
            found += self.matches(Record(results[position]))
        return position


class NeedMore(Exception):
    """The catalog sorted too few results for this page: ask for more."""


DAY = 86_400_000_000  # microseconds


class ExactTimeOrder:
    """Results sorted by acquisition day, put in exact time order within each day.

    The index keeps days, so the catalog orders days only. A day's brains are
    contiguous in its order: sorting each day's run of positions by the exact
    time gives the exact order, position for position, reading only the brains
    of the days a page touches.
    """

    def __init__(self, results, descending: bool):
        self.results = results
        self.descending = descending
        self.actual_result_count = results.actual_result_count
        self._placed: dict[int, object] = {}
        self._days: dict[int, int | None] = {}

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, position: int):
        if position not in self._placed:
            self._place_day_of(position)
        return self._placed[position]

    def _day(self, position: int) -> int | None:
        if position not in self._days:
            moment = self.results[position].acquisition_date
            self._days[position] = moment.micros() // DAY if moment else None
        return self._days[position]

    def _place_day_of(self, position: int) -> None:
        day = self._day(position)
        low, high = position, position + 1
        while low > 0 and self._day(low - 1) == day:
            low -= 1
        while high < len(self.results) and self._day(high) == day:
            high += 1
        if high == len(self.results) < self.actual_result_count:
            raise NeedMore  # the day may go on past what the catalog sorted
        brains = sorted(
            (self.results[i] for i in range(low, high)), key=lambda b: b.getId
        )
        brains.sort(key=_micros, reverse=self.descending)
        self._placed.update(zip(range(low, high), brains, strict=True))


def _micros(brain) -> int:
    moment = brain.acquisition_date
    return moment.micros() if moment else 0


@dataclass
class Page:
    """Matching records, where the next and previous pages start, the count."""

    records: list[Record]
    next_start: int | None
    previous_start: int | None
    matched: int | None  # None when the catalog cannot count them alone


def _within(moment: datetime | None, start, end) -> bool:
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment <= end)


def is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
