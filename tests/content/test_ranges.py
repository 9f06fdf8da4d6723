"""Indexes that check the few documents already found (content/ranges.py)."""

from belspo.pleiades.content.ranges import FEW
from belspo.pleiades.content.ranges import FilteringDateIndex
from belspo.pleiades.content.ranges import FilteringFieldIndex
from belspo.pleiades.content.ranges import FilteringKeywordIndex
from BTrees.IIBTree import IISet
from DateTime import DateTime
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from Products.PluginIndexes.DateIndex.DateIndex import DateIndex
from Products.PluginIndexes.FieldIndex.FieldIndex import FieldIndex
from Products.PluginIndexes.KeywordIndex.KeywordIndex import KeywordIndex
from types import SimpleNamespace

import pytest
import random


COUNT = 2000
START = DateTime("2024-01-01T00:00:00Z")


MISSIONS = ["PHR1A", "PHR1B", "PNEO3", "PNEO4"]
ROLES = ["Anonymous", "Authenticated", "Manager", "user:ann", "user:bob"]


def documents(seed: int) -> dict[int, SimpleNamespace]:
    """Documents with a day of 2024, a cover in tenths, a mission and the roles
    that may see them, some without one or the other."""
    rng = random.Random(seed)
    found = {}
    for docid in range(1, COUNT + 1):
        cover = rng.choice([None, 0.0, *[rng.randrange(0, 1001) / 10] * 8])
        day = None if rng.random() < 0.05 else START + rng.randrange(0, 366)
        found[docid] = SimpleNamespace(
            cloud_cover=cover,
            acquisition_date=day,
            mission=rng.choice([None, *MISSIONS]),
            roles=rng.sample(ROLES, rng.randrange(0, 4)),
        )
    return found


def both(name: str, docs, filtering, plain, **settings) -> tuple:
    """The filtering index and its plain parent, holding the same documents."""
    pair = []
    for cls in (filtering, plain):
        index = cls(name)
        for setting, value in settings.items():
            setattr(index, setting, value)
        for docid, doc in docs.items():
            index.index_object(docid, doc)
        pair.append(index)
    return tuple(pair)


@pytest.fixture(scope="module")
def docs():
    return documents(7)


@pytest.fixture(scope="module")
def covers(docs):
    return both("cloud_cover", docs, FilteringFieldIndex, FieldIndex)


@pytest.fixture(scope="module")
def missions(docs):
    return both("mission", docs, FilteringFieldIndex, FieldIndex)


@pytest.fixture(scope="module")
def roles(docs):
    return both("roles", docs, FilteringKeywordIndex, KeywordIndex)


@pytest.fixture(scope="module")
def dates(docs):
    # To the day, as the portal's.
    return both("acquisition_date", docs, FilteringDateIndex, DateIndex, precision=1440)


def within(value, low, high) -> bool:
    return (
        value is not None
        and (low is None or value >= low)
        and (high is None or value <= high)
    )


def query(low, high) -> dict:
    if low is not None and high is not None:
        return {"query": [low, high], "range": "min:max"}
    if low is not None:
        return {"query": low, "range": "min"}
    return {"query": high, "range": "max"}


covers_bound = st.one_of(st.none(), st.integers(0, 1000).map(lambda t: t / 10))


@settings(max_examples=150, deadline=None)
@given(
    low=covers_bound,
    high=covers_bound,
    some=st.sets(st.integers(1, COUNT), max_size=300),
)
def test_cover_ranges_over_few_documents_are_the_brute_force(
    covers, docs, low, high, some
):
    if low is None and high is None:
        return
    filtering, _ = covers
    found = filtering._apply_index({"cloud_cover": query(low, high)}, IISet(some))
    if low is not None and high is not None:  # the catalog's range: min to max
        low, high = min(low, high), max(low, high)
    expected = {d for d in some if within(docs[d].cloud_cover, low, high)}
    assert set(found[0]) == expected


def test_a_maximum_of_zero_is_a_maximum(covers, docs):
    filtering, plain = covers
    some = IISet(range(1, 200))
    found = set(filtering._apply_index({"cloud_cover": query(None, 0)}, some)[0])
    assert found == {d for d in some if docs[d].cloud_cover == 0.0}
    assert found  # the seed has some


