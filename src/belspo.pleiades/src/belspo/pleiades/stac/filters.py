"""CQL2 filters (the STAC filter extension) as catalog constraints and checks.

The ``cql2`` package parses cql2-text and cql2-json into one JSON form. Each
top-level conjunct is compiled into a check on a brain's metadata (three-valued,
as CQL2 says: a comparison with a missing value is unknown, never true) and,
where an index answers it, also added to the catalog query: exactly (the check
is then dropped) or to narrow the search (the check stays).
"""

from belspo.pleiades.geo.index import bbox_geometry
from belspo.pleiades.geo.index import query_geometry
from belspo.pleiades.stac.collections import BY_ID
from belspo.pleiades.stac.collections import MISSION_OF_PLATFORM
from belspo.pleiades.stac.records import PROPERTIES
from belspo.pleiades.stac.search import as_catalog_date
from belspo.pleiades.stac.search import is_number
from belspo.pleiades.stac.search import parse_instant
from belspo.pleiades.stac.search import Search
from belspo.pleiades.stac.search import SearchError
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC

import cql2
import functools
import json
import operator
import re
import shapely


LANGUAGES = ("cql2-text", "cql2-json")

COMPARISONS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
TEMPORAL = ("t_intersects", "anyinteracts", "t_before", "t_after")

# Properties a catalog index answers exactly: property -> (index, value mapping).
INDEXED_NUMBERS = {
    "eo:cloud_cover": "cloud_cover",
    "view:incidence_angle": "incidence_angle",
}
INDEXED_TEXTS = {
    "id": ("id", lambda value: [value]),
    "platform": ("mission", lambda value: [MISSION_OF_PLATFORM.get(value)]),
    "mission": ("mission", lambda value: [value]),
    "collection": (
        "mission",
        lambda value: BY_ID[value].missions if value in BY_ID else [],
    ),
    "processing:level": ("processing_level", lambda value: [value]),
    "pleiades:spectral_mode": ("spectral_mode", lambda value: [value]),
}


def parse(value, language: str | None, default: str) -> dict:
    """A filter in cql2-text or cql2-json as the CQL2 JSON form.

    :param value: the text, or the JSON (decoded, or as text from a query string).
    :param language: ``filter-lang``; ``default`` when not given.
    :raises SearchError: when the language is unknown or the filter malformed.
    """
    language = language or default
    if language not in LANGUAGES:
        raise SearchError(
            f"filter-lang {language!r} is not one of {', '.join(LANGUAGES)}"
        )
    try:
        if language == "cql2-text":
            if not isinstance(value, str):
                raise SearchError("a cql2-text filter is a string")
            expression = cql2.parse_text(value)
        else:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise SearchError(
                        "the cql2-json filter is not valid JSON"
                    ) from None
            if not isinstance(value, dict):
                raise SearchError("a cql2-json filter is a JSON object")
            text = json.dumps(_bounds_as_args(value), sort_keys=True)
            return json.loads(_validated_json(text))
    except (cql2.ParseError, cql2.ValidationError, ValueError) as error:
        if isinstance(error, SearchError):
            raise
        detail = " ".join(str(error).split())[:300]
        raise SearchError(f"invalid {language} filter: {detail}") from None
    return expression.to_json()


@functools.lru_cache(maxsize=256)
def _validated_json(text: str) -> str:
    """A cql2-json filter, validated, as the CQL2 JSON form (text).

    The text parser only makes well-formed trees; JSON may be anything, so it is
    checked against the CQL2 schema. cql2 builds its validator on every call
    (15 to 20 ms), and a client sends the same filter again as it pages or moves
    the map: the answers are kept. Errors are not (``lru_cache`` keeps results).
    """
    expression = cql2.parse_json(text)
    expression.validate()
    return json.dumps(expression.to_json())


