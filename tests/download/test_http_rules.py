"""The HTTP rules of a download, without a server (downloads/http.py)."""

from belspo.pleiades.downloads import http
from datetime import datetime
from datetime import UTC

import pytest


SIZE = 1000
MODIFIED = datetime(2026, 3, 4, 10, 11, 12, 345678, tzinfo=UTC)
ETAG = '"abc123"'


@pytest.mark.parametrize(
    "header,expected",
    [
        ("bytes=0-99", (0, 100)),
        ("bytes=100-", (100, 1000)),
        ("bytes=-100", (900, 1000)),
        ("bytes=-5000", (0, 1000)),  # a suffix longer than the file: all of it
        ("bytes=10-10", (10, 11)),
        ("bytes=990-5000", (990, 1000)),  # the end is clipped to the file
        ("bytes = 0 - 9", (0, 10)),
    ],
)
def test_a_single_range(header, expected):
    found = http.parse_range(header, SIZE)
    assert (found.start, found.end) == expected
    assert found.length == expected[1] - expected[0]
    assert found.content_range() == f"bytes {expected[0]}-{expected[1] - 1}/{SIZE}"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=0-9,20-29",  # several ranges: the whole file
        "bytes=9-0",  # last before first: invalid, ignored
        "bytes=-",
        "items=0-9",
        "bytes=abc-",
        "bytes=+1-2",
    ],
)
def test_the_whole_file_when_the_range_is_not_one_we_serve(header):
    assert http.parse_range(header, SIZE) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_past_the_end_is_unsatisfiable(header):
    with pytest.raises(http.Unsatisfiable):
        http.parse_range(header, SIZE)


def test_nothing_of_an_empty_file_is_satisfiable():
    with pytest.raises(http.Unsatisfiable):
        http.parse_range("bytes=-10", 0)


def test_if_range_with_the_entity_tag_or_the_date():
    date = http.http_date(MODIFIED)
    assert date == "Wed, 04 Mar 2026 10:11:12 GMT"
    assert http.if_range_holds(None, ETAG, MODIFIED)
    assert http.if_range_holds(ETAG, ETAG, MODIFIED)
    assert http.if_range_holds(date, ETAG, MODIFIED)
    assert not http.if_range_holds('"other"', ETAG, MODIFIED)
    assert not http.if_range_holds(f"W/{ETAG}", ETAG, MODIFIED)  # weak: never
    assert not http.if_range_holds("Wed, 04 Mar 2026 10:11:11 GMT", ETAG, MODIFIED)
    assert not http.if_range_holds("yesterday", ETAG, MODIFIED)


def test_if_none_match_compares_weakly():
    assert http.none_match(ETAG, ETAG)
    assert http.none_match(f'"x", W/{ETAG}', ETAG)
    assert http.none_match("*", ETAG)
    assert not http.none_match('"x"', ETAG)
    assert not http.none_match(None, ETAG)


def test_if_modified_since():
    assert http.not_modified_since(http.http_date(MODIFIED), MODIFIED)
    assert not http.not_modified_since("Wed, 04 Mar 2026 10:00:00 GMT", MODIFIED)
    assert not http.not_modified_since("garbage", MODIFIED)


def test_an_ascii_file_name():
    assert http.content_disposition("p1.zip") == 'attachment; filename="p1.zip"'


def test_a_file_name_beyond_ascii_follows_rfc_6266():
    assert http.content_disposition("scène été.zip") == (
        'attachment; filename="scene ete.zip"; '
        "filename*=UTF-8''sc%C3%A8ne%20%C3%A9t%C3%A9.zip"
    )
    assert http.content_disposition('a"b.zip').startswith('attachment; filename="a_b')


@pytest.mark.parametrize(
    "stored,expected",
    [
        ("p1.zip", "p1.zip"),
        ("C:\\deliveries\\p1.zip", "p1.zip"),
        ("../../etc/passwd", "passwd"),
        ("two\nlines.zip", "two_lines.zip"),
        ("", "fallback.zip"),
        (None, "fallback.zip"),
    ],
)
def test_the_name_a_download_is_saved_as(stored, expected):
    assert http.download_name(stored, "fallback.zip") == expected


def test_the_sidecar_line_is_sha256sum_s():
    digest = "ab" * 32
    assert http.sha256sum_line(digest, "p1.zip") == f"{digest}  p1.zip\n"
