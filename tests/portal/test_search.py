"""The catalogue search page over HTTP: filters, paging, the URL, bad input."""

from belspo.pleiades.browser.search import PAGE_SIZE
from datetime import datetime
from datetime import timedelta
from tests.portal.conftest import box
from tests.portal.conftest import create_product
from tests.portal.conftest import get_page
from tests.portal.conftest import NEWEST_FIRST
from tests.portal.conftest import Page
from tests.portal.conftest import PRODUCTS
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import json
import pytest
import requests
import transaction


def search_url(portal) -> str:
    return f"{portal.absolute_url()}/@@search-catalogue"


def found(portal, params) -> list[str]:
    return get_page(search_url(portal), params).result_ids()


def newest_first(names) -> list[str]:
    return [name for name in NEWEST_FIRST if name in names]


def test_without_filters_every_published_product_newest_first(catalogue):
    page = get_page(search_url(catalogue))
    assert page.result_ids() == NEWEST_FIRST  # not "hidden", still ingested
    assert page.total() == len(PRODUCTS)
    assert "Products found: 5" in page.text(".pleiades-total")


def test_operators_also_find_the_products_not_yet_published(catalogue):
    page = get_page(search_url(catalogue), user="operator")
    assert "hidden" in page.result_ids()
    assert page.total() == len(PRODUCTS) + 1


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"bbox": "4.0, 50.5, 5.0, 51.1"}, {"brussels"}),
        ({"bbox": "4 50.5 6 51.5"}, {"brussels", "antwerp", "liege"}),
        ({"bbox": "4.5,51.0,4.6,51.2"}, {"brussels", "antwerp"}),  # edges touch
        ({"bbox": "179,-18,-179,-16"}, {"fiji"}),  # across the antimeridian
        ({"bbox": "-180,-90,180,90"}, set(PRODUCTS)),
        ({"start": "2024-06-20"}, {"antwerp", "kinshasa", "fiji"}),  # day included
        ({"end": "2024-03-10"}, {"brussels", "liege"}),
        ({"start": "2024-03-11", "end": "2024-08-01"}, {"antwerp", "kinshasa"}),
        ({"start": "2024-12-31", "end": "2024-12-31"}, {"fiji"}),  # 23:30 UTC
        ({"cloud_cover_max": "15"}, {"brussels", "liege", "fiji"}),
        ({"cloud_cover_max": "0"}, {"fiji"}),
        ({"incidence_angle_max": "10"}, {"brussels", "kinshasa"}),
        ({"mission": "PHR1A"}, {"brussels", "fiji"}),
        ({"mission": ["PHR1B", "SPOT6"]}, {"antwerp", "kinshasa"}),
        ({"processing_level": "ORTHO"}, {"brussels", "liege", "fiji"}),
        ({"spectral_mode": ["P", "MS"]}, {"antwerp", "liege"}),
        ({"spectral_mode": "PMS-N"}, {"fiji"}),
        (
            {"bbox": "3,50,6.5,51.6", "cloud_cover_max": "20", "mission": "PHR1A"},
            {"brussels"},
        ),
        ({"bbox": "3,50,6.5,51.6", "start": "2025-01-01"}, set()),
    ],
)
def test_filters_narrow_the_results(catalogue, params, expected):
    page = get_page(search_url(catalogue), params)
    assert page.result_ids() == newest_first(expected)
    assert page.total() == len(expected)


def test_nothing_found_says_so(catalogue):
    page = get_page(search_url(catalogue), {"mission": "SPOT7"})
    assert page.result_ids() == []
    assert "No product matches this search" in page.text(".pleiades-no-results")


def test_results_show_their_facts_and_thumbnail_without_waking_products(catalogue):
    page = get_page(search_url(catalogue), {"mission": "PHR1A"})
    item = page.one("#result-brussels")
    text = " ".join(item.text_content().split())
    assert "Scene Brussels" in text and "2024-03-10 10:31 UTC" in text
    assert "Pléiades 1A" in text and "Ortho" in text and "Pan-sharpened" in text
    assert "5.0 %" in text and "10.0°" in text and "DS_BRUSSELS" in text
    (link,) = item.cssselect(".pleiades-result-title a")
    assert link.get("href") == f"{catalogue.absolute_url()}/catalogue/brussels"
    (image,) = item.cssselect("img")
    assert "/catalogue/brussels/@@images/thumbnail-" in image.get("src")
    assert (image.get("width"), image.get("height")) == ("48", "32")
    thumbnail = requests.get(image.get("src"), timeout=30)
    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/jpeg"