def _bounds_as_args(node):
    """``between`` with its bounds in an array (an earlier CQL2 draft) as args."""
    if isinstance(node, list):
        return [_bounds_as_args(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {key: _bounds_as_args(value) for key, value in node.items()}
    args = node.get("args")
    if (
        node.get("op") == "between"
        and isinstance(args, list)
        and len(args) == 2
        and isinstance(args[1], list)
        and len(args[1]) == 2
    ):
        node["args"] = [args[0], *args[1]]
    return node


def apply(tree: dict, search: Search) -> None:
    """Add a parsed filter to a search.

    :raises SearchError: for unknown properties, operators or mismatched types.
    """
    for conjunct in _conjuncts(tree):
        check = compile_node(conjunct)
        if not _indexed(conjunct, search):
            search.check(lambda record, check=check: check(record) is True)


def _conjuncts(node) -> list:
    if isinstance(node, dict) and node.get("op") == "and":
        return [c for arg in node["args"] for c in _conjuncts(arg)]
    return [node]


# Operands: (kind, getter) where getter(record) gives the value.


def _property_name(node) -> str:
    name = node["property"]
    if isinstance(name, str) and name.startswith("properties."):
        name = name.removeprefix("properties.")
    if name not in PROPERTIES:
        raise SearchError(
            f"unknown property {name!r}; the queryables are {', '.join(PROPERTIES)}"
        )
    return name


def _kind_of_property(name: str) -> str:
    schema = PROPERTIES[name].schema
    if name == "geometry":
        return "geometry"
    if schema.get("format") == "date-time":
        return "datetime"
    return schema["type"]


def _operand(node):
    """The kind of an operand and how to read it from a record."""
    if isinstance(node, dict) and "property" in node:
        name = _property_name(node)
        return _kind_of_property(name), lambda record: record.get(name)
    if isinstance(node, bool):
        return "boolean", lambda record: node
    if is_number(node):
        return "number", lambda record: node
    if isinstance(node, str):
        return "string", lambda record: node
    if isinstance(node, dict) and ("timestamp" in node or "date" in node):
        start, _end = _temporal(node)
        return "datetime", lambda record: start
    if isinstance(node, dict) and ("type" in node or "bbox" in node):
        geometry = _geometry(node)
        return "geometry", lambda record: geometry
    raise SearchError(f"unsupported operand {json.dumps(node)[:200]}")


def _temporal(node) -> tuple[datetime | None, datetime | None]:
    """A temporal literal as an interval: an instant, a day, or an interval."""
    if isinstance(node, dict) and "timestamp" in node:
        moment = parse_instant(node["timestamp"])
        return moment, moment
    if isinstance(node, dict) and "date" in node:
        try:
            day = date.fromisoformat(node["date"])
        except (TypeError, ValueError):
            raise SearchError(f"{node['date']!r} is not a date") from None
        start = datetime.combine(day, time(), tzinfo=UTC)
        return start, start + timedelta(days=1) - timedelta(microseconds=1)
    if isinstance(node, dict) and "interval" in node:
        ends = node["interval"]
        if not isinstance(ends, list) or len(ends) != 2:
            raise SearchError("an interval has a start and an end")
        start, end = (_interval_end(e, i) for i, e in enumerate(ends))
        if start and end and start > end:
            raise SearchError("the interval ends before it starts")
        return start, end
    raise SearchError(f"not a timestamp, date or interval: {json.dumps(node)[:200]}")


def _interval_end(value, which: int) -> datetime | None:
    if value == "..":
        return None
    if isinstance(value, str):
        if "T" in value.upper():
            return parse_instant(value)
        start, end = _temporal({"date": value})
        return start if which == 0 else end
    start, end = _temporal(value)
    return start if which == 0 else end


def _geometry(node) -> shapely.Geometry:
    try:
        if "bbox" in node:
            return bbox_geometry(node["bbox"])
        return query_geometry(shapely.geometry.shape(node))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise SearchError(f"invalid geometry: {error}") from None
    except shapely.errors.ShapelyError as error:
        raise SearchError(f"invalid geometry: {error}") from None


# Compiling to checks: record -> True, False or None (unknown).


def compile_node(node):
    """A check for a CQL2 node.

    :raises SearchError: for what the API does not support or cannot compare.
    """
    if isinstance(node, bool):
        return lambda record: node
    if not isinstance(node, dict) or "op" not in node:
        raise SearchError(f"not a predicate: {json.dumps(node)[:200]}")
    op, args = node["op"], node.get("args", [])
    if op in ("and", "or"):
        checks = [compile_node(arg) for arg in args]
        return _and(checks) if op == "and" else _or(checks)
    if op == "not":
        check = compile_node(args[0])
        return lambda record: None if (v := check(record)) is None else not v
    if op in COMPARISONS:
        return _comparison(op, args)
    if op == "between":
        return _between(args)
    if op == "in":
        return _in(args)
    if op == "isNull":
        _kind, value = _operand(args[0])
        return lambda record: value(record) is None
    if op == "like":
        return _like(args)
    if op == "s_intersects":
        return _intersects(args)
    if op in TEMPORAL:
        return _temporal_check(op, args)
    raise SearchError(f"the operator {op!r} is not supported")


def _and(checks):
    def check(record):
        values = [c(record) for c in checks]
        if False in values:
            return False
        return None if None in values else True

    return check


def _or(checks):
    def check(record):
        values = [c(record) for c in checks]
        if True in values:
            return True
        return None if None in values else False

    return check


def _comparable(left: str, right: str) -> None:
    if left != right:
        raise SearchError(f"cannot compare a {left} with a {right}")
    if left == "geometry":
        raise SearchError("compare geometries with s_intersects")


def _comparison(op: str, args):
    (left_kind, left), (right_kind, right) = _operand(args[0]), _operand(args[1])
    _comparable(left_kind, right_kind)
    compare = COMPARISONS[op]

    def check(record):
        a, b = left(record), right(record)
        if a is None or b is None:
            return None
        return compare(a, b)

    return check


def _between(args):
    kinds_and_values = [_operand(arg) for arg in args]
    kinds = {kind for kind, _ in kinds_and_values}
    if len(kinds) != 1 or kinds & {"string", "boolean", "geometry"}:
        raise SearchError("between compares a number or a date-time with two bounds")
    (_, value), (_, low), (_, high) = kinds_and_values

    def check(record):
        v, lo, hi = value(record), low(record), high(record)
        if v is None or lo is None or hi is None:
            return None
        return lo <= v <= hi

    return check


def _in(args):
    kind, value = _operand(args[0])
    if not isinstance(args[1], list):
        raise SearchError("in takes a list of values")
    members = [_operand(member) for member in args[1]]
    for member_kind, _ in members:
        _comparable(kind, member_kind)
    wanted = {get(None) for _, get in members}

    def check(record):
        v = value(record)
        return None if v is None else v in wanted

    return check


def _like(args):
    kind, value = _operand(args[0])
    if kind != "string" or not isinstance(args[1], str):
        raise SearchError("like compares a text property with a text pattern")
    pattern = re.compile(
        "".join(
            ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in args[1]
        ),
        re.DOTALL,
    )

    def check(record):
        v = value(record)
        return None if v is None else pattern.fullmatch(v) is not None

    return check


def _intersects(args):
    kinds = [_operand(arg) for arg in args]
    if any(kind != "geometry" for kind, _ in kinds):
        raise SearchError("s_intersects takes two geometries")
    (_, left), (_, right) = kinds

    def check(record):
        a, b = left(record), right(record)
        return None if a is None or b is None else a.intersects(b)

    return check


def _temporal_check(op: str, args):
    prop, literal = _temporal_operands(args)
    start, end = _temporal(literal)
    _kind, value = _operand(prop)

    def check(record):
        moment = value(record)
        if moment is None:
            return None
        if op == "t_before":
            return start is not None and moment < start
        if op == "t_after":
            return end is not None and moment > end
        return (start is None or moment >= start) and (end is None or moment <= end)

    return check


def _temporal_operands(args):
    """The datetime property and the temporal literal of a temporal operator."""
    if len(args) != 2:
        raise SearchError("a temporal operator takes two operands")
    prop, literal = args
    if isinstance(literal, dict) and "property" in literal:
        raise SearchError("temporal operators compare a property with a literal")
    if not (isinstance(prop, dict) and "property" in prop):
        raise SearchError("temporal operators compare a property with a literal")
    if _kind_of_property(_property_name(prop)) != "datetime":
        raise SearchError("temporal operators apply to datetime")
    return prop, literal


# Indexing: conjuncts the catalog answers.


def _indexed(node, search: Search) -> bool:
    """Add what an index answers of a (valid) conjunct; True if exactly."""
    if not isinstance(node, dict):
        return False
    op, args = node.get("op"), node.get("args", [])
    if op in COMPARISONS and len(args) == 2:
        if _is_property(args[1]) and not _is_property(args[0]):
            op, args = FLIPPED[op], [args[1], args[0]]
        if _is_property(args[0]) and not _is_property(args[1]):
            return _index_comparison(_property_name(args[0]), op, args[1], search)
    if (
        op == "between"
        and _is_property(args[0])
        and not any(map(_is_property, args[1:]))
    ):
        return _index_range(_property_name(args[0]), args[1], args[2], search)
    if op == "in" and _is_property(args[0]):
        return _index_values(_property_name(args[0]), args[1], search)
    if op == "s_intersects":
        literals = [a for a in args if not _is_property(a)]
        if len(literals) == 1 and len(args) == 2:
            search.footprint(_geometry(literals[0]))
            return True
    if op in TEMPORAL and op not in ("t_before", "t_after"):
        start, end = _temporal(args[1])
        _date_range(search, start, end)
    return False


def _is_property(node) -> bool:
    return isinstance(node, dict) and "property" in node


def _index_comparison(name: str, op: str, literal, search: Search) -> bool:
    if name in INDEXED_NUMBERS:
        low = literal if op in ("=", ">", ">=") else None
        high = literal if op in ("=", "<", "<=") else None
        if op == "<>":
            return False
        search.range(INDEXED_NUMBERS[name], low, high)
        return op in ("=", ">=", "<=")  # strict ones are checked on the brain
    if name in INDEXED_TEXTS and op == "=":
        index, values = INDEXED_TEXTS[name]
        search.values(index, values(literal))
        return True
    if name == "datetime" and op != "<>":
        moment = _temporal(literal)[0]
        low = moment if op in ("=", ">", ">=") else None
        high = moment if op in ("=", "<", "<=") else None
        _date_range(search, low, high)
    return False


def _index_range(name: str, low, high, search: Search) -> bool:
    if name in INDEXED_NUMBERS:
        search.range(INDEXED_NUMBERS[name], low, high)
        return True
    if name == "datetime":
        _date_range(search, _temporal(low)[0], _temporal(high)[1])
    return False


def _index_values(name: str, literals: list, search: Search) -> bool:
    if name in INDEXED_TEXTS:
        index, values = INDEXED_TEXTS[name]
        search.values(index, [v for literal in literals for v in values(literal)])
        return True
    if name in INDEXED_NUMBERS:
        search.values(INDEXED_NUMBERS[name], literals)
        return True
    return False


def _date_range(search: Search, start, end) -> None:
    """Narrow by acquisition day; the check on the brain stays exact."""
    search.range(
        "acquisition_date",
        start and as_catalog_date(start),
        end and as_catalog_date(end),
    )
