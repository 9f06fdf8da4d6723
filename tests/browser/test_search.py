"""A visitor searches the catalogue in a real browser, then opens a product."""

from playwright.sync_api import expect
from playwright.sync_api import Page
from tests.browser.conftest import QUICKLOOK_SIZE
from tests.browser.conftest import VIEWPORT
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
import re


pytestmark = pytest.mark.slow

# Where the Belgian products lie (tests/portal/conftest.py's footprints).
BELGIUM = {"west": 4.3, "south": 50.6, "east": 5.7, "north": 51.4}
# Half the side of the box drawn around a marker, in pixels: at the world's
# scale, some ten degrees; nothing but Belgium within it.
HALF_BOX = 15


def search_url(portal) -> str:
    return f"{portal.absolute_url()}/@@search-catalogue"


def result_ids(page: Page) -> list[str]:
    return page.locator("li.pleiades-result").evaluate_all(
        "items => items.map(item => item.dataset.featureId)"
    )


def query(page: Page) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(page.url).query)


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_visitor_draws_a_box_and_opens_a_product(
    portal, page, shoot, script_errors, fetched
):
    page.goto(search_url(portal))
    expect(page.locator(".pleiades-search-map .leaflet-container")).to_be_visible()
    # Zoomed out to the world, every result is a marker; its footprint is there.
    markers = page.locator(".pleiades-search-map .pleiades-result-marker")
    expect(markers).to_have_count(5)
    expect(
        page.locator(".pleiades-search-map .pleiades-result-footprint")
    ).to_have_count(5)
    shoot("world")

    draw = page.locator("#search-draw-box")
    draw.click()
    expect(draw).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".pleiades-draw-help")).to_be_visible()
    # The northernmost marker is Antwerp's: a box around it holds Belgium.
    boxes = [markers.nth(i).bounding_box() for i in range(5)]
    x, y = centre(min(boxes, key=lambda box: box["y"]))
    page.mouse.move(x - HALF_BOX, y - HALF_BOX)
    page.mouse.down()
    page.mouse.move(x, y, steps=4)
    page.mouse.move(x + HALF_BOX, y + HALF_BOX, steps=4)
    page.mouse.up()
    expect(draw).to_have_attribute("aria-pressed", "false")
    drawn = page.locator("#search-bbox").input_value()
    west, south, east, north = (float(n) for n in drawn.split(","))
    assert west < BELGIUM["west"] and east > BELGIUM["east"], drawn
    assert south < BELGIUM["south"] and north > BELGIUM["north"], drawn
    assert east < 15 and south > 0, drawn  # not Kinshasa, not Fiji

    with page.expect_navigation():
        page.click("#search-submit")
    # The address is the search: only what it asks for.
    assert query(page) == [("bbox", drawn)]
    assert result_ids(page) == ["antwerp", "brussels", "liege"]
    expect(page.locator(".pleiades-total-count")).to_have_text("3")
    expect(page.locator(".pleiades-search-map .pleiades-search-box")).to_be_visible()
    # The map frames the box; a scene there is still too small to see.
    markers = page.locator(".pleiades-search-map .pleiades-result-marker")
    expect(markers).to_have_count(3)
    zoom_in = page.locator(".pleiades-search-map .leaflet-control-zoom-in")
    for _ in range(3):
        zoom_in.click()
    expect(markers).to_have_count(0)  # the footprints now show themselves
    page.hover("#result-brussels")
    expect(page.locator("#result-brussels")).to_have_class(
        re.compile("pleiades-highlighted")
    )
    shoot("box-drawn")

    with page.expect_navigation():
        page.click("#result-brussels .pleiades-result-title a")
    assert page.url == portal.catalogue.brussels.absolute_url()
    expect(page.locator("h1")).to_have_text("Scene Brussels")
    check_quicklook_zooms(page)
    footprint = page.locator(".pleiades-footprint path.leaflet-interactive")
    expect(footprint).to_have_count(1)
    expect(footprint).to_be_visible()
    shoot("product")
    assert script_errors == []
    # Leaflet, its images and the land outline are the portal's own: no CDN.
    elsewhere = [url for url in fetched if not url.startswith(portal.absolute_url())]
    assert elsewhere == []
    assert any(url.endswith("/leaflet/leaflet.js") for url in fetched)
    assert any(url.endswith("/land-110m.geojson") for url in fetched)