def test_the_map_gets_the_footprints_of_the_page(catalogue):
    page = get_page(search_url(catalogue), {"bbox": "4,50,6,52"})
    element = page.one("[data-pleiades-search-map]")
    data = json.loads(element.get("data-geojson"))
    assert [f["id"] for f in data["features"]] == ["antwerp", "brussels", "liege"]
    brussels = data["features"][1]
    assert brussels["geometry"] == PRODUCTS["brussels"]["footprint"]
    assert brussels["properties"]["url"].endswith("/catalogue/brussels")
    assert element.get("data-bbox-field") == "bbox"


def test_without_javascript_the_form_and_listing_stand_alone(catalogue):
    """The map is hidden until the script shows it; the form is a plain GET
    form with a typed box; the listing links every product."""
    page = get_page(search_url(catalogue))
    assert page.one("[data-pleiades-search-map]").get("hidden") is not None
    form = page.one("form#pleiades-search")
    assert form.get("method") == "get"
    assert form.get("action") == search_url(catalogue)
    names = {e.get("name") for e in form.cssselect("input") if e.get("name")}
    assert names == {
        "bbox",
        "start",
        "end",
        "cloud_cover_max",
        "incidence_angle_max",
        "mission",
        "processing_level",
        "spectral_mode",
    }
    assert page.one("input[name=bbox]").get("type") == "text"
    assert page.css("button#search-submit[type=submit]")
    links = [a.get("href") for a in page.css(".pleiades-result-title a")]
    assert links == [
        f"{catalogue.absolute_url()}/catalogue/{name}" for name in NEWEST_FIRST
    ]
    assert page.css(".pleiades-search-errors") == []


def submitted_as_a_browser(page, values: dict) -> requests.Response:
    """The page's form sent as a browser without script sends it: every field,
    the empty ones too, and the checked boxes."""
    form = page.one("form#pleiades-search")
    fields = []
    for element in form.cssselect("input"):
        name = element.get("name")
        if element.get("type") == "checkbox":
            if element.get("value") in values.get(name, ()):
                fields.append((name, element.get("value")))
        else:
            fields.append((name, values.get(name, "")))
    return requests.get(form.get("action"), params=fields, timeout=60)


def test_the_url_round_trip(catalogue):
    """A search sent from the form, shared by its link, gives the same page,
    with the form filled in as it was."""
    first = get_page(search_url(catalogue))
    values = {
        "bbox": "3, 50, 6.5, 51.6",
        "start": "2023-01-01",
        "cloud_cover_max": "20",
        "mission": ["PHR1A", "PNEO3"],
    }
    response = submitted_as_a_browser(first, values)
    page = Page(response)
    assert page.result_ids() == ["brussels", "liege"]
    share = page.one("a.pleiades-share-link").get("href")
    assert parse_qsl(urlsplit(share).query) == [
        ("bbox", "3,50,6.5,51.6"),
        ("start", "2023-01-01"),
        ("cloud_cover_max", "20"),
        ("mission", "PHR1A"),
        ("mission", "PNEO3"),
    ]
    shared = get_page(share)
    assert shared.result_ids() == page.result_ids()
    assert shared.one("input[name=bbox]").get("value") == "3,50,6.5,51.6"
    assert shared.one("input[name=start]").get("value") == "2023-01-01"
    assert shared.one("input[name=cloud_cover_max]").get("value") == "20"
    checked = {e.get("value") for e in shared.css("input[name=mission][checked]")}
    assert checked == {"PHR1A", "PNEO3"}
    assert shared.css("input[name=processing_level][checked]") == []


@pytest.fixture
def big_catalogue(catalogue):
    """PAGE_SIZE + 12 more products over Namur, a minute apart."""
    start = datetime(2022, 1, 1, 10, 0)
    for index in range(PAGE_SIZE + 12):
        fields = {
            **PRODUCTS["brussels"],
            "mission": "PHR1B",
            "acquisition_date": start - timedelta(days=index),
            "footprint": box(4.8, 50.4),
        }
        create_product(catalogue, f"namur-{index:03d}", fields, images=False)
    transaction.commit()
    return catalogue


