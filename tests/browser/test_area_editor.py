"""The request form's area editor, which shares pleiades-map.js with the search."""

from playwright.sync_api import expect
from tests.browser.conftest import log_in

import json
import pytest


pytestmark = pytest.mark.slow


def test_a_rectangle_drawn_fills_the_area_of_interest(
    portal, page, shoot, script_errors
):
    page.goto(f"{portal.absolute_url()}/login")
    log_in(page, "owner")
    page.goto(f"{portal.absolute_url()}/requests/++add++AcquisitionRequest")
    editor = page.locator(".pleiades-area-editor")
    area_map = editor.locator(".pleiades-map")
    expect(area_map).to_be_visible()
    textarea = page.locator("textarea[data-pleiades-area]")
    expect(textarea).to_be_hidden()  # the map takes its place

    editor.get_by_role("button", name="Rectangle").click()
    box = area_map.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 40, y - 30)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()

    geometry = json.loads(textarea.input_value())
    assert geometry["type"] == "Polygon"
    (ring,) = geometry["coordinates"]
    assert len(ring) == 5 and ring[0] == ring[-1]
    expect(editor.locator(".pleiades-area")).to_contain_text("km²")
    shoot("rectangle")
    assert script_errors == []