@settings(max_examples=100, deadline=None)
@given(
    first=st.integers(0, 365),
    days=st.integers(0, 200),
    some=st.sets(st.integers(1, COUNT), max_size=300),
)
def test_date_ranges_over_few_documents_are_the_plain_index(dates, first, days, some):
    filtering, plain = dates
    low, high = START + first, START + first + days
    request = {"acquisition_date": query(low, high)}
    found = filtering._apply_index(request, IISet(some))[0]
    # The plain index unites the whole range: the same once intersected.
    assert set(found) == set(plain._apply_index(request)[0]) & some


def test_many_documents_or_other_queries_go_the_plain_way(covers, docs):
    filtering, plain = covers
    many = IISet(range(1, FEW + 2))
    request = {"cloud_cover": query(10.0, 20.0)}
    assert list(filtering._apply_index(request, many)[0]) == list(
        plain._apply_index(request, many)[0]
    )
    exact = {"cloud_cover": {"query": [0.0, 50.0]}}  # values, not a range
    some = IISet(range(1, 300))
    assert set(filtering._apply_index(exact, some)[0]) & set(some) == {
        d for d in some if docs[d].cloud_cover in (0.0, 50.0)
    }
    excluded = {"cloud_cover": {"query": 10.0, "range": "min", "not": [50.0]}}
    # The plain way, which the catalog intersects with what it found.
    assert set(filtering._apply_index(excluded, some)[0]) & set(some) == {
        d
        for d in some
        if docs[d].cloud_cover is not None
        and docs[d].cloud_cover >= 10
        and docs[d].cloud_cover != 50.0
    }


def same_as_plain(indexes, request: dict, some: set) -> set:
    """The filtering index's answer over some documents, checked against the
    plain index's answer over all, intersected as the catalog does."""
    filtering, plain = indexes
    found = set(filtering._apply_index(request, IISet(some))[0])
    assert found == set(plain._apply_index(request)[0]) & some
    return found


@settings(max_examples=100, deadline=None)
@given(
    wanted=st.lists(st.sampled_from([*MISSIONS, "SPOT6"]), min_size=1, max_size=3),
    some=st.sets(st.integers(1, COUNT), max_size=300),
)
def test_values_over_few_documents_are_the_plain_index(missions, docs, wanted, some):
    found = same_as_plain(missions, {"mission": {"query": wanted}}, some)
    assert found == {d for d in some if docs[d].mission in wanted}


@settings(max_examples=100, deadline=None)
@given(
    wanted=st.lists(st.sampled_from([*ROLES, "user:eve"]), min_size=1, max_size=3),
    operator=st.sampled_from(["or", "and"]),
    some=st.sets(st.integers(1, COUNT), max_size=300),
)
def test_keywords_over_few_documents_are_the_plain_index(
    roles, docs, wanted, operator, some
):
    request = {"roles": {"query": wanted, "operator": operator}}
    found = same_as_plain(roles, request, some)
    test = all if operator == "and" else any
    assert found == {d for d in some if test(r in docs[d].roles for r in wanted)}


def test_a_value_nobody_has_finds_nothing(missions, roles):
    some = set(range(1, 500))
    assert same_as_plain(missions, {"mission": "SPOT6"}, some) == set()
    assert same_as_plain(roles, {"roles": ["user:eve"]}, some) == set()
    assert same_as_plain(roles, {"roles": ["Anonymous"]}, some)  # the seed has some


def test_not_and_many_documents_go_the_plain_way(missions, docs):
    filtering, plain = missions
    request = {"mission": {"query": ["PHR1A"], "not": ["PHR1B"]}}
    some = IISet(range(1, 300))
    found = set(filtering._apply_index(request, some)[0]) & set(some)
    assert found == {d for d in some if docs[d].mission == "PHR1A"}
    many = IISet(range(1, FEW + 2))
    request = {"mission": "PHR1A"}
    assert list(filtering._apply_index(request, many)[0]) == list(
        plain._apply_index(request, many)[0]
    )