def check_quicklook_zooms(page: Page) -> None:
    """The quicklook fits its viewer, and the zoom button enlarges it."""
    viewer = page.locator(".pleiades-image-viewer")
    expect(viewer).to_be_visible()
    expect(page.locator(".pleiades-quicklook-link")).to_be_hidden()
    expect(page.locator(".pleiades-zoom-help")).to_be_visible()
    image = viewer.locator("img.leaflet-image-layer")
    expect(image).to_be_visible()
    fitted = image.bounding_box()["width"]
    assert fitted < min(QUICKLOOK_SIZE[0], viewer.bounding_box()["width"]) + 1
    viewer.locator(".leaflet-control-zoom-in").click()
    page.wait_for_function(
        "width => document.querySelector('.pleiades-image-viewer img')"
        ".getBoundingClientRect().width > width * 1.3",
        arg=fitted,
    )


def test_a_visitor_narrows_with_filters(portal, page, shoot, script_errors):
    page.goto(search_url(portal))
    page.get_by_label("Pléiades 1A", exact=True).check()
    page.get_by_label("Cloud cover at most (%)").fill("10")
    with page.expect_navigation():
        page.click("#search-submit")
    assert query(page) == [("cloud_cover_max", "10"), ("mission", "PHR1A")]
    assert result_ids(page) == ["fiji", "brussels"]
    expect(page.get_by_label("Pléiades 1A", exact=True)).to_be_checked()
    expect(page.get_by_label("Cloud cover at most (%)")).to_have_value("10")
    footprints = page.locator(".pleiades-search-map .pleiades-result-footprint")
    expect(footprints).to_have_count(2)
    shoot("filtered")

    with page.expect_navigation():
        page.get_by_role("link", name="Clear all filters").click()
    assert query(page) == []
    assert len(result_ids(page)) == 5
    assert script_errors == []


def test_a_bad_box_is_explained_next_to_the_field(portal, page, shoot):
    page.goto(search_url(portal))
    page.fill("#search-bbox", "4, 52, 5, 50")
    with page.expect_navigation() as sent:
        page.click("#search-submit")
    assert sent.value.status == 400
    summary = page.locator(".pleiades-search-errors")
    expect(summary).to_contain_text("The box's south (52) is north of its north (50)")
    expect(page.locator("#search-bbox")).to_have_class(re.compile("is-invalid"))
    expect(page.locator(".pleiades-search-results")).to_have_count(0)
    summary.locator("a").click()
    assert urlsplit(page.url).fragment == "search-bbox"
    shoot("bad-box")


def test_without_javascript_search_and_product_still_work(
    portal, chromium, screenshots
):
    context = chromium.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(search_url(portal))
        expect(page.locator("[data-pleiades-search-map]")).to_be_hidden()
        page.fill("#search-bbox", "4, 50.5, 6, 51.5")
        with page.expect_navigation():
            page.click("#search-submit")
        assert dict(query(page))["bbox"] == "4, 50.5, 6, 51.5"
        assert result_ids(page) == ["antwerp", "brussels", "liege"]
        expect(page.locator("#result-brussels img")).to_be_visible()
        page.screenshot(path=screenshots / "without-javascript--search.png")

        with page.expect_navigation():
            page.click("#result-brussels .pleiades-result-title a")
        expect(page.locator("[data-pleiades-image]")).to_be_hidden()
        expect(page.locator("img.pleiades-quicklook-image")).to_be_visible()
        expect(page.locator("a.pleiades-full-size")).to_be_visible()
        page.screenshot(path=screenshots / "without-javascript--product.png")
    finally:
        context.close()


def test_a_footprint_across_180_is_drawn_in_one_piece(portal, page, shoot):
    """Fiji's scene, from 179.8° to -179.9°, is a small shape the map zooms
    into, not a band around the world seen from afar."""
    page.goto(portal.catalogue.fiji.absolute_url())
    area = page.locator(".pleiades-footprint .leaflet-container").bounding_box()
    footprint = page.locator(".pleiades-footprint path.leaflet-interactive")
    shape = footprint.bounding_box()
    assert shape["width"] < area["width"] and shape["height"] > area["height"] / 4
    shoot("fiji")
