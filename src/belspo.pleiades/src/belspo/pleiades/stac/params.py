"""Search parameters, as STAC clients and as the portal's REST API send them.

Both build the same ``Search``: STAC names (``collections``, ``datetime``,
``filter``...) for ``@stac/search``, the portal's field names (``mission``,
``start``, ``cloud_cover_max``...) for ``@products``.
"""

from belspo.pleiades.stac import filters
from belspo.pleiades.stac.search import parse_bbox
from belspo.pleiades.stac.search import parse_instant
from belspo.pleiades.stac.search import parse_interval
from belspo.pleiades.stac.search import parse_json_value
from belspo.pleiades.stac.search import parse_limit
from belspo.pleiades.stac.search import Search
from belspo.pleiades.stac.search import SearchError
from belspo.pleiades.vocabularies import MISSIONS
from belspo.pleiades.vocabularies import PROCESSING_LEVELS
from belspo.pleiades.vocabularies import SPECTRAL_MODES

import re


TOKEN = re.compile(r"(next|prev):(\d{1,9})")
DIRECTIONS = {"asc": "asc", "desc": "desc", "+": "asc", "-": "desc"}


def stac_search(params: dict, post: bool, collection: str | None = None) -> Search:
    """A search from STAC parameters: a GET query string or a POST body.

    :param params: the query string's values (text) or the JSON body.
    :param post: whether the values come from a JSON body.
    :param collection: the collection of an ``/items`` request.
    :raises SearchError: for any malformed or contradictory parameter.
    """
    search = Search()
    if "limit" in params:
        search.limit = parse_limit(params["limit"])
    if params.get("token") is not None:
        search.start = parse_token(params["token"])
    _place(search, params, post)
    if params.get("datetime") not in (None, ""):
        search.acquired(*parse_interval(params["datetime"]))
    if params.get("ids") not in (None, ""):
        search.values("id", _strings(params["ids"], "ids"))
    if collection is not None:
        search.collections([collection])
    if params.get("collections") not in (None, ""):
        search.collections(_strings(params["collections"], "collections"))
    if params.get("sortby") not in (None, "", []):
        search.sort_by(_sortby(params["sortby"]))
    if params.get("filter") not in (None, ""):
        default = "cql2-json" if post else "cql2-text"
        tree = filters.parse(params["filter"], params.get("filter-lang"), default)
        filters.apply(tree, search)
    return search


def parse_token(value) -> int:
    """The start of a page from a paging token (``next:40``, ``prev:20``)."""
    match = TOKEN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise SearchError(f"token {value!r} is not one of this API's paging tokens")
    return int(match.group(2))


def _place(search: Search, params: dict, post: bool) -> None:
    bbox, intersects = params.get("bbox"), params.get("intersects")
    if bbox not in (None, "") and intersects not in (None, ""):
        raise SearchError("give bbox or intersects, not both")
    if bbox not in (None, ""):
        if post and not isinstance(bbox, list):
            raise SearchError("bbox must be an array of numbers")
        search.footprint(parse_bbox(bbox))
    elif intersects not in (None, ""):
        geometry = parse_json_value(intersects, "intersects")
        if not isinstance(geometry, dict) or "type" not in geometry:
            raise SearchError("intersects must be a GeoJSON geometry")
        search.footprint(geometry)


def _strings(value, name: str) -> list[str]:
    """A list of strings: a JSON array in a body, comma-separated in a URL.

    A body's single string is taken as a comma-separated list too: clients send it.
    """
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SearchError(f"{name} must be a list of strings")
    return value


def _sortby(value) -> list[tuple[str, str]]:
    """Sort fields from ``-datetime,+id`` or ``[{"field":..., "direction":...}]``."""
    if isinstance(value, str):
        fields = []
        for part in value.split(","):
            # An unencoded "+" in a query string arrives as a space.
            part = part.strip() if not part.startswith(" ") else "+" + part.strip()
            if not part:
                continue
            sign = part[0] if part[0] in "+-" else "+"
            name = part.lstrip("+-").removeprefix("properties.")
            fields.append((name, DIRECTIONS[sign]))
        return fields
    if not isinstance(value, list):
        raise SearchError("sortby must be a list of {field, direction}")
    fields = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
            raise SearchError("sortby entries are {field, direction} objects")
        direction = entry.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise SearchError(f"sortby direction {direction!r} is not asc or desc")
        fields.append((entry["field"].removeprefix("properties."), direction))
    return fields


# The portal's own names (@products).

PORTAL_CHOICES = {
    "mission": MISSIONS,
    "processing_level": PROCESSING_LEVELS,
    "spectral_mode": SPECTRAL_MODES,
}
MAX_PAGE = 1000


def portal_search(params: dict, post: bool) -> Search:
    """A search from the portal's field names (``@products``).

    :raises SearchError: for any malformed parameter.
    """
    search = Search()
    search.limit = parse_limit(params.get("b_size", 25), MAX_PAGE, "b_size")
    start = params.get("b_start", 0)
    if isinstance(start, str) and start.isdigit():
        start = int(start)
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise SearchError("b_start must be a non-negative integer")
    search.start = start
    _place(search, params, post)
    begin, end = (
        parse_instant(params[name]) if params.get(name) not in (None, "") else None
        for name in ("start", "end")
    )
    if begin and end and begin > end:
        raise SearchError("end is before start")
    if begin or end:
        search.acquired(begin, end)
    for name, index in (
        ("cloud_cover_max", "cloud_cover"),
        ("incidence_angle_max", "incidence_angle"),
    ):
        if params.get(name) not in (None, ""):
            search.range(index, None, _number(params[name], name))
    for name, vocabulary in PORTAL_CHOICES.items():
        if params.get(name) not in (None, "", []):
            values = _strings(params[name], name)
            unknown = [v for v in values if v not in vocabulary]
            if unknown:
                raise SearchError(
                    f"unknown {name} {', '.join(unknown)}; one of "
                    f"{', '.join(vocabulary.by_value)}"
                )
            search.values(name, values)
    return search


def _number(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SearchError(f"{name} must be a number") from None
    if number != number or isinstance(value, bool):
        raise SearchError(f"{name} must be a number")
    return number