def test_paging_keeps_the_search_and_counts(big_catalogue):
    url = search_url(big_catalogue)
    params = {"mission": "PHR1B", "bbox": "4.7,50.3,5.1,50.7"}
    total = PAGE_SIZE + 12
    first = get_page(url, params)
    assert first.total() == total
    assert first.result_ids() == [f"namur-{i:03d}" for i in range(PAGE_SIZE)]
    assert f"(showing 1 to {PAGE_SIZE}, latest first)" in first.text(".pleiades-total")
    assert first.css(".pleiades-pager a[rel=prev]") == []
    next_url = first.one(".pleiades-pager a[rel=next]").get("href")
    assert dict(parse_qsl(urlsplit(next_url).query)) == {
        **params,
        "b_start": str(PAGE_SIZE),
    }
    second = get_page(next_url)
    assert second.result_ids() == [f"namur-{i:03d}" for i in range(PAGE_SIZE, total)]
    assert second.total() == total
    assert f"(showing {PAGE_SIZE + 1} to {total}" in second.text(".pleiades-total")
    assert second.css(".pleiades-pager a[rel=next]") == []
    assert second.one(".pleiades-pager a[aria-current=page]").text == "2"
    previous = get_page(second.one(".pleiades-pager a[rel=prev]").get("href"))
    assert previous.result_ids() == first.result_ids()


def test_a_page_past_the_end_is_empty_not_an_error(big_catalogue):
    page = get_page(search_url(big_catalogue), {"b_start": "5000"})
    assert page.result_ids() == []
    assert page.total() == PAGE_SIZE + 12 + len(PRODUCTS)


@pytest.mark.parametrize(
    "params,field,message",
    [
        (
            {"bbox": "4, 50, 5"},
            "bbox",
            "The box must be four numbers: west, south, east, north",
        ),
        ({"bbox": "west, 50, 5, 51"}, "bbox", "got “west, 50, 5, 51”"),
        (
            {"bbox": "4, 52, 5, 50"},
            "bbox",
            "The box's south (52) is north of its north (50)",
        ),
        ({"bbox": "4, 50, 200, 51"}, "bbox", "longitudes must be between -180 and 180"),
        ({"bbox": "4, -95, 5, 51"}, "bbox", "latitudes must be between -90 and 90"),
        ({"start": "2024-13-45"}, "start", "“2024-13-45” is not a date"),
        ({"end": "yesterday"}, "end", "write it as YYYY-MM-DD"),
        (
            {"start": "2024-06-01", "end": "2024-05-01"},
            "end",
            "The end date is before the start date.",
        ),
        ({"cloud_cover_max": "few"}, "cloud_cover_max", "“few” is not a number."),
        ({"cloud_cover_max": "150"}, "cloud_cover_max", "between 0 and 100"),
        ({"incidence_angle_max": "-3"}, "incidence_angle_max", "between 0 and 90"),
        ({"mission": ["PHR1A", "HUBBLE"]}, "mission", "Unknown value: HUBBLE."),
    ],
)
def test_bad_input_is_explained_on_the_page(catalogue, params, field, message):
    response = requests.get(search_url(catalogue), params=params, timeout=60)
    assert "Traceback" not in response.text
    page = Page(response, status=400)  # the page, themed, with a client error
    assert page.css("#portal-footer")
    summary = page.text(".pleiades-search-errors")
    assert "The search could not be made" in summary and message in summary
    (link,) = page.css(".pleiades-search-errors a")
    assert link.get("href") == f"#search-{field}"
    assert page.css(f"#search-{field}")  # the link leads to the field
    assert page.css(".pleiades-search-results") == []  # no misleading results
    if field != "mission":
        shown = page.one(f"#search-{field}")
        assert "is-invalid" in shown.get("class")
        assert shown.get("value") == params[field]  # kept, to be corrected


def test_the_home_page_and_the_catalogue_link_to_the_search(catalogue):
    for url in (catalogue.absolute_url(), f"{catalogue.absolute_url()}/catalogue"):
        page = get_page(url)
        assert page.one(".pleiades-search-link a").get("href") == search_url(catalogue)
    product = get_page(f"{catalogue.absolute_url()}/catalogue/brussels")
    assert product.css(".pleiades-search-link") == []
